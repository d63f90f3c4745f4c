"""Facet counts for /events/facets: how the events matching a request's filters divide by
type, year, actor and claimant.

Each count is what adding that value to the request would select, so a client can show it
beside a link that applies it:

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
from typing import Any

from sqlalchemy import Connection, Select, String, column, func, select, union_all, values

from app.actor_index import ActorIndex
from app.assemble import actor_ref
from app.filters import TimelineFilter
from app.models import claims_table as C
from app.models import event_actors_table as EA
from app.models import events_table as E
from app.queries import claim_conditions, earliest_floor, event_conditions, known_condition
from app.vocab import Facet

FACETS = tuple(facet.value for facet in Facet)


def matching_events(f: TimelineFilter) -> Select[Any]:
    """(id, type, date_earliest, date_latest) of every event the filters select.

    With an overlap `from` and known spans, one index range per precision (as page_events),
    so a date window reads only the events within its reach."""
    columns = (E.c.id, E.c.type, E.c.date_earliest, E.c.date_latest)
    conds = event_conditions(f)
    if f.spans is None or earliest_floor(f, 0) is None:
        return select(*columns).where(*conds)
    parts = []
    for precision, span in f.spans:
        floor = earliest_floor(f, span)
        bound = [E.c.date_earliest >= floor] if floor is not None else []
        parts.append(select(*columns).where(E.c.date_precision == precision, *bound, *conds))
    merged = union_all(*parts).subquery()
    return select(merged.c.id, merged.c.type, merged.c.date_earliest, merged.c.date_latest)


def count_facets(
    conn: Connection, index: ActorIndex, f: TimelineFilter, names: tuple[str, ...]
) -> dict[str, Any]:
    """{"total": n, "facets": {name: [{"value", "count"[, "actor"]}, …]}} for `names`."""
    matched = matching_events(f).cte("matched")
    out: dict[str, list[dict[str, Any]]] = {}
    total = conn.execute(select(func.count()).select_from(matched)).scalar_one()
    if "type" in names:
        rows = conn.execute(select(matched.c.type, func.count()).group_by(matched.c.type))
        out["type"] = _ranked(Counter({kind: n for kind, n in rows}))
    if "year" in names:
        out["year"] = _years(conn, matched, f.within)
    if "actor" in names or "claimant" in names:
        up = _ancestry(index)
        if "actor" in names:
            stmt = (
                select(up.c.ancestor_id, func.count(EA.c.event_id.distinct()))
                .select_from(matched)
                .join(EA, EA.c.event_id == matched.c.id)
                .join(up, up.c.actor_id == EA.c.actor_id)
                .group_by(up.c.ancestor_id)
            )
            out["actor"] = _actors(index, conn.execute(stmt).all())
        if "claimant" in names:
            stmt = (
                select(up.c.ancestor_id, func.count(C.c.event_id.distinct()))
                .select_from(matched)
                .join(C, C.c.event_id == matched.c.id)
                .join(up, up.c.actor_id == C.c.claimant_id)
                .where(known_condition(f), *claim_conditions(f))
                .group_by(up.c.ancestor_id)
            )
            out["claimant"] = _actors(index, conn.execute(stmt).all())
    return {"total": total, "facets": {name: out[name] for name in names}}


def _years(conn: Connection, matched: Any, within: bool) -> list[dict[str, Any]]:
    # Grouped by the pair of dates (a few thousand groups at most), years counted here: the
    # year of a date is spelled differently in each SQL dialect.
    stmt = select(matched.c.date_earliest, matched.c.date_latest, func.count()).group_by(
        matched.c.date_earliest, matched.c.date_latest
    )
    years: Counter[str] = Counter()
    for earliest, latest, n in conn.execute(stmt):
        if within and earliest.year != latest.year:
            continue
        for year in range(earliest.year, latest.year + 1):
            years[f"{year:04d}"] += n
    return [{"value": y, "count": years[y]} for y in sorted(years)]


def _ancestry(index: ActorIndex) -> Any:
    """(actor_id, ancestor_id) for every actor and each of its ancestors, itself included."""
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
