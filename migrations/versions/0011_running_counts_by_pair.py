"""running_counts.value (was type): also the other actor of the by-month pair series

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _running_counts(value: str, length: int) -> None:
    # Derived, so dropped and made anew rather than altered: the next `claimline serve`
    # or load fills it again, with the pair series this revision's code writes.
    op.drop_table("running_counts")
    op.create_table(
        "running_counts",
        sa.Column("scope_kind", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column(value, sa.String(length=length), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("ended", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope_kind", "scope", value, "day", name="pk_running_counts"),
        sqlite_with_rowid=False,
    )
    op.execute("DELETE FROM dataset_meta WHERE key = 'derived_version'")


def upgrade() -> None:
    # Actor ids are up to 120 characters; event types were at most 40.
    _running_counts("value", 120)


def downgrade() -> None:
    _running_counts("type", 40)
