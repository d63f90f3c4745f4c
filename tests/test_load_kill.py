"""A load killed with SIGKILL at random moments of its write transaction leaves the database
holding the previous dataset or the new one, whole, and the next load succeeds."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from app.db import make_engine
from app.loader import load_dataset, validate_seeds
from app.loader.lock import ADVISORY_KEY
from tests.faulttools import LoadForker, data_version, prepare

KILLS = 20
SEED = 29


def _writer_holds_lock(engine: Engine) -> bool:
    """Whether a load's write transaction is open: its lock is taken."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            held = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND objid = :key AND granted"
                ),
                {"key": ADVISORY_KEY},
            ).scalar_one()
        return bool(held)
    # SQLite: try for the write lock without waiting; busy means the load has it.
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.isolation_level = None
        conn.exec_driver_sql("PRAGMA busy_timeout=0")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except OperationalError:
            return True
        finally:
            if driver.in_transaction:
                conn.exec_driver_sql("ROLLBACK")
            conn.exec_driver_sql("PRAGMA busy_timeout=5000")
            conn.commit()
            driver.isolation_level = ""
        return False


def _write_seconds(engine: Engine, seeds: tuple[Path, Path]) -> float:
    """How long a load's write transaction lasts here: the shorter of the two directions,
    each timed after a first, warming round (the database holds the first version on entry
    and on exit). A first load can take many times longer (imports, cold pages), which put
    every kill past the commit."""
    datasets = [validate_seeds(s) for s in (seeds[1], seeds[0])]
    times = []
    for _ in range(2):
        times = []
        for dataset in datasets:
            started = time.perf_counter()
            load_dataset(engine, dataset)
            times.append(time.perf_counter() - started)
    return min(times)


@pytest.mark.slow
def test_a_killed_load_leaves_the_old_or_the_new_dataset(database_url: str, tmp_path: Path) -> None:
    versions = prepare(database_url, tmp_path)
    engine = make_engine(database_url)
    probe = make_engine(database_url)
    datasets = [validate_seeds(s) for s in versions.seeds]
    rng = random.Random(SEED)
    outcomes = {"old": 0, "new": 0}
    try:
        window = _write_seconds(engine, versions.seeds)
        with LoadForker(database_url, tmp_path / "logs") as loads:
            for kill in range(KILLS):
                before, version = versions.which(engine), data_version(engine)
                target = 1 - before
                pid, log = loads.start(versions.seeds[target])
                deadline = time.monotonic() + 30
                while not _writer_holds_lock(probe):
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.002)
                # Somewhere in the write transaction, or just past its end.
                time.sleep(rng.uniform(0, window * 1.3))
                os.kill(pid, signal.SIGKILL)
                status = loads.wait(pid)
                after = versions.which(engine)
                assert after in (before, target)
                # The data version (ETags, caches) changed if and only if the data did.
                assert (data_version(engine) != version) == (after == target)
                outcomes["old" if after == before else "new"] += 1
                if not outcomes["old"]:
                    # Every kill so far came after the commit: aim earlier.
                    window *= 0.8
                assert status in (0, -signal.SIGKILL), (kill, status, log.read_text())

                # The next load succeeds, from whatever the killed one left.
                load_dataset(engine, datasets[target], lock_timeout=10)
                assert versions.which(engine) == target
    finally:
        engine.dispose()
        probe.dispose()
    print(f"{KILLS} kills, write window {window * 1000:.0f} ms: {outcomes}")
    # Killed inside the transaction at least once (else the test proved nothing).
    assert outcomes["old"] >= 1, outcomes
