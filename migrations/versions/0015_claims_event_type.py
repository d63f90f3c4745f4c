"""claims.event_type, in the claimant timeline index, for /events?claimant=…&type=…

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ["claimant_id", "event_date_precision", "event_date_earliest", "event_id",
        "event_date_latest"]  # fmt: skip


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # Not batch mode: on SQLite it copies the table and drops the old one, and with foreign
    # keys on, that drop deletes every claim's via and figures (ON DELETE CASCADE). SQLite
    # adds a NOT NULL column only with a default, which no writer relies on.
    if postgres:
        op.execute('ALTER TABLE claims ADD COLUMN event_type varchar(40) COLLATE "C"')
    else:
        op.execute("ALTER TABLE claims ADD COLUMN event_type VARCHAR(40) NOT NULL DEFAULT ''")
    op.execute(
        "UPDATE claims SET event_type = (SELECT type FROM events WHERE events.id = claims.event_id)"
    )
    if postgres:
        op.execute("ALTER TABLE claims ALTER COLUMN event_type SET NOT NULL")
    op.drop_index("ix_claims_claimant_timeline", table_name="claims")
    op.create_index("ix_claims_claimant_timeline", "claims", [*_OLD, "event_type"])


def downgrade() -> None:
    op.drop_index("ix_claims_claimant_timeline", table_name="claims")
    op.create_index("ix_claims_claimant_timeline", "claims", _OLD)
    op.execute("ALTER TABLE claims DROP COLUMN event_type")
