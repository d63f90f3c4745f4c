"""running_counts for facet counts; actor_events.type

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _actor_events(with_type: bool) -> None:
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
        *([sa.Column("type", sa.String(length=40), nullable=False)] if with_type else []),
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
    _actor_events(with_type=True)
    op.create_table(
        "running_counts",
        sa.Column("scope_kind", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("ended", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope_kind", "scope", "type", "day", name="pk_running_counts"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("running_counts")
    _actor_events(with_type=False)
