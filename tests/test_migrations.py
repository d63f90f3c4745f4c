"""Migrations are the only way the schema changes; they run both ways on both databases."""

from sqlalchemy import inspect

from app import migrate
from app.db import make_engine

TABLES = {"actors", "actor_aliases", "documents", "events", "event_actors", "claims",
          "claim_via", "figures", "dataset_meta", "actor_events", "event_json", "search_entries",
          "actor_ancestors", "running_counts"}  # fmt: skip
# SQLite's full-text index: the FTS5 table and the shadow tables it keeps its index in.
FTS = {"search_fts", "search_fts_config", "search_fts_data", "search_fts_idx"}


def _expected(url: str) -> set[str]:
    return TABLES | FTS if url.startswith("sqlite") else TABLES


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_check(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert _tables(database_url) == _expected(database_url)
    migrate.check(database_url)  # raises if the models and the migrations disagree
    migrate.downgrade(database_url, "base")
    assert _tables(database_url) == set()
    migrate.upgrade(database_url)
    assert _tables(database_url) == _expected(database_url)
    engine = make_engine(database_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_event_bodies_are_compressed_with_lz4_on_postgresql(postgres_url: str) -> None:
    """Migration 0010: lz4 on a server that has it (this machine's PostgreSQL 15 does),
    and back to the default compression on downgrade. SQLite has no such setting."""
    database_url = postgres_url
    engine = make_engine(database_url)

    def method() -> str:
        with engine.connect() as conn:
            return str(conn.exec_driver_sql(
                "SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'event_json'::regclass AND attname = 'body'"
            ).scalar_one())  # fmt: skip

    try:
        migrate.upgrade(database_url)
        assert method() == "l"
        migrate.downgrade(database_url, "0009")
        assert method() == ""
        migrate.upgrade(database_url)
        assert method() == "l"
    finally:
        engine.dispose()
