"""The derived tables the loader rebuilds and migrations fill agree with the data."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, update

from app import migrate
from app.derived import hedge_mask_mismatches, known_first_mismatches
from app.models import actor_events_table as AE
from tests.conftest import migrate_and_load


def test_loaded_actor_events_know_each_events_first_claim(loaded_engine: Engine) -> None:
    with loaded_engine.connect() as conn:
        assert known_first_mismatches(conn) == 0
        assert conn.execute(select(func.count()).where(AE.c.known_first.is_not(None))).scalar()


def test_loaded_actor_events_hold_each_events_hedges(loaded_engine: Engine) -> None:
    with loaded_engine.connect() as conn:
        assert hedge_mask_mismatches(conn) == 0
        masks = {m for (m,) in conn.execute(select(AE.c.hedge_mask).distinct())}
    # Single hedges and mixes of them, never an event without one.
    assert 0 not in masks and any(m & (m - 1) for m in masks), masks


def test_migration_0017_fills_hedge_mask(engine: Engine, database_url: str) -> None:
    migrate_and_load(database_url)
    migrate.downgrade(database_url, "0016")
    migrate.upgrade(database_url)
    with engine.connect() as conn:
        assert hedge_mask_mismatches(conn) == 0
        conn.execute(update(AE).values(hedge_mask=0))
        assert hedge_mask_mismatches(conn) > 0


def test_migration_0016_fills_known_first(engine: Engine, database_url: str) -> None:
    migrate_and_load(database_url)
    migrate.downgrade(database_url, "0015")
    migrate.upgrade(database_url)
    with engine.connect() as conn:
        assert known_first_mismatches(conn) == 0
        # The check sees a wrong value: it is not vacuous.
        conn.execute(update(AE).values(known_first=None))
        assert known_first_mismatches(conn) > 0
