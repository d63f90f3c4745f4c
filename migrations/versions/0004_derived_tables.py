"""derived tables: actor_events and event_json; date_latest in the precision index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Empty until the next load: the service uses the general path while
    # dataset_meta's derived_version differs from the data version.
    op.create_table(
        "actor_events",
        sa.Column("actor_id", sa.String(length=120), nullable=False),
        sa.Column("date_precision", sa.String(length=10), nullable=False),
        sa.Column("date_earliest", sa.Date(), nullable=False),
        sa.Column("event_id", sa.String(length=120), nullable=False),
        sa.Column("date_latest", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_actor_events_event_id_events", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "actor_id", "date_precision", "date_earliest", "event_id", name="pk_actor_events"
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "event_json",
        sa.Column("event_id", sa.String(length=120), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_event_json_event_id_events", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name="pk_event_json"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_date_precision_date_earliest_id")
        batch_op.create_index(
            "ix_events_date_precision_date_earliest_id_date_latest",
            ["date_precision", "date_earliest", "id", "date_latest"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_date_precision_date_earliest_id_date_latest")
        batch_op.create_index(
            "ix_events_date_precision_date_earliest_id",
            ["date_precision", "date_earliest", "id"],
            unique=False,
        )
    op.drop_table("event_json")
    op.drop_table("actor_events")
