"""Engine construction. Nothing here runs at import time: callers pass the URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from app import raw_sql


def make_engine(url: str, snapshot_reads: bool = False, **kwargs: Any) -> Engine:
    """An engine on `url`. With `snapshot_reads` (the server's), everything a connection reads
    between its checkout and its return sees one state of the data, even while a load
    commits: a response never mixes two data versions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # One connection per threadpool worker (anyio's default is 40): a request should
        # never queue for a pooled SQLite connection, which costs nothing to keep open.
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 40)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", raw_sql.sqlite_pragmas)
        if snapshot_reads:
            _sqlite_snapshot_reads(engine)
        return engine
    if snapshot_reads:
        # Read committed would give each statement of a request its own snapshot.
        kwargs.setdefault("isolation_level", "REPEATABLE READ")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_snapshot_reads(engine: Engine) -> None:
    """pysqlite sends BEGIN only before a write, so each SELECT of a request would read
    its own state of the file. SQLAlchemy's documented recipe: turn the driver's
    transaction handling off and send BEGIN ourselves; here at checkout too, since the
    fast paths read through the driver's cursor (app/raw_sql.py) before any SQLAlchemy
    statement would begin a transaction."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "checkout")
    def _begin_at_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if not dbapi_connection.in_transaction:
            dbapi_connection.execute("BEGIN")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        driver = conn.connection.driver_connection
        if driver is not None and not driver.in_transaction:
            conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "checkin")
    def _end_at_checkin(dbapi_connection: Any, _record: Any) -> None:
        # A read-only transaction: ending it frees its snapshot for the WAL's checkpoints.
        if dbapi_connection is not None and dbapi_connection.in_transaction:
            dbapi_connection.rollback()
