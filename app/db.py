"""Engine construction. Nothing here runs at import time: callers pass the URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from app import raw_sql


def make_engine(url: str, **kwargs: Any) -> Engine:
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
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)
