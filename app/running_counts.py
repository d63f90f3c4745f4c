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


Daily = dict[str, dict[date, list[int]]]  # type -> day -> [events begun, events ended]


def series_rows(scope: str, daily: Daily) -> list[tuple[str, str, date, int, int]]:
    """The scope's rows, in key order, from how many of its events of each type begin and
    end on each day; the all-types series is their sum."""
    everything: dict[date, list[int]] = {}
    for days in daily.values():
        for day, (begun, ended) in days.items():
            total = everything.setdefault(day, [0, 0])
            total[0] += begun
            total[1] += ended
    rows = []
    for kind, days in [(ALL, everything), *sorted(daily.items())]:
        started = ended = 0
        for day in sorted(days):
            started += days[day][0]
            ended += days[day][1]
            rows.append((scope, kind, day, started, ended))
    return rows


def fill(conn: Connection) -> None:
    """Fill running_counts from events and actor_events (filled first): each event counted
    on its first and last day in its scope's series, then run through a sum per series."""
    by_day = text(
        "SELECT scope, type, day, sum(b), sum(e) FROM ("
        "  SELECT '' AS scope, type, date_earliest AS day, 1 AS b, 0 AS e FROM events"
        "  UNION ALL SELECT '', type, date_latest, 0, 1 FROM events"
        "  UNION ALL SELECT actor_id, type, date_earliest, 1, 0 FROM actor_events"
        "  UNION ALL SELECT actor_id, type, date_latest, 0, 1 FROM actor_events"
        ") AS ends GROUP BY scope, type, day ORDER BY scope"
    ).columns(day=Date)
    scopes: dict[str, Daily] = {}
    for scope, kind, day, begun, ended in conn.execute(by_day):
        scopes.setdefault(scope, {}).setdefault(kind, {})[day] = [begun, ended]
    for scope, daily in scopes.items():
        insert(conn, series_rows(scope, daily))


def insert(conn: Connection, rows: list[tuple[str, str, date, int, int]]) -> None:
    if rows:
        keys = ("scope", "type", "day", "started", "ended")
        conn.execute(RC.insert(), [dict(zip(keys, row, strict=True)) for row in rows])
