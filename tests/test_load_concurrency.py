"""Two `claimline load` runs at once, with different seeds: the second waits for the
first's write lock, and the database ends holding exactly one of the two versions; a load
that cannot get the lock in time stops with one line, having written nothing. On a database
never migrated, the two upgrade its schema one after the other (the migration lock)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from app import migrate
from app.db import make_engine
from app.loader import load_dataset, validate_seeds
from app.loader.lock import ADVISORY_KEY, migration_lock
from tests.conftest import SEEDS_DIR, fresh_postgres_database
from tests.faulttools import LoadForker, Versions, prepare, snapshot, start_load

ROUNDS = 6
SQLITE_QUEUE_SECONDS = 1.0


@contextmanager
def holding_write_lock(engine: Engine) -> Iterator[None]:
    """The lock a load takes, held by the test: loads started meanwhile queue behind it."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.isolation_level = None
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                conn.exec_driver_sql("ROLLBACK")
                driver.isolation_level = ""
            return
        with conn.begin():
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
            yield


def _waiting_loads(engine: Engine) -> int:
    """How many loads wait for the advisory lock (PostgreSQL)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND objid = :key AND NOT granted"
                ),
                {"key": ADVISORY_KEY},
            ).scalar_one()
        )


def _race(
    versions: Versions, loads: LoadForker, first: int, held: bool, engine: Engine
) -> list[tuple[int, str]]:
    """Start loads of versions 1 and 2, `first` first; with `held`, both queue behind the
    test's lock before either runs. Each load's exit status and output."""
    seeds = [versions.seeds[first], versions.seeds[3 - first]]
    with holding_write_lock(engine) if held else nullcontext():
        started = [loads.start(s) for s in seeds]
        if held:
            _until_both_wait(engine)
    return [(loads.wait(pid), log.read_text()) for pid, log in started]


def _until_both_wait(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        # SQLite shows no waiter: give them the time of a validation.
        time.sleep(SQLITE_QUEUE_SECONDS)
        return
    deadline = time.monotonic() + 30
    while _waiting_loads(engine) < 2:
        assert time.monotonic() < deadline, "the loads never queued for the lock"
        time.sleep(0.02)


@pytest.mark.slow
def test_two_loaders_at_once_leave_exactly_one_version(database_url: str, tmp_path: Path) -> None:
    # Each round starts from the seeds; the two loads' versions each rename every event and
    # remove a different claim, so two diffs computed from the same state would leave both
    # claims removed.
    versions = prepare(database_url, tmp_path, versions=3)
    seeds = validate_seeds(versions.seeds[0])
    engine = make_engine(database_url)
    try:
        with LoadForker(database_url, tmp_path / "logs") as loads:
            for round_ in range(ROUNDS):
                load_dataset(engine, seeds)
                held = round_ % 2 == 1
                results = _race(versions, loads, 1 + round_ // 2 % 2, held, engine)
                for status, output in results:
                    assert (status, "Traceback" in output) == (0, False), output
                assert versions.which(engine) in (1, 2)
    finally:
        engine.dispose()


def test_a_load_that_cannot_get_the_lock_stops_with_one_line(
    database_url: str, tmp_path: Path
) -> None:
    versions = prepare(database_url, tmp_path)
    engine = make_engine(database_url)
    try:
        with holding_write_lock(engine):
            proc = start_load(versions.url, versions.seeds[1], CLAIMLINE_LOAD_LOCK_TIMEOUT="0.5")
            _, err = proc.communicate(timeout=60)
        assert proc.returncode == 1
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("another load is writing to"), err
        assert "waited 0.5 s" in lines[0]
        assert versions.which(engine) == 0  # nothing written
    finally:
        engine.dispose()


MIGRATION_ROUNDS = 4


@contextmanager
def _never_migrated(dialect: str, path: Path) -> Iterator[str]:
    if dialect == "sqlite":
        yield f"sqlite:///{path}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_two_loaders_on_a_never_migrated_database_migrate_one_after_the_other(
    dialect: str, tmp_path: Path
) -> None:
    # Each load upgrades the schema first; unserialised, both created the same tables and
    # one failed ("table actors already exists").
    expected = None
    with LoadForker(None, tmp_path / "logs") as loads:
        for round_ in range(MIGRATION_ROUNDS):
            with _never_migrated(dialect, tmp_path / f"round-{round_}.db") as url:
                started = [loads.start(SEEDS_DIR, url) for _ in range(2)]
                results = [(loads.wait(pid), log.read_text()) for pid, log in started]
                for status, output in results:
                    assert (status, "Traceback" in output) == (0, False), output
                endings = sorted(output.strip().splitlines()[-1] for _, output in results)
                assert endings == [
                    "loaded",
                    "nothing to change: the database already matches",
                ], results
                engine = make_engine(url)
                try:
                    assert migrate.current_revision(engine) == migrate.head_revision()
                    rows = snapshot(engine)
                finally:
                    engine.dispose()
                expected = expected or rows
                assert rows == expected


def test_an_upgrade_that_cannot_get_the_migration_lock_stops_with_one_line(
    database_url: str,
) -> None:
    with migration_lock(database_url, timeout=5):
        proc = start_load(database_url, SEEDS_DIR, CLAIMLINE_LOAD_LOCK_TIMEOUT="0.5")
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("another process is upgrading the schema of"), err
    assert "waited 0.5 s" in lines[0]
    engine = make_engine(database_url)
    try:
        assert migrate.current_revision(engine) is None  # nothing written
    finally:
        engine.dispose()


def test_an_upgrade_creates_the_folder_of_a_new_sqlite_file(tmp_path: Path) -> None:
    # A fresh clone has no data/ yet: the lock file beside the database must not fail first.
    url = f"sqlite:///{tmp_path / 'not' / 'yet' / 'claimline.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
