"""Migrations are the only way the schema changes; they run both ways on both databases."""

from sqlalchemy import inspect

from app import migrate
from app.db import make_engine

TABLES = {"actors", "actor_aliases", "documents", "events", "event_actors", "claims",
          "claim_via", "figures", "dataset_meta", "actor_events", "event_json"}  # fmt: skip


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_check(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert _tables(database_url) == TABLES
    migrate.check(database_url)  # raises if the models and the migrations disagree
    migrate.downgrade(database_url, "base")
    assert _tables(database_url) == set()
    migrate.upgrade(database_url)
    assert _tables(database_url) == TABLES
    engine = make_engine(database_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
