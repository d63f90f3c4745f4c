"""actor_events.actor_ids and claimant_ids, for facet counts under an actor filter

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _actor_events(with_ids: bool) -> None:
    # Derived, so dropped and made anew rather than altered: the next `claimline serve`
    # or load fills it again.
    op.drop_table("actor_events")
    op.create_table(
        "actor_events",
        sa.Column("actor_id", sa.String(length=120), nullable=False),
        sa.Column("date_precision", sa.String(length=10), nullable=False),
        sa.Column("date_earliest", sa.Date(), nullable=False),
        sa.Column("event_id", sa.String(length=120), nullable=False),
        sa.Column("date_latest", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        *(
            [
                sa.Column("actor_ids", sa.String(), nullable=False),
                sa.Column("claimant_ids", sa.String(), nullable=False),
            ]
            if with_ids
            else []
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_actor_events_event_id_events", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "actor_id", "date_precision", "date_earliest", "event_id", name="pk_actor_events"
        ),
        sqlite_with_rowid=False,
    )
    op.execute("DELETE FROM dataset_meta WHERE key = 'derived_version'")


def upgrade() -> None:
    _actor_events(with_ids=True)


def downgrade() -> None:
    _actor_events(with_ids=False)
