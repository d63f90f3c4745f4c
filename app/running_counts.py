"""Running counts of events, per actor and type by day, and per pair of actors by month
(`running_counts`, a derived table): how many events a date range selects, in two index
lookups whatever the number of events. /events/facets reads them (app/facets.py).

A series is a scope and a value. A scope is of kind `ACTOR` (every event, `ALL`, or an
actor's events with its sub-actors', as actor_events lists them) or `CLAIMANT` (the events
with a claim by the actor or a sub-actor), and its values are the event types (`ALL` for
every type). The series' row for day d holds `started`, how many of its events begin on or
before d, and `ended`, how many end on or before d. Rows exist only where a count changes:
at most two per event, and on dense data at most one per day and series, so the table is
bounded by the calendar, not by the number of events. The events whose dates overlap
[from, to] are those that began by `to`, less those that had ended before `from` (an event
that ended before `from` began before `to`):

    overlap(from, to) = started(on or before to) - ended(before from)

each read from the series' last row on or before `to`, or before `from` (0 if none).

The pair kinds, `PAIR_ACTOR` and `PAIR_CLAIMANT`, count an actor's events (the scope, as
actor_events lists them) that involve another actor, or have a claim by it, with its
sub-actors (the value), all types together: the actor and claimant facets under an actor
filter. There are about 2,500 pairs of each kind at 50 actors, so these series keep a row
per month, on its last day, not per day: `month_bounds` turns a range into whole months,
and the caller counts the events of its partial months from actor_events (app/facets.py).
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    select,
)

from app import raw_sql
from app.actor_index import ActorIndex
from app.models import actor_events_table as AE
from app.models import running_counts_table as RC

# raw_sql.running_count_ends writes these as literals.
ALL = ""
ACTOR, CLAIMANT = "actor", "claimant"
PAIR_ACTOR, PAIR_CLAIMANT = "pair_actor", "pair_claim"


@dataclass(frozen=True)
class Window:
    """The events of one series whose dates overlap [date_from, date_to] (None: open)."""

    scope: str
    value: str
    date_from: date | None
    date_to: date | None
    scope_kind: str = ACTOR


def count(conn: Connection, windows: Sequence[Window]) -> list[int]:
    """How many events each window selects, in one statement of two lookups a window."""
    if not windows:
        return []
    postgres = conn.dialect.name == "postgresql"
    params: list[object] = []
    for k, w in enumerate(windows):
        # Open ends as the calendar's ends: no event ends before date.min.
        lo, hi = w.date_from or date.min, w.date_to or date.max
        ends = (lo, hi) if postgres else (lo.isoformat(), hi.isoformat())
        params += [k, w.scope_kind, w.scope, w.value, *ends]
    counts = [0] * len(windows)
    for k, n in raw_sql.running_counts_at(conn, len(windows), tuple(params)):
        counts[k] = n
    return counts


def extent(conn: Connection, scope: str) -> tuple[date, date] | None:
    """The first day an event of the scope begins and the last day one ends."""
    series = select(RC.c.day).where(
        RC.c.scope_kind == ACTOR, RC.c.scope == scope, RC.c.value == ALL
    )
    first = conn.execute(series.order_by(RC.c.day).limit(1)).scalar()
    last = conn.execute(series.order_by(RC.c.day.desc()).limit(1)).scalar()
    return None if first is None or last is None else (first, last)


Daily = dict[str, dict[date, list[int]]]  # type -> day -> [events begun, events ended]
Row = tuple[str, str, str, date, int, int]


def series_rows(scope_kind: str, scope: str, daily: Daily) -> list[Row]:
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
        rows += _running(scope_kind, scope, kind, days)
    return rows


def _running(scope_kind: str, scope: str, value: str, days: dict[date, list[int]]) -> list[Row]:
    """One series' rows, in day order, from how many of its events begin and end each day."""
    rows = []
    started = ended = 0
    for day in sorted(days):
        started += days[day][0]
        ended += days[day][1]
        rows.append((scope_kind, scope, value, day, started, ended))
    return rows


def month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_end(number: int) -> date:
    year, month = divmod(number + 1, 12)
    return date(year, month + 1, 1) - timedelta(days=1) if year <= 9999 else date.max


Monthly = dict[int, list[int]]  # month number -> [events begun, events ended]
Pairs = dict[tuple[str, str, str], Monthly]  # (pair kind, scope, value) -> its months


def monthly_rows(scope_kind: str, scope: str, value: str, months: Monthly) -> list[Row]:
    """A pair series' rows, in key order: one on the last day of each month in which one
    of its events begins or ends."""
    return _running(scope_kind, scope, value, {month_end(n): c for n, c in months.items()})


@dataclass(frozen=True)
class Partial:
    """The scope's events that begin (or, with `ends`, end) on a day of [first, last],
    counted with `sign` beside a pair series' whole months (see month_bounds)."""

    ends: bool
    first: date
    last: date
    sign: int


def month_bounds(
    date_from: date | None, date_to: date | None
) -> tuple[date | None, date | None, list[Partial]]:
    """A pair series' window over [date_from, date_to] in whole months, and what its
    partial months add or take away. The count is begun by `hi`, a month end, less ended
    before `lo`, the first of a month: each end of the range moves to the nearer month
    boundary, and the events that begin between `to` and `hi` (or end between `lo` and
    `from`) are counted apart from the scope's actor_events rows, so at most half a month
    at each end is read."""
    parts: list[Partial] = []
    hi = date_to
    below = None if date_to is None else _month_end_by(date_to)
    if date_to is not None and below is not None and below != date_to:
        above = month_end(month_number(date_to))
        if (date_to - below).days <= (above - date_to).days:
            hi = below  # add what begins after it, by `to`
            parts.append(Partial(False, date_to.replace(day=1), date_to, 1))
        else:
            hi = above  # take away what begins after `to`
            parts.append(Partial(False, date_to + timedelta(days=1), above, -1))
    lo = date_from
    if date_from is not None and date_from.day != 1:
        first, end = date_from.replace(day=1), month_end(month_number(date_from))
        if (date_from - first).days <= (end - date_from).days + 1 or end == date.max:
            lo = first  # take away what ends before `from`
            parts.append(Partial(True, first, date_from - timedelta(days=1), -1))
        else:
            lo = end + timedelta(days=1)  # add back what ends from `from` on
            parts.append(Partial(True, date_from, end, 1))
    return lo, hi, parts


def _month_end_by(day: date) -> date:
    """The last month end on or before `day` (date.min, which no row is on, if none)."""
    first = day.replace(day=1)
    if month_end(month_number(day)) == day:
        return day
    return date.min if first == date.min else first - timedelta(days=1)


def fill(conn: Connection) -> None:
    """Fill running_counts from events, actor_events and claims (actor_events and
    actor_ancestors filled first): each event counted on its first and last day in each of
    its scopes' series, then run through a sum per series; the pair series likewise by
    month."""
    by_day = raw_sql.running_count_ends()
    scopes: dict[tuple[str, str], Daily] = {}
    for scope_kind, scope, kind, day, begun, ended in conn.execute(by_day):
        scopes.setdefault((scope_kind, scope), {}).setdefault(kind, {})[day] = [begun, ended]
    for (scope_kind, scope), daily in scopes.items():
        _insert(conn, series_rows(scope_kind, scope, daily))
    pairs: Pairs = {}
    # The pair series, by month, from each actor_events row's id lists.
    rows = select(
        AE.c.actor_id, AE.c.date_earliest, AE.c.date_latest, AE.c.actor_ids, AE.c.claimant_ids
    ).execution_options(yield_per=20_000)  # in bounded memory, on PostgreSQL too
    for scope, earliest, latest, actor_ids, claimant_ids in conn.execute(rows):
        begun, ended = month_number(earliest), month_number(latest)
        for kind, ids in ((PAIR_ACTOR, actor_ids), (PAIR_CLAIMANT, claimant_ids)):
            for value in ids.split(",") if ids else ():
                months = pairs.setdefault((kind, scope, value), {})
                months.setdefault(begun, [0, 0])[0] += 1
                months.setdefault(ended, [0, 0])[1] += 1
    for (kind, scope, value), months in sorted(pairs.items()):
        _insert(conn, monthly_rows(kind, scope, value, months))


def _insert(conn: Connection, rows: list[Row]) -> None:
    if rows:
        keys = ("scope_kind", "scope", "value", "day", "started", "ended")
        conn.execute(RC.insert(), [dict(zip(keys, row, strict=True)) for row in rows])


class Tally:
    """The rows `fill` makes, counted in Python as events are built, for a bulk load that
    never reads its events back (bench/generate.py). `fill` is the definition; this is the
    same count by another algorithm, and tests/test_generate.py compares the two tables.

    Dense arrays of begun and ended counts over a fixed calendar, [first_day, end_day), of
    each scope and type by day and of each pair of actors by month: a few MB whatever the
    number of events. Picklable, so producer processes can each keep one and merge them."""

    def __init__(
        self, index: ActorIndex, types: Sequence[str], first_day: date, end_day: date
    ) -> None:
        ids = sorted(index.actors)
        self.first_day = first_day
        self.scopes = [(ACTOR, ALL), *((ACTOR, a) for a in ids), *((CLAIMANT, a) for a in ids)]
        at = {scope: i for i, scope in enumerate(self.scopes)}

        def reach(kind: str, actor_id: str) -> set[int]:
            return {at[kind, up] for up in index.ancestors(actor_id)}

        # The scopes an event counts in through one of its actors, or one of its claimants.
        self.by_actor = {a: {0} | reach(ACTOR, a) for a in ids}
        self.by_claimant = {a: reach(CLAIMANT, a) for a in ids}
        self.type_at = {kind: i for i, kind in enumerate(types)}
        self.days = (end_day - first_day).days
        size = len(self.scopes) * len(types) * self.days
        self.begun = array("i", bytes(4 * size))
        self.ended = array("i", bytes(4 * size))
        self.actor_ids = ids
        self.first_month = month_number(first_day)
        self.months = month_number(end_day) - self.first_month
        self.pair_kinds = (PAIR_ACTOR, PAIR_CLAIMANT)
        pair_size = len(self.pair_kinds) * len(ids) ** 2 * self.months
        self.pair_begun = array("i", bytes(4 * pair_size))
        self.pair_ended = array("i", bytes(4 * pair_size))
        position = {a: i for i, a in enumerate(ids)}
        self.ups = {a: sorted(position[up] for up in index.ancestors(a)) for a in ids}

    def add(self, events: Iterable[tuple[Any, Iterable[str], Iterable[str]]]) -> None:
        """Count these (event row, actor ids, claimant ids), as derived.actor_event_rows
        takes them."""
        for row, actor_ids, claimant_ids in events:
            actors, claimants = list(actor_ids), set(claimant_ids)
            scopes = {0}.union(*(self.by_actor[a] for a in actors))
            self._count(row.type, row.date_earliest, row.date_latest, scopes)
            reached = set().union(*(self.by_claimant[c] for c in claimants))
            self._count(row.type, row.date_earliest, row.date_latest, reached)
            self._count_pairs(row.date_earliest, row.date_latest, actors, claimants)

    def _count(self, kind: str, earliest: date, latest: date, scopes: set[int]) -> None:
        first, last = (earliest - self.first_day).days, (latest - self.first_day).days
        t = self.type_at[kind]
        for scope in scopes:
            base = (scope * len(self.type_at) + t) * self.days
            self.begun[base + first] += 1
            self.ended[base + last] += 1

    def _count_pairs(
        self, earliest: date, latest: date, actors: list[str], claimants: set[str]
    ) -> None:
        first = month_number(earliest) - self.first_month
        last = month_number(latest) - self.first_month
        n, months = len(self.actor_ids), self.months
        ups = sorted({up for a in actors for up in self.ups[a]})
        claimed = sorted({up for c in claimants for up in self.ups[c]})
        begun, ended = self.pair_begun, self.pair_ended
        for scope in ups:
            for kind, values in ((0, ups), (1, claimed)):
                row = (kind * n + scope) * n
                for value in values:
                    base = (row + value) * months
                    begun[base + first] += 1
                    ended[base + last] += 1

    def merge(self, other: Tally) -> None:
        # Element-wise in C; an indexed Python loop over millions of counters is slow.
        self.begun = array("i", map(operator.add, self.begun, other.begun))
        self.ended = array("i", map(operator.add, self.ended, other.ended))
        self.pair_begun = array("i", map(operator.add, self.pair_begun, other.pair_begun))
        self.pair_ended = array("i", map(operator.add, self.pair_ended, other.pair_ended))

    def rows(self, day: Callable[[date], Any] = lambda d: d) -> Iterator[list[tuple[Any, ...]]]:
        """running_counts rows, a series group at a time; `day` writes the dates."""
        calendar = [self.first_day + timedelta(days=d) for d in range(self.days)]
        for s, (scope_kind, scope) in enumerate(self.scopes):
            daily: Daily = {}
            for kind, t in self.type_at.items():
                base = (s * len(self.type_at) + t) * self.days
                counts = zip(
                    self.begun[base : base + self.days], self.ended[base : base + self.days],
                    strict=True,
                )  # fmt: skip
                days = {calendar[d]: [b, e] for d, (b, e) in enumerate(counts) if b or e}
                if days:
                    daily[kind] = days
            if daily:
                yield _dated(series_rows(scope_kind, scope, daily), day)
        ids, months = self.actor_ids, self.months
        for number in range(len(self.pair_kinds) * len(ids) ** 2):
            base = number * months
            counts = zip(
                self.pair_begun[base : base + months], self.pair_ended[base : base + months],
                strict=True,
            )  # fmt: skip
            by_month = {self.first_month + m: [b, e] for m, (b, e) in enumerate(counts) if b or e}
            if by_month:
                k, pair = divmod(number, len(ids) ** 2)
                a, v = divmod(pair, len(ids))
                yield _dated(monthly_rows(self.pair_kinds[k], ids[a], ids[v], by_month), day)


def _dated(rows: list[Row], day: Callable[[date], Any]) -> list[tuple[Any, ...]]:
    return [(k, s, v, day(d), started, ended) for k, s, v, d, started, ended in rows]
