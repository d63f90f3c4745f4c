"""Derived tables that make the common listings one indexed read: `actor_events` and
`event_json` (see app/models.py).

Both are functions of the normalised tables and are rebuilt whenever a load changes
anything; `dataset_meta.derived_version` says which data version they match, and the API
uses them only when it is the current one. Renders come from the same functions as the
general path (`app.assemble`), so the two cannot drift; tests compare them byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select

from app import dataset_meta
from app.actor_index import ActorIndex
from app.assemble import build_events
from app.filters import TimelineFilter
from app.models import actor_events_table as AE
from app.models import event_actors_table as EA
from app.models import event_json_table as EJ
from app.models import events_table as E

REBUILD_BATCH = 500


def actor_event_rows(
    index: ActorIndex,
    event_id: str,
    precision: str,
    earliest: date,
    latest: date,
    actor_ids: Iterable[str],
) -> list[tuple[str, str, date, str, date]]:
    """actor_events rows (column order) for one event: its actors and all their ancestors."""
    keys: dict[str, None] = {}
    for actor_id in actor_ids:
        for key in index.ancestors(actor_id):
            keys[key] = None
    return [(key, precision, earliest, event_id, latest) for key in keys]


def render(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def rebuild(conn: Connection) -> int:
    """Recompute both derived tables from the normalised ones; return the event count."""
    conn.execute(delete(AE))
    conn.execute(delete(EJ))
    index = ActorIndex.load(conn)
    everything = TimelineFilter()
    count, after = 0, ""
    while True:
        rows = conn.execute(
            select(E).where(E.c.id > after).order_by(E.c.id).limit(REBUILD_BATCH)
        ).all()
        if not rows:
            break
        ids = [r.id for r in rows]
        actors: dict[str, list[str]] = {}
        for event_id, actor_id in conn.execute(
            select(EA.c.event_id, EA.c.actor_id).where(EA.c.event_id.in_(ids))
        ):
            actors.setdefault(event_id, []).append(actor_id)
        links = [
            dict(zip(AE.c.keys(), values, strict=True))
            for r in rows
            for values in actor_event_rows(
                index, r.id, r.date_precision, r.date_earliest, r.date_latest,
                actors.get(r.id, []),
            )
        ]  # fmt: skip
        if links:
            conn.execute(AE.insert(), links)
        bodies = build_events(conn, index, everything, rows)
        conn.execute(EJ.insert(), [{"event_id": b["id"], "body": render(b)} for b in bodies])
        count += len(rows)
        after = rows[-1].id
    dataset_meta.mark_derived(conn)
    return count
