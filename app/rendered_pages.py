"""The fast path of /events: one statement picks a page from the derived tables and returns
each event's pre-rendered JSON (app/derived.py).

It serves the common requests (at most one `actor` or one `claimant`, a date range in either
match mode, a cursor) when the derived tables match the data version; every other request
takes the general path in app/queries.py. The statement is one ordered, limited range scan
per date precision, merged: an event of precision p that overlaps [from, to] starts on or
after `from - span(p)` (dataset_meta), so no scan reads events outside the range's reach.
An actor's events are read from `actor_events`; a claimant's from the claims index on
(claimant, event date precision, event dates), one scan per claimant included (the actor
and its sub-actors), and their stored bodies get their claims' `matched` flags set.

The general path's pages take the stored bodies too (`stored_bodies`) when their filters
leave each event's JSON as stored: types, several actors, search.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
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
    select,
    text,
)
from sqlalchemy.exc import DBAPIError

from app.filters import Capability, TimelineFilter
from app.models import event_json_table as EJ
from app.queries import earliest_floor

# One statement over actor_events (or the claims' claimant index) and event_json.
PAGE = Capability(
    "one-statement page",
    frozenset({"actors", "claimants", "date_from", "date_to", "within"}),
    also=lambda f: len(f.actors) + len(f.claimants) <= 1,
)
# Filters that leave each event's JSON as stored: they choose events, not claims.
STORED_BODIES = Capability(
    "stored bodies",
    frozenset({"actors", "date_from", "date_to", "within", "types", "search", "locations"}),
)


# (table, key column, column prefix of the event's dates, DISTINCT): where each source
# keeps an event's id and dates. A claimant may have several claims on one event.
_SOURCES = {
    "events": ("events", "id", "", ""),
    "actor": ("actor_events", "event_id", "", ""),
    "claimant": ("claims", "event_id", "event_", "DISTINCT "),
}


@lru_cache(maxsize=256)
def _statement(
    source: str,  # a key of _SOURCES
    keys: int,  # how many actor or claimant ids (:k0, :k1, …) to scan
    precisions: tuple[tuple[str, bool], ...],  # (precision, has a floor); () = one scan
    has_from: bool,
    has_to: bool,
    within: bool,
    has_after: bool,
) -> tuple[TextualSelect, str]:
    """The statement, typed for SQLAlchemy, and its SQL text for SQLite's own cursor."""
    table, key, pre, distinct = _SOURCES[source]
    earliest, latest = f"{pre}date_earliest", f"{pre}date_latest"
    common = []
    if has_from:
        common.append(f"{earliest} >= :from" if within else f"{latest} >= :from")
    if has_to:
        common.append(f"{earliest} <= :to")
        if within:
            common.append(f"{latest} <= :to")
    if has_after:
        common.append(f"({earliest}, {key}) > (:after_date, :after_id)")
    id_column = "claimant_id" if source == "claimant" else "actor_id"
    by_key = [[f"{id_column} = :k{j}"] for j in range(keys)] or [[]]

    def branch(conds: list[str]) -> str:
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        return (
            f"SELECT {distinct}{earliest} AS date_earliest, {key} AS event_id FROM {table}"
            f"{where} ORDER BY {earliest}, {key} LIMIT :n"
        )

    branches: list[list[str]] = []
    for key_conds in by_key:
        for i, (_, has_floor) in enumerate(precisions or [("", False)]):
            conds = [*key_conds, *common]
            if precisions:
                conds.append(f"{pre}date_precision = :p{i}")
            if has_floor:
                conds.append(f"{earliest} >= :floor{i}")
            branches.append(conds)
    if len(branches) == 1:
        picked = branch(branches[0])
    else:
        parts = [f"SELECT * FROM ({branch(c)}) AS b{i}" for i, c in enumerate(branches)]
        picked = (
            f"SELECT {distinct}* FROM ({' UNION ALL '.join(parts)}) AS u "
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
    params += [bindparam(name, type_=String) for name in ("after_id",) if f":{name}" in stmt.text]
    params += [bindparam(f"p{i}", type_=String) for i in range(len(precisions))]
    params += [bindparam(f"k{j}", type_=String) for j in range(keys)]
    typed = stmt.bindparams(*params).columns(date_earliest=Date, event_id=String, body=LargeBinary)
    return typed, stmt.text


def page(
    conn: Connection, f: TimelineFilter, limit: int, after: tuple[date, str] | None
) -> list[Any]:
    """Up to limit + 1 rows of (date_earliest, event_id, body) in timeline order."""
    assert f.spans is not None
    params: dict[str, Any] = {"n": limit + 1, "from": f.date_from, "to": f.date_to}
    if f.actors:
        # actor_events lists the sub-actors' events under the actor too: one key.
        source, keys = "actor", [f.actors[0].actor.id]
    elif f.claimants:
        source, keys = "claimant", list(f.claimants[0].includes)
    else:
        source, keys = "events", []
    params.update({f"k{j}": k for j, k in enumerate(keys)})
    if after is not None:
        params["after_date"], params["after_id"] = after
    # Without a lower date bound or a key, the (date_earliest, id) index alone is ordered.
    per_precision = bool(keys) or (f.date_from is not None and not f.within)
    precisions: list[tuple[str, bool]] = []
    if per_precision:
        for i, (precision, span) in enumerate(f.spans):
            params[f"p{i}"] = precision
            floor = earliest_floor(f, span)
            if floor is not None:
                params[f"floor{i}"] = floor
            precisions.append((precision, floor is not None))
    stmt, sql = _statement(
        source, len(keys), tuple(precisions), f.date_from is not None, f.date_to is not None,
        f.within, after is not None,
    )  # fmt: skip
    bound = {k: v for k, v in params.items() if v is not None}
    rows: Sequence[Any]
    if conn.dialect.name == "sqlite":
        rows = _sqlite_rows(conn, sql, bound)
    else:
        rows = conn.execute(stmt, bound).all()
    if f.claimants:
        return [(r[0], r[1], _with_matched(r[2], set(keys))) for r in rows]
    return list(rows)


def _sqlite_rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    """The statement run on the driver's own cursor, with the rows SQLAlchemy would give.

    SQLAlchemy's execution context (parameter and result processing, the result object)
    was about a sixth of the main query's CPU at 1M events under load (py-spy), for a
    statement whose text and types are fixed: 0.865 -> 0.71 ms a request without it
    (docs/benchmarks.md).
    The dates go in and come out as the ISO text SQLite stores them as, as the Date type
    would convert them, and the driver's errors leave as SQLAlchemy's, as from any other
    statement (the fast route hands those requests to the general route). PostgreSQL keeps
    SQLAlchemy's path: there the network round trip dominates."""
    raw = conn.connection.driver_connection
    assert raw is not None
    values = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    try:
        return [(date.fromisoformat(d), i, b) for d, i, b in raw.execute(sql, values)]
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, values, exc, sqlite3.Error) from exc


def stored_bodies(conn: Connection, f: TimelineFilter, rows: Sequence[Any]) -> list[bytes] | None:
    """The page's events as their stored JSON, in the rows' order, when STORED_BODIES
    serves the filters; None when it does not, or a body is missing: the caller then builds
    the events (assemble.build_events). One statement of indexed lookups instead of the
    general path's five and its Python assembly (docs/benchmarks.md)."""
    if not STORED_BODIES.applies(f):
        return None
    if not rows:
        return []
    ids = [r.id for r in rows]
    found = dict(conn.execute(select(EJ.c.event_id, EJ.c.body).where(EJ.c.event_id.in_(ids))).all())
    if len(found) != len(set(ids)):
        return None
    return [found[i] for i in ids]


def _with_matched(body: bytes, claimants: set[str]) -> bytes:
    """A stored body (every claim matched, as with no claim filter) with `matched` saying
    which claims a claimant filter matches, as the general path renders it."""
    event = orjson.loads(body)
    for claim in event["claims"]:
        claim["matched"] = claim["claimant"]["id"] in claimants
    return orjson.dumps(event)


def page_body(token: str | None, url: str | None, rows: list[Any], filters: bytes) -> bytes:
    """The EventPage JSON, spliced from stored event bodies and the filters' JSON: the bytes
    orjson would make of {"next_cursor", "next", "data", "filters"}."""
    return b"".join((
        b'{"next_cursor":', orjson.dumps(token), b',"next":', orjson.dumps(url), b',"data":[',
        b",".join(row[2] for row in rows), b'],"filters":', filters, b"}",
    ))  # fmt: skip
