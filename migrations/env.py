"""Alembic environment: the URL comes from settings (or the caller), never from alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers the tables on the metadata)
from app.config import Settings
from app.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


# Made by migration 0006 for one database only, so not in the models: SQLite's FTS5 table
# (and the shadow tables FTS5 keeps) and PostgreSQL's GIN index.
_PER_DATABASE = ("search_fts", "ix_search_entries_tsv")


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return name is None or not name.startswith(_PER_DATABASE)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.attributes.get("database_url") or Settings.from_env().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
run_migrations_online()
