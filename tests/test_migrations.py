"""Migrations are the only way the schema changes; they run both ways on both databases."""

from datetime import date

import pytest
from sqlalchemy import inspect, select, text

from app import migrate
from app.db import make_engine
from app.models import dataset_meta_table, events_table
from tests.conftest import fresh_postgres_database

TABLES = {"actors", "actor_aliases", "documents", "events", "event_actors", "claims",
          "claim_via", "figures", "dataset_meta", "actor_events", "event_json", "search_entries",
          "actor_ancestors", "running_counts", "tombstones", "claim_conflicts"}  # fmt: skip
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


# Ids that a linguistic collation orders otherwise than bytes do: case first, and hyphens
# weighed after letters.
_IDS = ["ev-B", "ev-a", "ev-a-b", "ev-ab", "ev-Z9", "ev-10", "ev-9", "ev_a"]


def _event(event_id: str) -> dict[str, object]:
    day = date(2024, 10, 18)
    return {"id": event_id, "type": "statement", "title": event_id, "summary": "",
            "date_edtf": "2024-10-18", "date_earliest": day, "date_latest": day,
            "date_precision": "day", "date_approximate": False, "date_uncertain": False,
            "date_basis": "test"}  # fmt: skip


@pytest.mark.parametrize(
    ("options", "stays_fresh"),
    [
        ("TEMPLATE template0 LOCALE_PROVIDER libc LOCALE 'C.UTF-8'", True),
        ("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'", False),
    ],
    ids=["libc-C.UTF-8", "icu-en-US"],
)
def test_ids_sort_as_bytes_whatever_the_servers_collation(options: str, stays_fresh: bool) -> None:
    """Migration 0012: ids and codes are COLLATE "C" on PostgreSQL, so they sort as SQLite
    and Python sort them; free text keeps the server's order. On a database whose default
    collation is linguistic (ICU en-US here) the ids sorted otherwise before it, and the
    upgrade marks the derived tables stale (search entries are numbered in id order); under
    C.UTF-8, which already sorts as bytes do, they stay fresh."""
    with fresh_postgres_database(options) as url:
        migrate.upgrade(url, "0011")
        engine = make_engine(url)

        def order(column: str) -> list[str]:
            with engine.connect() as conn:
                return list(
                    conn.execute(
                        text(f"SELECT {column} FROM events ORDER BY {column}, id")
                    ).scalars()
                )

        try:
            with engine.begin() as conn:
                conn.execute(events_table.insert(), [_event(i) for i in _IDS])
                conn.execute(dataset_meta_table.insert(), [
                    {"key": "version", "value": "v1"}, {"key": "derived_version", "value": "v1"}
                ])  # fmt: skip
            server_order = order("id")
            assert (server_order == sorted(_IDS)) == stays_fresh
            migrate.upgrade(url, "0012")
            assert order("id") == sorted(_IDS)
            assert order("title") == server_order  # free text: the server's collation
            with engine.connect() as conn:
                derived = conn.execute(
                    select(dataset_meta_table.c.value).where(dataset_meta_table.c.key == "derived_version")
                ).scalar()  # fmt: skip
            assert (derived == "v1") == stays_fresh
            migrate.downgrade(url, "0011")
            assert order("id") == server_order
        finally:
            engine.dispose()


def test_search_words_migration_marks_the_derived_tables_stale(database_url: str) -> None:
    """Migration 0013: the indexes' words change (app/search.py), so the derived tables are
    marked for a rebuild on both databases; SQLite's FTS5 table takes the ascii tokenizer,
    and gives it back to unicode61 on downgrade."""
    migrate.upgrade(database_url, "0012")
    engine = make_engine(database_url)

    def state() -> tuple[str | None, str | None]:
        with engine.connect() as conn:
            derived = conn.execute(
                select(dataset_meta_table.c.value).where(dataset_meta_table.c.key == "derived_version")
            ).scalar()  # fmt: skip
            fts = None
            if engine.dialect.name == "sqlite":
                fts = conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = 'search_fts'"
                ).scalar_one()
        return derived, fts

    try:
        with engine.begin() as conn:
            conn.execute(dataset_meta_table.insert(), [{"key": "derived_version", "value": "v1"}])
        assert state()[0] == "v1"
        migrate.upgrade(database_url)
        derived, fts = state()
        assert derived is None
        assert fts is None or "tokenize='ascii'" in fts
        migrate.downgrade(database_url, "0012")
        derived, fts = state()
        assert derived is None
        assert fts is None or "tokenize='unicode61 remove_diacritics 2'" in fts
    finally:
        engine.dispose()
