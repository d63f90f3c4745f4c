"""events.location_key for `location=`; PostgreSQL's unaccent extension dropped

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.search import phrase_key

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENTS = sa.table(
    "events",
    sa.column("id", sa.String),
    sa.column("location_name", sa.String),
    sa.column("location_key", sa.Text),
)


def upgrade() -> None:
    op.add_column("events", sa.Column("location_key", sa.Text(), nullable=True))
    bind = op.get_bind()
    named = bind.execute(
        sa.select(_EVENTS.c.id, _EVENTS.c.location_name).where(_EVENTS.c.location_name.is_not(None))
    ).all()
    if named:
        bind.execute(
            _EVENTS.update()
            .where(_EVENTS.c.id == sa.bindparam("event_id"))
            .values(location_key=sa.bindparam("key")),
            [{"event_id": i, "key": phrase_key(name)} for i, name in named],
        )
    if bind.dialect.name == "postgresql":
        _drop_unaccent_if_ours(bind)


def _drop_unaccent_if_ours(bind: sa.Connection) -> None:
    # Migration 0006 created it for search, which no longer uses it (0013). Dropped only
    # when the migrating role owns it and nothing else depends on it: an extension an
    # administrator installed for other uses stays.
    owned = bind.execute(
        sa.text(
            "SELECT 1 FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner "
            "WHERE e.extname = 'unaccent' AND r.rolname = current_user"
        )
    ).first()
    if owned is None:
        return
    used = bind.execute(
        sa.text(
            "SELECT 1 FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid "
            "WHERE e.extname = 'unaccent' AND d.refclassid = 'pg_extension'::regclass "
            "AND d.deptype <> 'e'"
        )
    ).first()
    if used is None:
        op.execute("DROP EXTENSION unaccent")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    # Not batch mode: on SQLite it copies the table and drops the old one, and with foreign
    # keys on, that drop deletes every event's actors and claims (ON DELETE CASCADE).
    op.execute("ALTER TABLE events DROP COLUMN location_key")
