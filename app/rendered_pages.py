"""The fast path of /events: one statement picks a page from the derived tables and returns
each event's pre-rendered JSON (app/derived.py).

It serves the common requests (at most one `actor`, a date range in either match mode, a
cursor) when the derived tables match the data version; every other request takes the
general path in app/queries.py. The statement is one ordered, limited range scan per date
precision, merged: an event of precision p that overlaps [from, to] starts on or after
`from - span(p)` (dataset_meta), so no scan reads events outside the range's reach.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    BindParameter,
    Connection,
    Date,
    Integer,
    LargeBinary,
    String,
    TextualSelect,
    bindparam,
    text,
)

from app.dataset_meta import Meta
from app.filters import TimelineFilter
from app.queries import earliest_floor


def eligible(f: TimelineFilter, meta: Meta) -> bool:
    return (
        meta.derived
        and f.spans is not None
        and len(f.actors) <= 1
        and not f.types
        and not f.has_claim_filter
        and f.known_as_of is None
        and not f.search
    )


@lru_cache(maxsize=256)
def _statement(
    by_actor: bool,
    precisions: tuple[tuple[str, bool], ...],  # (precision, has a floor); () = one scan
    has_from: bool,
    has_to: bool,
    within: bool,
    has_after: bool,
) -> TextualSelect:
    source, key = ("actor_events", "event_id") if by_actor else ("events", "id")
    common = ["actor_id = :actor"] if by_actor else []
    if has_from:
        common.append("date_earliest >= :from" if within else "date_latest >= :from")
    if has_to:
        common.append("date_earliest <= :to")
        if within:
            common.append("date_latest <= :to")
    if has_after:
        common.append(f"(date_earliest, {key}) > (:after_date, :after_id)")

    def branch(conds: list[str]) -> str:
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        return (
            f"SELECT date_earliest, {key} AS event_id FROM {source}{where} "
            f"ORDER BY date_earliest, {key} LIMIT :n"
        )

    if not precisions:
        picked = branch(common)
    else:
        parts = []
        for i, (_, has_floor) in enumerate(precisions):
            conds = [f"date_precision = :p{i}", *common]
            if has_floor:
                conds.append(f"date_earliest >= :floor{i}")
            parts.append(f"SELECT * FROM ({branch(conds)}) AS b{i}")
        picked = (
            f"SELECT * FROM ({' UNION ALL '.join(parts)}) AS u "
            "ORDER BY date_earliest, event_id LIMIT :n"
        )
    stmt = text(
        f"SELECT p.date_earliest, p.event_id, j.body FROM ({picked}) AS p "
        "JOIN event_json AS j ON j.event_id = p.event_id ORDER BY p.date_earliest, p.event_id"
    )
    dates = ["from", "to", "after_date"] + [f"floor{i}" for i in range(len(precisions))]
    params: list[BindParameter[Any]] = [
        bindparam(name, type_=Date) for name in dates if f":{name}" in stmt.text
    ]
    params.append(bindparam("n", type_=Integer))
    params += [bindparam(name, type_=String) for name in ("actor", "after_id")
               if f":{name}" in stmt.text]  # fmt: skip
    params += [bindparam(f"p{i}", type_=String) for i in range(len(precisions))]
    return stmt.bindparams(*params).columns(date_earliest=Date, event_id=String, body=LargeBinary)


def page(
    conn: Connection, f: TimelineFilter, limit: int, after: tuple[date, str] | None
) -> list[Any]:
    """Up to limit + 1 rows of (date_earliest, event_id, body) in timeline order."""
    assert f.spans is not None
    params: dict[str, Any] = {"n": limit + 1, "from": f.date_from, "to": f.date_to}
    actor = f.actors[0].actor.id if f.actors else None
    if actor is not None:
        params["actor"] = actor
    if after is not None:
        params["after_date"], params["after_id"] = after
    # Without a lower date bound or an actor, the (date_earliest, id) index alone is ordered.
    per_precision = actor is not None or (f.date_from is not None and not f.within)
    precisions: list[tuple[str, bool]] = []
    if per_precision:
        for i, (precision, span) in enumerate(f.spans):
            params[f"p{i}"] = precision
            floor = earliest_floor(f, span)
            if floor is not None:
                params[f"floor{i}"] = floor
            precisions.append((precision, floor is not None))
    stmt = _statement(
        actor is not None, tuple(precisions), f.date_from is not None, f.date_to is not None,
        f.within, after is not None,
    )  # fmt: skip
    return list(conn.execute(stmt, {k: v for k, v in params.items() if v is not None}).all())


def page_body(token: str | None, url: str | None, rows: list[Any], filters: Any) -> bytes:
    """The EventPage JSON, spliced from stored event bodies: the bytes orjson would make of
    {"next_cursor", "next", "data", "filters"}."""
    return b"".join((
        b'{"next_cursor":', orjson.dumps(token), b',"next":', orjson.dumps(url), b',"data":[',
        b",".join(row[2] for row in rows), b'],"filters":', orjson.dumps(filters), b"}",
    ))  # fmt: skip
