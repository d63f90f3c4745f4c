"""A bound on the database work of one request (CLAIMLINE_STATEMENT_TIMEOUT), set on the
serving engine only: loads and migrations run through the CLI, unbounded.

PostgreSQL cancels a statement past `statement_timeout` (SQLSTATE 57014). SQLite has no
such setting: a progress handler, called every few thousand virtual-machine steps, stops
the statements of a connection checked out longer than the bound (SQLITE_INTERRUPT).
Both errors are outages to app/api/problems.py: the request gets a 503, never a 500.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from app import raw_sql

# Steps between two calls of the handler: a query of a few thousand steps (a page of a
# listing) never pays for one, and a long one is stopped within microseconds of the bound.
PROGRESS_STEPS = 10_000


def bound_work(engine: Engine, seconds: float) -> None:
    """Bound every connection `engine` hands out from now on; 0 leaves it unbounded."""
    if seconds <= 0:
        return
    if engine.dialect.name == "sqlite":
        event.listen(engine, "checkout", _sqlite_deadline(seconds))
    else:
        event.listen(engine, "connect", _postgres_timeout(seconds))
    # Connections opened before (the app's start reads the data version) are dropped so
    # that none goes unbounded.
    engine.dispose()


def _sqlite_deadline(seconds: float) -> Any:
    def on_checkout(raw: Any, _record: Any, _proxy: Any) -> None:
        raw_sql.sqlite_deadline(raw, seconds, PROGRESS_STEPS)

    return on_checkout


def _postgres_timeout(seconds: float) -> Any:
    milliseconds = max(1, round(seconds * 1000))

    def on_connect(raw: Any, _record: Any) -> None:
        raw_sql.postgres_statement_timeout(raw, milliseconds)

    return on_connect
