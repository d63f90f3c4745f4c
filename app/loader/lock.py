"""The load's write transaction: it takes the database's write lock before reading anything,
so that the diff a loader computes is from the state it then replaces, and two loaders run
one after the other instead of applying two diffs computed from the same state."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

# How long a second loader waits for the first one's transaction, by default
# (CLAIMLINE_LOAD_LOCK_TIMEOUT): a load of the seeds takes well under a second.
DEFAULT_LOCK_TIMEOUT = 30.0
# The PostgreSQL advisory lock held by a load: one key for the whole database.
ADVISORY_KEY = zlib.crc32(b"claimline load")
# SQLite's usual wait for a lock (app/raw_sql.py), put back before the connection is pooled.
_POOLED_BUSY_TIMEOUT_MS = 5000
_SQLITE_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")


class LoadBusyError(Exception):
    """Another load held the write lock for longer than the timeout; nothing was written."""


@contextmanager
def write_transaction(engine: Engine, timeout: float) -> Iterator[Connection]:
    """A transaction holding the write lock from its first statement, committed on exit;
    raises LoadBusyError when another load keeps the lock past `timeout` seconds."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            with _sqlite_immediate(conn, timeout):
                yield conn
        else:
            with conn.begin():
                _postgres_lock(conn, engine, timeout)
                yield conn


@contextmanager
def _sqlite_immediate(conn: Connection, timeout: float) -> Iterator[None]:
    # pysqlite sends its own BEGIN only before the first INSERT/UPDATE/DELETE, so the reads of
    # the diff would run outside the transaction. SQLAlchemy's documented recipe: turn the
    # driver's transaction handling off and send BEGIN ourselves; IMMEDIATE takes the write
    # lock there and then, waiting for it up to busy_timeout.
    driver = conn.connection.driver_connection
    assert driver is not None
    saved = driver.isolation_level
    driver.isolation_level = None
    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    conn.commit()  # ends SQLAlchemy's autobegun transaction; SQLite had none open
    try:
        with conn.begin():
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError as exc:
                if str(getattr(exc.orig, "sqlite_errorname", "")) in _SQLITE_BUSY:
                    raise _busy(conn.engine, timeout) from None
                raise
            yield
    finally:
        # Whatever happened, the pooled connection goes back as the engine's others are.
        if not conn.closed and not conn.invalidated:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={_POOLED_BUSY_TIMEOUT_MS}")
            conn.commit()
            driver.isolation_level = saved


def _postgres_lock(conn: Connection, engine: Engine, timeout: float) -> None:
    # A transaction-level lock: released by the commit or the rollback, and by the server
    # when the loader's connection drops (a killed loader never leaves it held).
    wait = {"ms": f"{max(1, int(timeout * 1000))}ms"}  # 0 would mean no limit at all
    conn.execute(text("SELECT set_config('lock_timeout', :ms, true)"), wait)
    try:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
            raise _busy(engine, timeout) from None
        raise
    # The load's own statements are not bound by the wait above.
    conn.execute(text("SELECT set_config('lock_timeout', '0', true)"))


def _busy(engine: Engine, timeout: float) -> LoadBusyError:
    target = engine.url.render_as_string(hide_password=True)
    return LoadBusyError(
        f"another load is writing to {target}: waited {timeout:g} s for it "
        "(CLAIMLINE_LOAD_LOCK_TIMEOUT); the database was not changed"
    )
