"""created_at and updated_at on events, claims, actors and documents; tombstones

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("actors", "documents", "events", "claims")
_COLUMNS = ("created_at", "updated_at")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # Records already there get the migration's instant for both: when they first appeared
    # is not known, and a client syncing from before it must fetch them all anyway.
    now = datetime.now(UTC)
    for table in _TABLES:
        for column in _COLUMNS:
            if postgres:
                # A constant default fills the rows without rewriting the table; dropped
                # then, so that a writer that forgets the column fails.
                stamp = now.isoformat()
                op.execute(
                    f"ALTER TABLE {table} ADD COLUMN {column} TIMESTAMP WITH TIME ZONE "
                    f"NOT NULL DEFAULT '{stamp}'"
                )
                op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT")
            else:
                # Not batch mode (see 0015): SQLite adds a NOT NULL column only with a
                # default, which no writer relies on. UTC wall time, as models.UtcDateTime
                # writes it.
                stamp = now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
                op.execute(
                    f"ALTER TABLE {table} ADD COLUMN {column} DATETIME NOT NULL DEFAULT '{stamp}'"
                )
        op.create_index(f"ix_{table}_updated_at_id", table, ["updated_at", "id"])
    op.create_table(
        "tombstones",
        sa.Column("kind", sa.String(length=20).with_variant(
            sa.String(length=20, collation="C"), "postgresql"), nullable=False),
        sa.Column("id", sa.String(length=120).with_variant(
            sa.String(length=120, collation="C"), "postgresql"), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id", name="pk_tombstones"),
    )  # fmt: skip
    op.create_index("ix_tombstones_removed_at_kind_id", "tombstones", ["removed_at", "kind", "id"])
    _stale_renders()


def downgrade() -> None:
    op.drop_index("ix_tombstones_removed_at_kind_id", table_name="tombstones")
    op.drop_table("tombstones")
    for table in _TABLES:
        op.drop_index(f"ix_{table}_updated_at_id", table_name=table)
        for column in _COLUMNS:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    _stale_renders()


def _stale_renders() -> None:
    # The pre-rendered event JSON gains (or loses) the timestamps: the next `serve` or load
    # renders it again. A new data version, so that no cache or ETag serves the old shape.
    op.execute("DELETE FROM dataset_meta WHERE key = 'derived_version'")
    op.execute(
        sa.text("UPDATE dataset_meta SET value = :version WHERE key = 'data_version'").bindparams(
            version=uuid.uuid4().hex
        )
    )
