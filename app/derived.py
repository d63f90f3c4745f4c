"""Derived tables that make the common listings one indexed read, `actor_events` and
`event_json`, the facet counts' `running_counts` (app/running_counts.py), the search
index, `search_entries` (see app/models.py, app/search.py), and the disputing claims,
`claim_conflicts` (app/corroboration.py).

All are functions of the normalised tables and are rebuilt whenever a load changes
anything; `dataset_meta.derived_version` says which data version they match, and the API
uses them only when it is the current one. Renders come from the same functions as the
general path (`app.assemble`), so the two cannot drift; tests compare them byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Connection, case, delete, func, select

from app import corroboration, dataset_meta, running_counts, search
from app.actor_index import ActorIndex
from app.assemble import build_events
from app.filters import TimelineFilter
from app.models import actor_ancestors_table as AA
from app.models import actor_events_table as AE
from app.models import claim_conflicts_table as CC
from app.models import claims_table as C
from app.models import event_actors_table as EA
from app.models import event_json_table as EJ
from app.models import events_table as E
from app.models import running_counts_table as RC
from app.vocab import HEDGE_BITS, hedge_mask

REBUILD_BATCH = 500


def _same(day: date) -> date:
    return day


def fill_actor_ancestors(conn: Connection, index: ActorIndex) -> None:
    rows = [{"actor_id": a, "ancestor_id": up} for a in index.actors for up in index.ancestors(a)]
    if rows:
        conn.execute(AA.insert(), rows)


def actor_event_rows(
    index: ActorIndex,
    events: Iterable[tuple[Any, Iterable[str], Iterable[str]]],
    day: Callable[[date], Any] = _same,
    known_first: Mapping[str, Any] | None = None,
    hedge_masks: Mapping[str, int] | None = None,
) -> list[tuple[Any, ...]]:
    """The actor_events rows of these (event row, actor ids, claimant ids): each event under
    each of its actors and all their ancestors, with the sorted, distinct ids of its actors
    and of its claimants (each with their ancestors) beside it, the day its first claim
    became known (`known_first`, by event id, as the rows should hold it) and its claims'
    hedges (`hedge_masks`, by event id). Ids sort by code
    point, on either database. `day` writes the dates (the generator sends ISO text).

    One function for the loader's rebuild and the generator's producers, which list the rows
    as they build the events: sent with the events, they cost the bulk load far less than
    grouping event_actors and claims by event in SQL afterwards. Events come in date order,
    so on SQLite each insert lands at the end of one (actor, precision) range."""
    rows: list[tuple[Any, ...]] = []
    for row, actor_ids, claimant_ids in events:
        ups = sorted({up for a in actor_ids for up in index.ancestors(a)})
        claimants = ",".join(sorted({up for c in claimant_ids for up in index.ancestors(c)}))
        actors = ",".join(ups)
        earliest, latest = day(row.date_earliest), day(row.date_latest)
        known = known_first.get(row.id) if known_first else None
        hedges = hedge_masks.get(row.id, 0) if hedge_masks else 0
        rows += [(up, row.date_precision, earliest, row.id, latest, row.type, actors, claimants,
                  known, hedges) for up in ups]  # fmt: skip
    return rows


def _fill_actor_events(conn: Connection, index: ActorIndex, event_rows: Sequence[Any]) -> None:
    ids = [r.id for r in event_rows]
    actors: dict[str, list[str]] = {}
    for event_id, actor_id in conn.execute(
        select(EA.c.event_id, EA.c.actor_id).where(EA.c.event_id.in_(ids))
    ):
        actors.setdefault(event_id, []).append(actor_id)
    claimants: dict[str, list[str]] = {}
    known_first: dict[str, date] = {}
    hedges: dict[str, set[str]] = {}
    for event_id, claimant_id, known_from, hedge in conn.execute(
        select(C.c.event_id, C.c.claimant_id, C.c.known_from, C.c.hedge).where(
            C.c.event_id.in_(ids)
        )
    ):
        claimants.setdefault(event_id, []).append(claimant_id)
        if known_from is not None and known_from < known_first.get(event_id, date.max):
            known_first[event_id] = known_from
        hedges.setdefault(event_id, set()).add(hedge)
    rows = actor_event_rows(
        index,
        ((r, actors.get(r.id, []), claimants.get(r.id, [])) for r in event_rows),
        known_first=known_first,
        hedge_masks={event_id: hedge_mask(h) for event_id, h in hedges.items()},
    )
    if rows:
        columns = [c.name for c in AE.columns]
        conn.execute(AE.insert(), [dict(zip(columns, row, strict=True)) for row in rows])


def render(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def rebuild(conn: Connection) -> int:
    """Recompute the derived tables from the normalised ones; return the event count."""
    conn.execute(delete(RC))
    conn.execute(delete(AE))
    conn.execute(delete(EJ))
    conn.execute(delete(CC))
    conn.execute(delete(AA))
    search.clear(conn)
    index = ActorIndex.load(conn)
    everything = TimelineFilter()
    fill_actor_ancestors(conn, index)
    count, after = 0, ""
    while True:
        rows = conn.execute(
            select(E).where(E.c.id > after).order_by(E.c.id).limit(REBUILD_BATCH)
        ).all()
        if not rows:
            break
        bodies = build_events(conn, index, everything, rows)
        conn.execute(EJ.insert(), [{"event_id": b["id"], "body": render(b)} for b in bodies])
        conflicts = [row for b in bodies for row in corroboration.conflict_rows(b)]
        if conflicts:
            conn.execute(CC.insert(), conflicts)
        _fill_actor_events(conn, index, rows)
        count += len(rows)
        after = rows[-1].id
    running_counts.fill(conn)  # reads actor_events
    search.fill(conn)
    dataset_meta.mark_derived(conn)
    return count


def hedge_mask_mismatches(conn: Connection) -> int:
    """How many actor_events rows hold another `hedge_mask` than their event's claims give."""
    # A sum of distinct bits is their OR, in SQL that either database runs.
    bit = case({hedge.value: b for hedge, b in HEDGE_BITS.items()}, value=C.c.hedge)
    mask = select(func.coalesce(func.sum(bit.distinct()), 0)).where(C.c.event_id == AE.c.event_id)
    wrong = AE.c.hedge_mask != mask.scalar_subquery()
    return int(conn.execute(select(func.count()).where(wrong)).scalar() or 0)


def known_first_mismatches(conn: Connection) -> int:
    """How many actor_events rows hold another `known_first` than their event's claims give
    (a check for tests and for migrations' fills)."""
    first = select(func.min(C.c.known_from)).where(C.c.event_id == AE.c.event_id)
    wrong = AE.c.known_first.is_distinct_from(first.scalar_subquery())
    return int(conn.execute(select(func.count()).where(wrong)).scalar() or 0)
