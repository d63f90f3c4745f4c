"""claims.event_date_precision and event_date_latest, indexed with the claimant for
/events?claimant=

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_date_precision", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("event_date_latest", sa.Date(), nullable=True))
    op.execute(
        "UPDATE claims SET "
        "event_date_precision = (SELECT date_precision FROM events WHERE events.id = claims.event_id), "
        "event_date_latest = (SELECT date_latest FROM events WHERE events.id = claims.event_id)"
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.alter_column(
            "event_date_precision", existing_type=sa.String(length=10), nullable=False
        )
        batch_op.alter_column("event_date_latest", existing_type=sa.Date(), nullable=False)
        batch_op.create_index(
            "ix_claims_claimant_timeline",
            ["claimant_id", "event_date_precision", "event_date_earliest", "event_id",
             "event_date_latest"],
            unique=False,
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_claimant_timeline")
        batch_op.drop_column("event_date_latest")
        batch_op.drop_column("event_date_precision")
