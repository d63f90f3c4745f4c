"""claim_conflicts, for `contested=`; event bodies gain support and contested

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _code(length: int) -> sa.types.TypeEngine[str]:
    # Compared byte by byte on PostgreSQL, as every id and code (migration 0012).
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "claim_conflicts",
        sa.Column("event_id", _code(120), nullable=False),
        sa.Column("claim_a", _code(120), nullable=False),
        sa.Column("claim_b", _code(120), nullable=False),
        sa.Column("kind", _code(10), nullable=False),
        sa.Column("quantity", _code(40), nullable=False),
        sa.Column("known_from", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_claim_conflicts_event_id_events",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "event_id", "claim_a", "claim_b", "kind", "quantity", name="pk_claim_conflicts"
        ),
        sqlite_with_rowid=False,
    )  # fmt: skip
    _bodies_change()


def _bodies_change() -> None:
    # claim_conflicts is derived, filled by the rebuild that `claimline migrate` runs next;
    # the stored event bodies gain (or lose) `support` and `contested` in the same rebuild.
    # A new data version too: a 304 must not confirm an ETag a client kept for a body of
    # the other shape. The rows still hold what the seeds say, so their digest stands.
    op.execute("UPDATE dataset_meta SET value = value || '-0020' WHERE key = 'data_version'")
    op.execute("DELETE FROM dataset_meta WHERE key = 'derived_version'")


def downgrade() -> None:
    op.drop_table("claim_conflicts")
    _bodies_change()
