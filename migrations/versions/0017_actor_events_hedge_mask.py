"""actor_events.hedge_mask, so that /events?actor=…&hedge=… tests the row it scans

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# vocab.HEDGE_BITS as it stood: a migration keeps the values it was written with.
_BITS = ("confirmed", "asserted", "estimated", "reported", "alleged", "expected", "speculative")


def upgrade() -> None:
    op.execute("ALTER TABLE actor_events ADD COLUMN hedge_mask INTEGER NOT NULL DEFAULT 0")
    bit = " ".join(f"WHEN '{hedge}' THEN {1 << i}" for i, hedge in enumerate(_BITS))
    # A sum of distinct bits is their OR.
    op.execute(
        "UPDATE actor_events SET hedge_mask = coalesce((SELECT sum(DISTINCT CASE claims.hedge "
        f"{bit} END) FROM claims WHERE claims.event_id = actor_events.event_id), 0)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE actor_events DROP COLUMN hedge_mask")
