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
year) can add up to more than `total`. Every count is one SQL aggregate over the matching
events: its cost grows with how many events match, not with the size of the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    column,
    func,
    select,
    union,
    union_all,
    values,
)

from app import search
from app.actor_index import ActorIndex
from app.assemble import actor_ref
from app.filters import TimelineFilter
from app.models import actor_ancestors_table as AA
from app.models import actor_events_table as AE
from app.models import claims_table as C
from app.models import event_actors_table as EA
from app.models import events_table as E
from app.queries import claim_conditions, earliest_floor, event_conditions, known_condition
from app.vocab import Facet

FACETS = tuple(facet.value for facet in Facet)


def matching_events(f: TimelineFilter, derived: bool) -> Select[Any]:
    """(id, type, date_earliest, date_latest) of every event the filters select.

    With an overlap `from` and known spans, one index range per precision (as page_events),
    so a date window reads only the events within its reach. With actors and fresh derived
    tables, those ranges are read from `actor_events`, whose key holds the actor and the
    dates: only the actors' events in range reach the events table."""
    columns = (E.c.id, E.c.type, E.c.date_earliest, E.c.date_latest)
    if derived and f.actors and f.spans is not None:
        ids = [r.actor.id for r in f.actors]  # actor_events lists sub-actors' events too
        rest = event_conditions(replace(f, actors=(), date_from=None, date_to=None, search=()))
        if f.search:
            rest.append(search.event_matches(E.c.id, f.search, f.known_as_of, per_event=True))
        parts = [
            select(AE.c.event_id).where(
                AE.c.actor_id.in_(ids), AE.c.date_precision == precision,
                *_date_conditions(f, AE.c.date_earliest, AE.c.date_latest, span),
            )
            for precision, span in f.spans
        ]  # fmt: skip
        return select(*columns).where(E.c.id.in_(union(*parts)), *rest)
    conds = event_conditions(f)
    # A search's matches are looked up once, not once per precision.
    if f.spans is None or f.search or earliest_floor(f, 0) is None:
        return select(*columns).where(*conds)
    parts = []
    for precision, span in f.spans:
        floor = earliest_floor(f, span)
        bound = [E.c.date_earliest >= floor] if floor is not None else []
        parts.append(select(*columns).where(E.c.date_precision == precision, *bound, *conds))
    merged = union_all(*parts).subquery()
    return select(merged.c.id, merged.c.type, merged.c.date_earliest, merged.c.date_latest)


def _date_conditions(
    f: TimelineFilter, earliest: Any, latest: Any, span: int
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.within:
        if f.date_from is not None:
            conds.append(earliest >= f.date_from)
        if f.date_to is not None:
            conds.append(latest <= f.date_to)
    else:
        floor = earliest_floor(f, span)
        if floor is not None:
            conds.append(earliest >= floor)
        if f.date_from is not None:
            conds.append(latest >= f.date_from)
    if f.date_to is not None:
        conds.append(earliest <= f.date_to)
    return conds


def count_facets(
    conn: Connection,
    index: ActorIndex,
    f: TimelineFilter,
    names: tuple[str, ...],
    derived: bool = False,
) -> dict[str, Any]:
    """{"total": n, "facets": {name: [{"value", "count"[, "actor"]}, …]}} for `names`.

    `derived`: the derived tables match the data version, so actor_events may be read."""
    # Evaluated once for the three statements below; inlined, SQLite's planner would start
    # the actor and claimant joins from the whole event_actors and claims tables.
    matched = matching_events(f, derived).cte("matched").prefix_with("MATERIALIZED")
    out: dict[str, list[dict[str, Any]]] = {}
    # One pass gives the total, the types and the years.
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
    total = sum(types.values())
    if "type" in names:
        out["type"] = _ranked(types)
    if "year" in names:
        out["year"] = [{"value": y, "count": years[y]} for y in sorted(years)]
    if "actor" in names or "claimant" in names:
        up = AA if derived else _ancestry(index)

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

        if "actor" in names:
            out["actor"] = rolled_up(EA.c.event_id, EA.c.actor_id)
        if "claimant" in names:
            out["claimant"] = rolled_up(
                C.c.event_id, C.c.claimant_id, known_condition(f), *claim_conditions(f)
            )
    return {"total": total, "facets": {name: out[name] for name in names}}


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
