"""Facet counts for /events/facets: how the events matching a request's filters divide by
type, year, actor and claimant.

Each count is the number of selected events that have the value; for a facet the request
does not already filter on, that is what adding the value would select (a repeated filter
means "any of"), so a client can show it beside a link that applies it:

- `type`: events of that type;
- `year`: events whose date interval overlaps the calendar year (lies wholly inside it under
  `date_match=within`);
- `actor`: events involving the actor or any of its sub-actors, as `actor=` selects them;
- `claimant`: events with at least one claim by the claimant or a sub-actor that also
  satisfies the request's claim filters and was known on `known_as_of`, as adding
  `claimant=` to the request selects them.

An event counts once per value, so the counts of a multi-valued facet (actor, claimant,
year) can add up to more than `total`.

Four strategies count (`STRATEGIES`, tried in order; each counts what it can of the facets
still wanted, and declares the filters it serves as a `Capability`). All but the last read
fresh derived tables, and all give the same results (tests compare them with the last):

- `ByDay`, when the filters are at most one actor, dates that overlap and types (a
  timeline's sidebar): `running_counts` (app/running_counts.py) gives the total, the
  types, the years and, with no actor filter, the actors and the claimants, in two index
  lookups a count whatever the number of events. A year outside the range counts only the
  events that cross the range's boundary into it, read within the longest span of each
  precision.
- `ByPair`, with one actor and no type filter: the actors and the claimants come from its
  pair series in `running_counts`, kept by month: the range's whole months in two lookups
  a count, and its partial months from the actor's `actor_events` rows that begin or end
  in them, each end of the range moved to the nearer month boundary. The cost is bounded
  by half a month's events at each end, not by the range.
- `Listed`, when the filters are actors, dates and types (no search, claim filter or
  knowledge time): the actors' `actor_events` rows in the date range, one index range per
  actor and precision, carry each event's actors and claimants, joined into one string a
  facet and counted in Python. The cost grows with the matching events, at a few
  microseconds each.
- `Aggregate`, for any filters: one SQL aggregate over the matching events, joined with
  event_actors and claims: its cost grows with how many events match, not with the size
  of the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    column,
    func,
    literal,
    select,
    union,
    union_all,
    values,
)

from app import overlap, running_counts, search
from app.actor_index import ActorIndex
from app.assemble import actor_ref
from app.filters import Capability, TimelineFilter, filter_names
from app.models import actor_ancestors_table as AA
from app.models import actor_events_table as AE
from app.models import claims_table as C
from app.models import event_actors_table as EA
from app.models import events_table as E
from app.queries import claim_conditions, event_conditions, known_condition
from app.vocab import EventType, Facet

FACETS = tuple(facet.value for facet in Facet)


def _one_scope(f: TimelineFilter) -> bool:
    """No actor, or actors of which one includes all the others: one running_counts scope."""
    everyone = set(f.ids(f.actors))
    return not f.actors or any(set(r.includes) == everyone for r in f.actors)


# Each way to count declares the filters it serves (app/filters.py); the plain aggregate
# over the matched events serves the rest, and is the tests' oracle.
BY_DAY = Capability(
    "facets by day", frozenset({"actors", "date_from", "date_to", "types"}), also=_one_scope
)
BY_PAIR = Capability(
    "facets by pair of actors",
    frozenset({"actors", "date_from", "date_to"}),
    also=lambda f: bool(f.actors) and _one_scope(f),
)
LISTED = Capability(
    "facets from actor_events rows",
    frozenset({"actors", "date_from", "date_to", "within", "types"}),
    also=lambda f: bool(f.actors) and bool(f.spans),
)
# Any filter: the actors' date ranges are read from actor_events, the rest as usual.
ACTOR_RANGES = Capability(
    "actor_events ranges", filter_names(), also=lambda f: bool(f.actors) and bool(f.spans)
)
ANCESTORS = Capability("actor_ancestors", filter_names())


def matching_events(f: TimelineFilter) -> Select[Any]:
    """(id, type, date_earliest, date_latest) of every event the filters select.

    With an overlap `from` and known spans, one index range per precision (as page_events),
    so a date window reads only the events within its reach. With actors and fresh derived
    tables, those ranges are read from `actor_events`, whose key holds the actor and the
    dates: only the actors' events in range reach the events table."""
    columns = (E.c.id, E.c.type, E.c.date_earliest, E.c.date_latest)
    if ACTOR_RANGES.applies(f):
        ids = [r.actor.id for r in f.actors]  # actor_events lists sub-actors' events too
        rest = event_conditions(replace(f, actors=(), date_from=None, date_to=None, search=()))
        if f.search:
            rest.append(search.event_matches(E.c.id, f.search, f.known_as_of, per_event=True))
        parts = [
            select(AE.c.event_id).where(AE.c.actor_id.in_(ids), *scan)
            for scan in overlap.scans(f, AE)
        ]
        return select(*columns).where(E.c.id.in_(union(*parts)), *rest)
    conds = event_conditions(f)
    # A search's matches are looked up once, not once per precision.
    if f.search or not overlap.bounded(f):
        return select(*columns).where(*conds)
    parts = [select(*columns).where(*scan, *conds) for scan in overlap.scans(f, E, dates=False)]
    merged = union_all(*parts).subquery()
    return select(merged.c.id, merged.c.type, merged.c.date_earliest, merged.c.date_latest)


Counted = dict[str, Any]  # "total": the event count; a facet's name: its ranked values


class Strategy:
    """A way to count: `applies(f)` when its capability serves the filters, `gives(f)` the
    facets (and "total") it can count for them, `count` counts those asked for."""

    capability: Capability | None = None

    def applies(self, f: TimelineFilter) -> bool:
        return self.capability is None or self.capability.applies(f)

    def gives(self, f: TimelineFilter) -> frozenset[str]:
        return EVERYTHING

    def count(
        self, conn: Connection, index: ActorIndex, f: TimelineFilter, wanted: frozenset[str]
    ) -> Counted:
        raise NotImplementedError


EVERYTHING = frozenset({"total", *FACETS})
_SHAPE = frozenset({"total", "type", "year"})  # of the events themselves, not their actors
_ACTORS = frozenset({"actor", "claimant"})


class ByDay(Strategy):
    """From running_counts: two index lookups a count (see the module docstring)."""

    capability = BY_DAY

    def gives(self, f: TimelineFilter) -> frozenset[str]:
        # Everyone's actor and claimant series are the ALL scope's; an actor's are by pair.
        return _SHAPE | _ACTORS if _running_scope(f) == running_counts.ALL else _SHAPE

    def count(
        self, conn: Connection, index: ActorIndex, f: TimelineFilter, wanted: frozenset[str]
    ) -> Counted:
        scope = _running_scope(f)
        out: Counted = {}
        if wanted & _SHAPE:
            out = _shaped(*_counted_by_day(conn, f, scope, "year" in wanted))
        for name in sorted(wanted & _ACTORS):
            windows = [
                running_counts.Window(actor_id, kind, f.date_from, f.date_to, scope_kind=name)
                for actor_id in index.actors
                for kind in _series_types(f)
            ]
            per_actor: Counter[str] = Counter()
            for window, n in zip(windows, running_counts.count(conn, windows), strict=True):
                per_actor[window.scope] += n
            out[name] = _actors(index, per_actor.items())
        return out


class ByPair(Strategy):
    """One actor's actor and claimant counts from its pair series, by month."""

    capability = BY_PAIR

    def gives(self, f: TimelineFilter) -> frozenset[str]:
        return _ACTORS

    def count(
        self, conn: Connection, index: ActorIndex, f: TimelineFilter, wanted: frozenset[str]
    ) -> Counted:
        counted = _counted_by_pair(conn, index, f, _running_scope(f), sorted(wanted))
        return {facet: _actors(index, counts.items()) for facet, counts in counted.items()}


class Listed(Strategy):
    """From the actors' actor_events rows in range, which carry each event's actors and
    claimants."""

    capability = LISTED

    def count(
        self, conn: Connection, index: ActorIndex, f: TimelineFilter, wanted: frozenset[str]
    ) -> Counted:
        listed = _listed(f)
        out: Counted = _shaped(*_counted_by_event(conn, listed, f)) if wanted & _SHAPE else {}
        names = [n for n in ("actor", "claimant") if n in wanted]
        if names:
            joined = conn.execute(select(*(_joined(conn, listed.c[f"{n}_ids"]) for n in names)))
            for facet, ids in zip(names, joined.one(), strict=True):
                # One string per facet, split and counted in C: fetched row by row, each
                # fetch let another request's thread take the GIL.
                counts = Counter((ids or "").split(","))
                counts.pop("", None)  # an event without claims has no claimant ids
                out[facet] = _actors(index, counts.items())
        return out


class Aggregate(Strategy):
    """The plain aggregate over the matching events, joined with event_actors and claims:
    any filters; the last resort, and the tests' oracle."""

    def count(
        self, conn: Connection, index: ActorIndex, f: TimelineFilter, wanted: frozenset[str]
    ) -> Counted:
        matched = _matched(f)
        out: Counted = _shaped(*_counted_by_event(conn, matched, f)) if wanted & _SHAPE else {}
        up = AA if ANCESTORS.applies(f) else _ancestry(index)

        def rolled_up(event_id: Any, actor_id: Any, *conds: Any) -> list[dict[str, Any]]:
            """Matched events counted under each actor (of `actor_id`) and its ancestors."""
            stmt = (
                select(up.c.ancestor_id, func.count(event_id.distinct()))
                .select_from(matched)
                .join(event_id.table, event_id == matched.c.id)
                .join(up, up.c.actor_id == actor_id)
                .where(*conds)
                .group_by(up.c.ancestor_id)
            )
            return _actors(index, conn.execute(stmt).all())

        if "actor" in wanted:
            out["actor"] = rolled_up(EA.c.event_id, EA.c.actor_id)
        if "claimant" in wanted:
            out["claimant"] = rolled_up(
                C.c.event_id, C.c.claimant_id, known_condition(f), *claim_conditions(f)
            )
        return out


AGGREGATE = Aggregate()
# Tried in order; each counts what it can of what is still wanted.
STRATEGIES: tuple[Strategy, ...] = (ByDay(), ByPair(), Listed(), AGGREGATE)


def count_facets(
    conn: Connection, index: ActorIndex, f: TimelineFilter, names: tuple[str, ...]
) -> dict[str, Any]:
    """{"total": n, "facets": {name: [{"value", "count"[, "actor"]}, …]}} for `names`."""
    # Counts are the same in either order: no way to count need decline `order=desc`.
    f = replace(f, descending=False)
    wanted = {"total", *names}
    out: Counted = {}
    for strategy in STRATEGIES:
        mine = frozenset(wanted & strategy.gives(f)) if strategy.applies(f) else frozenset()
        if mine:
            out.update(strategy.count(conn, index, f, mine))
            wanted -= mine
        if not wanted:
            break
    return {"total": out["total"], "facets": {name: out[name] for name in names}}


def _shaped(total: int, types: Counter[str], years: Counter[str]) -> Counted:
    return {
        "total": total,
        "type": _ranked(types),
        "year": [{"value": y, "count": years[y]} for y in sorted(years)],
    }


def _matched(f: TimelineFilter) -> Any:
    # Evaluated once in each statement that reads it; inlined, SQLite's planner would
    # start the actor and claimant joins from the whole event_actors and claims tables.
    return matching_events(f).cte("matched").prefix_with("MATERIALIZED")


def _listed(f: TimelineFilter) -> Any:
    """The filters' events as actor_events rows (event_id, type, date_earliest, date_latest,
    actor_ids, claimant_ids): one index range per actor and precision, each row read where
    the range lies, where a lookup per event into event_actors and claims would cost more
    than the count."""
    ids = [r.actor.id for r in f.actors]  # actor_events lists sub-actors' events too
    kinds = [AE.c.type.in_(f.types)] if f.types else []
    parts = [
        select(AE.c.event_id.label("id"), AE.c.type, AE.c.date_earliest, AE.c.date_latest,
               AE.c.actor_ids, AE.c.claimant_ids).where(AE.c.actor_id.in_(ids), *scan, *kinds)
        for scan in overlap.scans(f, AE)
    ]  # fmt: skip
    # An event listed under several of the actors is one event: its rows are equal.
    return (union if len(ids) > 1 else union_all)(*parts).cte("listed")


_PAIR_KINDS = {"actor": running_counts.PAIR_ACTOR, "claimant": running_counts.PAIR_CLAIMANT}


def _counted_by_pair(
    conn: Connection, index: ActorIndex, f: TimelineFilter, scope: str, names: list[str]
) -> dict[str, Counter[str]]:
    """The actor and claimant counts of one actor scope's events in an overlapping date
    range: whole months from the pair series (two lookups a count), and the partial months
    from the scope's actor_events rows that begin or end in them, at most half a month at
    each end (running_counts.month_bounds), whatever the range."""
    assert f.spans is not None
    lo, hi, partials = running_counts.month_bounds(f.date_from, f.date_to)
    windows = [
        (name, running_counts.Window(scope, value, lo, hi, _PAIR_KINDS[name]))
        for name in names
        for value in index.actors
    ]
    counts: dict[str, Counter[str]] = {name: Counter() for name in names}
    for (name, window), n in zip(
        windows, running_counts.count(conn, [w for _, w in windows]), strict=True
    ):
        counts[name][window.value] += n
    for part in partials:
        rows = union_all(*(
            select(AE.c.actor_ids, AE.c.claimant_ids).where(
                AE.c.actor_id == scope, AE.c.date_precision == precision,
                *_partial_conditions(part, span),
            )
            for precision, span in f.spans
        )).subquery()  # fmt: skip
        joined = conn.execute(select(*(_joined(conn, rows.c[f"{n}_ids"]) for n in names)))
        for name, ids in zip(names, joined.one(), strict=True):
            found = Counter((ids or "").split(","))
            found.pop("", None)
            for value, n in found.items():
                counts[name][value] += part.sign * n
    return counts


def _partial_conditions(part: running_counts.Partial, span: int) -> list[ColumnElement[bool]]:
    """actor_events rows of a precision whose longest span is `span` that begin (or end)
    on a day of the partial month."""
    if not part.ends:
        return [AE.c.date_earliest >= part.first, AE.c.date_earliest <= part.last]
    # An event that ends on `first` or later begins within its span before it.
    earliest, latest = AE.c.date_earliest, AE.c.date_latest
    return [
        earliest >= overlap.days_before(part.first, span), earliest <= part.last,
        latest >= part.first, latest <= part.last,
    ]  # fmt: skip


def _joined(conn: Connection, ids: Any) -> Any:
    """The comma-separated lists of a column, joined into one."""
    if conn.dialect.name == "postgresql":
        return func.string_agg(ids, literal(","))
    return func.group_concat(ids)


Counts = tuple[int, Counter[str], Counter[str]]  # total, by type, by year


def _counted_by_event(conn: Connection, matched: Any, f: TimelineFilter) -> Counts:
    """One pass over the matched events gives the total, the types and the years."""
    stmt = select(
        matched.c.type, matched.c.date_earliest, matched.c.date_latest, func.count()
    ).group_by(matched.c.type, matched.c.date_earliest, matched.c.date_latest)
    types: Counter[str] = Counter()
    years: Counter[str] = Counter()
    for kind, earliest, latest, n in conn.execute(stmt):
        types[kind] += n
        if not f.within or earliest.year == latest.year:
            for year in range(earliest.year, latest.year + 1):
                years[f"{year:04d}"] += n
    return sum(types.values()), types, years


def _running_scope(f: TimelineFilter) -> str:
    """The running_counts scope of filters BY_DAY serves: everything, or the actor that
    includes all the others."""
    if not f.actors:
        return running_counts.ALL
    everyone = set(f.ids(f.actors))
    return next(r.actor.id for r in f.actors if set(r.includes) == everyone)


def _series_types(f: TimelineFilter) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.types)) if f.types else (running_counts.ALL,)


def _counted_by_day(conn: Connection, f: TimelineFilter, scope: str, with_years: bool) -> Counts:
    """Total, types and years from running_counts (see the module docstring)."""
    Window = running_counts.Window
    kinds = tuple(dict.fromkeys(f.types)) or tuple(t.value for t in EventType)
    windows = [Window(scope, kind, f.date_from, f.date_to) for kind in kinds]
    year_windows: list[tuple[str, Any]] = []
    years: Counter[str] = Counter()
    extent = running_counts.extent(conn, scope) if with_years else None
    if extent is not None:
        first = max(extent[0].year, f.date_from.year if f.date_from else 1)
        last = min(extent[1].year, f.date_to.year if f.date_to else 9999)
        for year in range(first, last + 1):
            # An event overlaps the range and the year iff it overlaps their intersection
            # (intervals on a line), which is not empty for these years.
            lo, hi = (
                max(f.date_from or date.min, date(year, 1, 1)),
                min(f.date_to or date.max, date(year, 12, 31)),
            )
            for kind in _series_types(f):
                year_windows.append((f"{year:04d}", Window(scope, kind, lo, hi)))
        years.update(_crossing_years(conn, f, scope))
    counts = running_counts.count(conn, [*windows, *(w for _, w in year_windows)])
    types = Counter(dict(zip(kinds, counts[: len(kinds)], strict=True)))
    for (label, _), n in zip(year_windows, counts[len(kinds) :], strict=True):
        years[label] += n
    return sum(types.values()), +types, +years


def _crossing_years(conn: Connection, f: TimelineFilter, scope: str) -> Counter[str]:
    """Years wholly outside the range that selected events reach into. Such an event
    crosses the first day of `from`'s year or the last day of `to`'s. On a year boundary
    (and with no event longer than a year) those are counted by day; otherwise read: an
    event that crosses begins within the longest span of its precision before the
    crossing, so one index range per precision and side, whatever the range."""
    assert f.spans is not None
    if scope == running_counts.ALL:
        source: Any = E
        precision, earliest, latest, kind = (
            E.c.date_precision, E.c.date_earliest, E.c.date_latest, E.c.type
        )  # fmt: skip
        scoped: list[ColumnElement[bool]] = []
    else:
        source = AE
        precision, earliest, latest, kind = (
            AE.c.date_precision, AE.c.date_earliest, AE.c.date_latest, AE.c.type
        )  # fmt: skip
        scoped = [AE.c.actor_id == scope]
    if f.types:
        scoped.append(kind.in_(f.types))
    years: Counter[str] = Counter()
    lo, hi = f.date_from, f.date_to
    # When no event is longer than a year, a crossing event reaches only the adjacent
    # year; if the range starts on 1 January (or ends on 31 December), the crossers are
    # the events under way across that boundary, counted by day like the rest. Otherwise
    # the crossers are read.
    within_a_year = max((span for _, span in f.spans), default=0) <= 365
    boundaries: list[tuple[int, date]] = []  # (the year reached, its boundary's later day)
    if lo is not None and (lo.year == 1 or (within_a_year and (lo.month, lo.day) == (1, 1))):
        if lo.year > 1:
            boundaries.append((lo.year - 1, lo))
        lo = None
    if hi is not None and (hi == date.max or (within_a_year and (hi.month, hi.day) == (12, 31))):
        if hi < date.max:
            boundaries.append((hi.year + 1, hi + timedelta(days=1)))
        hi = None
    windows = [
        # [day, day - 1]: begun before `day` less ended before it, the events under way.
        (year, running_counts.Window(scope, kind, day, day - timedelta(days=1)))
        for year, day in boundaries
        for kind in _series_types(f)
    ]
    counts = running_counts.count(conn, [window for _, window in windows])
    for (year, _), n in zip(windows, counts, strict=True):
        years[f"{year:04d}"] += n
    parts = []
    for name, span in f.spans:
        if lo is not None:
            start = date(lo.year, 1, 1)  # crossed from the year before
            floor = overlap.days_before(lo, span)
            if floor < start:
                parts.append(select(literal(0), earliest, latest).select_from(source).where(
                    *scoped, precision == name, earliest >= floor, earliest < start,
                    latest >= lo,
                ))  # fmt: skip
        if hi is not None and hi.year < date.max.year:  # no event reaches past 9999
            end = date(hi.year + 1, 1, 1)  # crossed into the year after
            floor = overlap.days_before(end, span)
            if floor <= hi:
                parts.append(select(literal(1), earliest, latest).select_from(source).where(
                    *scoped, precision == name, earliest >= floor, earliest <= hi,
                    latest >= end,
                ))  # fmt: skip
    if parts:
        for later, first, last in conn.execute(union_all(*parts)):
            # An event crossing both ways is read twice: each read counts its own side.
            if later:
                assert hi is not None
                reached = range(hi.year + 1, last.year + 1)
            else:
                assert lo is not None
                reached = range(first.year, lo.year)
            years.update(f"{year:04d}" for year in reached)
    return years


def _ancestry(index: ActorIndex) -> Any:
    """actor_ancestors' rows, from the index, for when the derived tables are stale."""
    pairs = [(a, up) for a in index.actors for up in index.ancestors(a)] or [("", "")]
    return (
        values(column("actor_id", String), column("ancestor_id", String), name="up")
        .data(pairs)
        .cte("up")
    )


def _actors(index: ActorIndex, rows: Any) -> list[dict[str, Any]]:
    counts = Counter({actor_id: n for actor_id, n in rows})
    return [{**item, "actor": actor_ref(index, item["value"])} for item in _ranked(counts)]


def _ranked(counts: Counter[str]) -> list[dict[str, Any]]:
    """Most frequent first; ties by value, so the order is stable."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"value": value, "count": n} for value, n in ranked if n > 0]
