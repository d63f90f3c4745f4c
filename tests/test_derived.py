"""The derived tables the loader rebuilds and migrations fill agree with the data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, Engine, func, select, update

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


# Each migration that adds a column to actor_events fills it as a load would: (the revision
# before it, the column, a wrong value, the check).
FILLED_BY_MIGRATIONS = [
    ("0016", "hedge_mask", 0, hedge_mask_mismatches),
    ("0015", "known_first", None, known_first_mismatches),
]


@pytest.mark.parametrize(("before", "column", "wrong", "mismatches"), FILLED_BY_MIGRATIONS)
def test_a_migration_fills_its_actor_events_column(
    engine: Engine,
    database_url: str,
    before: str,
    column: str,
    wrong: object,
    mismatches: Callable[[Connection], int],
) -> None:
    migrate_and_load(database_url)
    migrate.downgrade(database_url, before)
    migrate.upgrade(database_url)
    with engine.connect() as conn:
        assert mismatches(conn) == 0
        # The check sees a wrong value: it is not vacuous.
        conn.execute(update(AE).values({column: wrong}))
        assert mismatches(conn) > 0
