"""Engine construction. Nothing here runs at import time: callers pass the URL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from app import raw_sql


def make_engine(url: str, serving: bool = False, **kwargs: Any) -> Engine:
    """An engine on `url`. With `serving` (the server's): everything a connection reads
    between its checkout and its return sees one state of the data, even while a load
    commits, so a response never mixes two data versions; and a SQLite file that is gone is
    an outage (503s until it is back), never replaced by a new empty one."""
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
        if serving and database and database != ":memory:":
            _sqlite_serving(engine, Path(database))
        return engine
    if serving:
        # Read committed would give each statement of a request its own snapshot.
        kwargs.setdefault("isolation_level", "REPEATABLE READ")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_serving(engine: Engine, path: Path) -> None:
    """The server's SQLite connections: one snapshot per checkout, and the file checked."""
    if path.exists():

        @event.listens_for(engine, "do_connect")
        def _open_existing(_dialect: Any, _record: Any, cargs: list[Any], cparams: Any) -> None:
            # mode=rw: once the file is gone, an error, not a new empty database in its place.
            # (A server started before any file makes it, and says the schema is missing.)
            cargs[:] = [f"{path.resolve().as_uri()}?mode=rw"]
            cparams["uri"] = True

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(raw: Any, record: Any) -> None:
        # pysqlite sends BEGIN only before a write, so each SELECT of a request would read
        # its own state of the file. SQLAlchemy's documented recipe: turn the driver's
        # transaction handling off and send BEGIN ourselves (below).
        raw_sql.sqlite_manual_transactions(raw, True)
        record.info[_FILE_KEY] = _identity(path)

    @event.listens_for(engine, "checkout")
    def _check_and_begin(raw: Any, record: Any, _proxy: Any) -> None:
        # An open connection reads the file it opened, even once that file was moved away
        # or replaced: drop it then (the pool reconnects, and fails while the file is gone).
        if _identity(path) != record.info.get(_FILE_KEY):
            raise DisconnectionError(f"{path} is gone or was replaced")
        # Begun here, not on SQLAlchemy's first statement: the fast paths read through the
        # driver's cursor (app/raw_sql.py) before any such statement.
        raw_sql.sqlite_begin(raw)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        raw_sql.sqlite_begin(raw_sql.sqlite_driver(conn))

    @event.listens_for(engine, "checkin")
    def _end_at_checkin(raw: Any, _record: Any) -> None:
        # A read-only transaction: ending it frees its snapshot for the WAL's checkpoints.
        if raw is not None and raw.in_transaction:
            raw.rollback()


_FILE_KEY = "claimline_sqlite_file"


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino
