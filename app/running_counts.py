"""Running counts of events day by day, per actor and type (`running_counts`, a derived
table): how many events a date range selects, in two index lookups whatever the number of
events. /events/facets reads them (app/facets.py).

A series is a scope (every event, `ALL`, or an actor's events with its sub-actors', as
actor_events lists them) and a type (`ALL` for every type). Its row for day d holds
`started`, how many of the series' events begin on or before d, and `ended`, how many end
on or before d. Rows exist only where a count changes: at most two per event, and on dense
data at most one per day and series, so the table is bounded by the calendar, not by the
number of events. The events whose dates overlap [from, to] are those that began by `to`,
less those that had ended before `from` (an event that ended before `from` began before
`to`):

    overlap(from, to) = started(on or before to) - ended(before from)

each read from the series' last row on or before `to`, or before `from` (0 if none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Integer,
    String,
    column,
    func,
    select,
    text,
    values,
)

from app.models import running_counts_table as RC

ALL = ""


@dataclass(frozen=True)
class Window:
    """The events of one series whose dates overlap [date_from, date_to] (None: open)."""

    scope: str
    type: str
    date_from: date | None
    date_to: date | None


def count(conn: Connection, windows: Sequence[Window]) -> list[int]:
    """How many events each window selects, in one statement of two lookups a window."""
    if not windows:
        return []
    # Open ends as the calendar's ends: no event ends before date.min.
    rows = [
        (k, w.scope, w.type, w.date_from or date.min, w.date_to or date.max)
        for k, w in enumerate(windows)
    ]
    q = values(
        column("k", Integer), column("scope", String), column("type", String),
        column("lo", Date), column("hi", Date), name="q",
    ).data(rows).cte("q")  # fmt: skip

    def last(value: str, on_or_before: bool, day: ColumnElement[date]) -> ColumnElement[int]:
        series = RC.c.scope == q.c.scope, RC.c.type == q.c.type
        bound = RC.c.day <= day if on_or_before else RC.c.day < day
        found = (
            select(RC.c[value]).where(*series, bound)
            .order_by(RC.c.day.desc()).limit(1).scalar_subquery()
        )  # fmt: skip
        return func.coalesce(found, 0)

    started = last("started", True, q.c.hi)  # began on or before `to`
    ended = last("ended", False, q.c.lo)  # ended before `from`
    counts = [0] * len(windows)
    for k, n in conn.execute(select(q.c.k, started - ended)):
        counts[k] = n
    return counts


def extent(conn: Connection, scope: str) -> tuple[date, date] | None:
    """The first day an event of the scope begins and the last day one ends."""
    series = select(RC.c.day).where(RC.c.scope == scope, RC.c.type == ALL)
    first = conn.execute(series.order_by(RC.c.day).limit(1)).scalar()
    last = conn.execute(series.order_by(RC.c.day.desc()).limit(1)).scalar()
    return None if first is None or last is None else (first, last)


def fill(conn: Connection) -> None:
    """Fill running_counts from events and actor_events (filled first), in one statement:
    each event counted at its first and last day in its series, the days summed, then run
    through a window sum, inserted in key order."""
    conn.execute(
        text(
            "INSERT INTO running_counts (scope, type, day, started, ended) "
            "WITH scoped AS MATERIALIZED ("
            "  SELECT '' AS scope, type, date_earliest AS earliest, date_latest AS latest "
            "  FROM events UNION ALL "
            "  SELECT actor_id, type, date_earliest, date_latest FROM actor_events"
            "), daily AS MATERIALIZED ("
            "  SELECT scope, type, day, sum(s) AS s, sum(n) AS n FROM ("
            "    SELECT scope, type, earliest AS day, 1 AS s, 0 AS n FROM scoped UNION ALL "
            "    SELECT scope, type, latest, 0, 1 FROM scoped"
            "  ) AS ends GROUP BY scope, type, day"
            "), series AS ("
            "  SELECT scope, type, day, s, n FROM daily UNION ALL "
            "  SELECT scope, '', day, sum(s), sum(n) FROM daily GROUP BY scope, day"
            ") "
            "SELECT scope, type, day, "
            "sum(s) OVER (PARTITION BY scope, type ORDER BY day ROWS UNBOUNDED PRECEDING), "
            "sum(n) OVER (PARTITION BY scope, type ORDER BY day ROWS UNBOUNDED PRECEDING) "
            "FROM series ORDER BY scope, type, day"
        )
    )
