"""The load's write transaction: it takes the database's write lock before reading anything,
so that the diff a loader computes is from the state it then replaces, and two loaders run
one after the other instead of applying two diffs computed from the same state."""

from __future__ import annotations

import contextlib
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, make_url
from sqlalchemy.exc import OperationalError

from app import raw_sql

# How long a second loader waits for the first one's transaction, by default
# (CLAIMLINE_LOAD_LOCK_TIMEOUT): a load of the seeds takes well under a second.
DEFAULT_LOCK_TIMEOUT = 30.0
# The PostgreSQL advisory lock held by a load: one key for the whole database.
ADVISORY_KEY = zlib.crc32(b"claimline load")
# Held by a schema upgrade, apart from the load's: migrations run in their own transactions.
MIGRATION_KEY = zlib.crc32(b"claimline migrate")
_SQLITE_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")
MIGRATING = "process is upgrading the schema of"


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
                        raise _busy(engine.url, timeout) from None
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
                    raise _busy(conn.engine.url, timeout) from None
                raise
            yield
    finally:
        # The pooled connection goes back as the engine's others are.
        if not conn.closed and not conn.invalidated:
            raw_sql.sqlite_busy_timeout(raw, raw_sql.BUSY_TIMEOUT_MS)
            raw_sql.sqlite_manual_transactions(raw, False)


def _busy(url: URL, timeout: float, doing: str = "load is writing to") -> LoadBusyError:
    target = url.render_as_string(hide_password=True)
    return LoadBusyError(
        f"another {doing} {target}: waited {timeout:g} s for it "
        "(CLAIMLINE_LOAD_LOCK_TIMEOUT); the database was not changed"
    )


@contextmanager
def migration_lock(database_url: str, timeout: float) -> Iterator[None]:
    """Held around a schema upgrade, so that two processes starting on a database that is
    not yet migrated upgrade it one after the other (the second then finds it at head)
    instead of both creating the same tables. LoadBusyError past `timeout` seconds."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        with _postgres_session_lock(database_url, timeout):
            yield
    elif url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(url.database or "")
        # As make_engine does: a first run creates the database's folder (data/ by default).
        with contextlib.suppress(OSError):  # read-only: see _file_lock
            database.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock(Path(f"{database}.migrate-lock"), database_url, timeout):
            yield
    else:
        yield


@contextmanager
def _postgres_session_lock(database_url: str, timeout: float) -> Iterator[None]:
    from app.db import make_engine  # app.db imports the models; keep this module light

    engine = make_engine(database_url)
    try:
        # Its own connection, idle while Alembic migrates on another; session-level, so
        # the server releases it if this process dies.
        with engine.connect() as conn:
            with conn.begin():
                try:
                    raw_sql.postgres_advisory_lock(conn, MIGRATION_KEY, int(timeout * 1000))
                except OperationalError as exc:
                    if getattr(exc.orig, "sqlstate", None) == "55P03":
                        raise _busy(engine.url, timeout, MIGRATING) from None
                    raise
            try:
                yield
            finally:
                raw_sql.postgres_advisory_unlock(conn, MIGRATION_KEY)
                conn.commit()
    finally:
        engine.dispose()


@contextmanager
def _file_lock(path: Path, database_url: str, timeout: float) -> Iterator[None]:
    # flock on a file of our own beside the database: SQLite's own locks are POSIX record
    # locks on the database file, which closing any other descriptor of it would drop.
    try:
        import fcntl
    except ImportError:  # not POSIX: the upgrade runs unserialised, as before
        yield
        return
    try:
        handle = open(path, "a")  # noqa: SIM115 (closed below, after the wait)
    except OSError:
        # A read-only folder: no one can upgrade this database, so there is nothing to
        # serialise, and the upgrade (or the load) fails with its own one-line error.
        yield
        return
    with handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _busy(make_url(database_url), timeout, MIGRATING) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
