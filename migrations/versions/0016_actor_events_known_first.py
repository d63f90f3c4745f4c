"""actor_events.known_first, so that /events?actor=…&known_as_of=… reads no claims

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (not batch mode): SQLite appends it without copying the table.
    op.execute("ALTER TABLE actor_events ADD COLUMN known_first DATE")
    op.execute(
        "UPDATE actor_events SET known_first = "
        "(SELECT min(known_from) FROM claims WHERE claims.event_id = actor_events.event_id)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE actor_events DROP COLUMN known_first")
