"""The load's write transaction: it takes the database's write lock before reading anything,
so that the diff a loader computes is from the state it then replaces, and two loaders run
one after the other instead of applying two diffs computed from the same state."""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from app import raw_sql

# How long a second loader waits for the first one's transaction, by default
# (CLAIMLINE_LOAD_LOCK_TIMEOUT): a load of the seeds takes well under a second.
DEFAULT_LOCK_TIMEOUT = 30.0
# The PostgreSQL advisory lock held by a load: one key for the whole database.
ADVISORY_KEY = zlib.crc32(b"claimline load")
_SQLITE_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")


class LoadBusyError(Exception):
    """Another load held the write lock for longer than the timeout; nothing was written."""


@contextmanager
def write_transaction(engine: Engine, timeout: float) -> Iterator[Connection]:
    """A transaction holding the write lock from its first statement, committed on exit;
    raises LoadBusyError when another load keeps the lock past `timeout` seconds. `engine`
    is one of make_engine's without `serving` (whose connections begin on checkout)."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            with _sqlite_immediate(conn, timeout):
                yield conn
        else:
            with conn.begin():
                try:
                    raw_sql.postgres_advisory_xact_lock(conn, ADVISORY_KEY, int(timeout * 1000))
                except OperationalError as exc:
                    if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                        raise _busy(engine, timeout) from None
                    raise
                # Transaction-level: released by the commit or the rollback, and by the
                # server when the loader's connection drops (a killed loader holds nothing).
                yield conn


@contextmanager
def _sqlite_immediate(conn: Connection, timeout: float) -> Iterator[None]:
    # pysqlite would send BEGIN only before the first write, leaving the reads of the diff
    # outside the transaction. SQLAlchemy's documented recipe: turn the driver's handling
    # off and send BEGIN ourselves, IMMEDIATE to take the write lock first.
    raw = raw_sql.sqlite_driver(conn)
    assert not raw.in_transaction, "a load needs an engine made without serving=True"
    raw_sql.sqlite_manual_transactions(raw, True)
    raw_sql.sqlite_busy_timeout(raw, int(timeout * 1000))
    try:
        with conn.begin():
            try:
                raw_sql.sqlite_begin(raw, immediate=True)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorname in _SQLITE_BUSY:
                    raise _busy(conn.engine, timeout) from None
                raise
            yield
    finally:
        # The pooled connection goes back as the engine's others are.
        if not conn.closed and not conn.invalidated:
            raw_sql.sqlite_busy_timeout(raw, raw_sql.BUSY_TIMEOUT_MS)
            raw_sql.sqlite_manual_transactions(raw, False)


def _busy(engine: Engine, timeout: float) -> LoadBusyError:
    target = engine.url.render_as_string(hide_password=True)
    return LoadBusyError(
        f"another load is writing to {target}: waited {timeout:g} s for it "
        "(CLAIMLINE_LOAD_LOCK_TIMEOUT); the database was not changed"
    )
