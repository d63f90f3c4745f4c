"""claims.event_date_earliest, indexed with the claimant for /claims?claimant=

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_date_earliest", sa.Date(), nullable=True))
    op.execute(
        "UPDATE claims SET event_date_earliest = "
        "(SELECT date_earliest FROM events WHERE events.id = claims.event_id)"
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.alter_column("event_date_earliest", existing_type=sa.Date(), nullable=False)
        batch_op.drop_index("ix_claims_claimant_id_event_id")
        batch_op.create_index(
            "ix_claims_claimant_id_event_date_earliest_id",
            ["claimant_id", "event_date_earliest", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_claimant_id_event_date_earliest_id")
        batch_op.create_index(
            "ix_claims_claimant_id_event_id", ["claimant_id", "event_id"], unique=False
        )
        batch_op.drop_column("event_date_earliest")
