"""claim_via carries its claim's event, dates and type, in an outlet timeline index

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = [
    ("event_id", "varchar(120)", "VARCHAR(120)"),
    ("event_date_earliest", "date", "DATE"),
    ("event_date_precision", "varchar(10)", "VARCHAR(10)"),
    ("event_date_latest", "date", "DATE"),
    ("event_type", "varchar(40)", "VARCHAR(40)"),
]
_INDEX = ["actor_id", "event_date_precision", "event_date_earliest", "event_id",
          "event_date_latest", "event_type"]  # fmt: skip


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # Not batch mode, as in 0015: on SQLite it would copy the table. SQLite adds a NOT NULL
    # column only with a default, which no writer relies on.
    for name, pg_type, sqlite_type in _COLUMNS:
        if postgres:
            collate = ' COLLATE "C"' if pg_type.startswith("varchar") else ""
            op.execute(f"ALTER TABLE claim_via ADD COLUMN {name} {pg_type}{collate}")
        else:
            op.execute(f"ALTER TABLE claim_via ADD COLUMN {name} {sqlite_type} NOT NULL DEFAULT ''")
    copied = ", ".join(name for name, _, _ in _COLUMNS)
    if postgres:
        op.execute(
            f"UPDATE claim_via AS v SET ({copied}) = (c.{', c.'.join(n for n, _, _ in _COLUMNS)}) "
            "FROM claims AS c WHERE c.id = v.claim_id"
        )
        for name, _, _ in _COLUMNS:
            op.execute(f"ALTER TABLE claim_via ALTER COLUMN {name} SET NOT NULL")
    else:
        op.execute(
            f"UPDATE claim_via SET ({copied}) = (SELECT {copied} FROM claims "
            "WHERE claims.id = claim_via.claim_id)"
        )
    op.create_index("ix_claim_via_timeline", "claim_via", _INDEX)


def downgrade() -> None:
    op.drop_index("ix_claim_via_timeline", table_name="claim_via")
    for name, _, _ in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE claim_via DROP COLUMN {name}")
