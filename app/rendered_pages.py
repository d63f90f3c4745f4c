"""The fast path of /events: one statement picks a page from the derived tables and returns
each event's pre-rendered JSON (app/derived.py).

It serves the common requests (at most one `actor`, `claimant`, `via`, `source` or
`document`, a date range in either match mode, event types, hedges or `known_as_of` with
an actor, places without one, a cursor) when the derived tables match the data version;
every other request takes the general path in app/queries.py. The statement is one
ordered, limited range scan per date precision, merged: an event of precision p that
overlaps [from, to] starts on or after `from - span(p)` (dataset_meta), so no scan reads
events outside the range's reach. An actor's events are read from `actor_events`; a
claimant's from the claims index on (claimant, event date precision, event dates, event
type), one scan per claimant included (the actor and its sub-actors); a relaying outlet's
from the same index on claim_via, and a source's from both; a document's from its claims,
read whole and sorted. Under a claimant, an outlet, a document or a hedge the stored
bodies get their claims' `matched` flags set; on `known_as_of` they lose the claims not
yet public.

The statement's text is built and cached per shape in app/raw_sql.py (`page_statement`).
The general path's pages take the stored bodies too (`stored_bodies`) when their filters
leave each event's JSON as stored: types, several actors, search.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, select

from app import binds, corroboration, queries, raw_sql
from app.filters import Capability, TimelineFilter, filter_names
from app.models import claims_table as C
from app.models import event_json_table as EJ
from app.overlap import earliest_floor
from app.vocab import hedge_mask

# One statement over actor_events (or the claims, by claimant or document, or claim_via,
# by relaying outlet) and event_json; each holds its events' dates and types.
PAGE = Capability(
    "one-statement page",
    frozenset(
        {"actors", "claimants", "via", "sources", "documents", "date_from", "date_to"}
        | {"within", "types", "descending", "hedges", "locations", "known_as_of"}
    ),
    also=lambda f: (
        len(f.actors) + len(f.claimants) + len(f.via) + len(f.sources) + len(f.documents) <= 1
        # Only actor_events keeps the hedges of an event's claims (of every claim, public
        # on `known_as_of` or not) and the day its first claim was public.
        and (not f.hedges or bool(f.actors))
        and (f.known_as_of is None or (bool(f.actors) and not f.hedges))
        # Only the events keep their place.
        and (not f.locations or not (f.claimants or f.via or f.sources or f.documents or f.actors))
    ),
)
# Filters that leave each event's JSON as stored: they choose events, not claims (or, for
# `descending`, their order).
STORED_BODIES = Capability(
    "stored bodies",
    frozenset(
        {
            "actors",
            "date_from",
            "date_to",
            "within",
            "types",
            "search",
            "locations",
            "context",
            "descending",
        }
    ),
)
# Any filter: the stored bodies with each claim's `matched` set, and the claims not yet
# known on `known_as_of` left out, from one statement over the page's claims.
PATCHED_BODIES = Capability("stored bodies, claims patched", filter_names())


def page(
    conn: Connection, f: TimelineFilter, limit: int, after: tuple[date, str] | None
) -> list[Any]:
    """Up to limit + 1 rows of (date_earliest, event_id, body) in timeline order (reversed
    with `f.descending`)."""
    assert f.spans is not None
    params: dict[str, Any] = {"n": limit + 1, "from": f.date_from, "to": f.date_to}
    source: raw_sql.PageSource
    if f.actors:
        # actor_events lists the sub-actors' events under the actor too: one key.
        source, keys = "actor", [f.actors[0].actor.id]
    elif f.claimants:
        source, keys = "claimant", list(f.claimants[0].includes)
    elif f.via:
        source, keys = "via", list(f.via[0].includes)
    elif f.sources:
        source, keys = "source", list(f.sources[0].includes)
    elif f.documents:
        source, keys = "document", [f.documents[0]]
    else:
        source, keys = "events", []
    params.update({f"k{j}": k for j, k in enumerate(keys)})
    types = sorted(set(f.types))
    params.update({f"t{j}": t for j, t in enumerate(types)})
    if f.hedges:
        params["hedge_mask"] = hedge_mask(f.hedges)
    if f.known_as_of is not None:
        params["known"] = f.known_as_of
    # As the general path binds them (app/binds.py): the place's words, padded with spaces.
    params.update({f"loc{i}": f"%{phrase}%" for i, phrase in enumerate(f.locations)})
    if after is not None:
        params["after_date"], params["after_id"] = after
    # Without a lower date bound or a key, the (date_earliest, id) index alone is ordered.
    # A document's few claims are read whole from their index and sorted.
    per_precision = source != "document" and (
        bool(keys) or (f.date_from is not None and not f.within)
    )
    floors: list[bool] = []
    if per_precision:
        for i, (precision, span) in enumerate(f.spans):
            params[f"p{i}"] = precision
            floor = earliest_floor(f, span)
            if floor is not None:
                params[f"floor{i}"] = floor
            floors.append(floor is not None)
    stmt, sql = raw_sql.page_statement(
        source, len(keys), tuple(floors), f.date_from is not None, f.date_to is not None,
        f.within, after is not None, len(types), f.descending, bool(f.hedges),
        len(f.locations), f.known_as_of is not None,
    )  # fmt: skip
    bound = {k: v for k, v in params.items() if v is not None}
    rows: Sequence[Any]
    if conn.dialect.name == "sqlite" and source not in ("events", "actor"):
        rows = raw_sql.distinct_rows(conn, sql, bound, limit + 1)
    elif conn.dialect.name == "sqlite":
        rows = raw_sql.sqlite_rows(conn, sql, bound)
    else:
        rows = conn.execute(stmt, bound).all()
    if f.known_as_of is not None:
        known = f.known_as_of.isoformat().encode()
        return [(r[0], r[1], _as_known(r[2], known)) for r in rows]
    if f.hedges:
        hedges = frozenset(h.encode() for h in f.hedges)
        return [(r[0], r[1], _with_matched_hedge(r[2], hedges)) for r in rows]
    if source in ("events", "actor"):
        return list(rows)
    ids = frozenset(_json_id(k) for k in keys)
    if source in ("via", "source"):
        return [(r[0], r[1], _with_matched_via(r[2], ids, source == "source")) for r in rows]
    return [(r[0], r[1], _with_matched(r[2], ids, source)) for r in rows]


def stored_bodies(conn: Connection, f: TimelineFilter, rows: Sequence[Any]) -> list[bytes] | None:
    """The page's events as their stored JSON, in the rows' order, when STORED_BODIES
    serves the filters; None when it does not, or a body is missing: the caller then builds
    the events (assemble.build_events). One statement of indexed lookups instead of the
    general path's five and its Python assembly."""
    patched = not STORED_BODIES.applies(f)
    if patched and not PATCHED_BODIES.applies(f):
        return None
    if not rows:
        return []
    ids = [r.id for r in rows]
    found = dict(conn.execute(_BODIES, {"page_ids": ids}).all())
    if len(found) != len(set(ids)):
        return None
    if not patched:
        return [found[i] for i in ids]
    # The claims the general path would list (known on `known_as_of`), and which match.
    v = binds.values_of(f).plus(page_ids=ids)
    shown_stmt = binds.STATEMENTS.get(
        v.shape("patched claims"),
        lambda: select(C.c.id, queries.matched_column(f)).where(
            C.c.event_id.in_(v.param("page_ids")), queries.known_condition(f)
        ),
    )
    shown: dict[str, bool] = dict(conn.execute(shown_stmt, v.values).all())
    return [_patched(found[i], shown, f.known_as_of is not None) for i in ids]


_BODIES = select(EJ.c.event_id, EJ.c.body).where(
    EJ.c.event_id.in_(bindparam("page_ids", expanding=True))
)


def _patched(body: bytes, shown: dict[str, bool], hidden: bool) -> bytes:
    """A stored body (every claim, every one matched) as the general path renders it under
    claim filters and `known_as_of`: only the claims in `shown`, with their `matched`, and,
    when claims are `hidden` (not yet known), the support and disputes of those left."""
    event = orjson.loads(body)
    event["claims"] = [c for c in event["claims"] if c["id"] in shown]
    for claim in event["claims"]:
        claim["matched"] = bool(shown[claim["id"]])
    if hidden:
        event.update(corroboration.summary(event["claims"]))
    return orjson.dumps(event)


_MATCHED, _UNMATCHED = b'"matched":true', b'"matched":false'


def _flag_segments(
    body: bytes, opener: bytes, matches: Callable[[bytes], bool | None]
) -> bytes | None:
    """A stored body (every claim matched, as with no claim filter) with `matched` set from
    `matches` of each claim's segment (None: not as expected), or None for the parsed path.

    Patched as bytes: parsing and re-serialising 50 bodies cost about 1 ms a page. Each
    claim's `claimant` and `document` come before its `matched`, no other object has these
    keys, and JSON strings escape their quotes, so each `"claimant":{"id":"` (or
    `"document":{"id":"`) starts a segment holding that claim's one `"matched":true`."""
    parts = body.split(opener)
    for i in range(1, len(parts)):
        part = parts[i]
        verdict = matches(part)
        if verdict is None or part.count(_MATCHED) != 1:
            return None
        if not verdict:
            parts[i] = part.replace(_MATCHED, _UNMATCHED, 1)
    return opener.join(parts)


def _flag_parsed(body: bytes, matches: Callable[[Any], bool]) -> bytes:
    event = orjson.loads(body)
    for claim in event["claims"]:
        claim["matched"] = matches(claim)
    return orjson.dumps(event)


def _json_id(value: str) -> bytes:
    """An id as the bodies spell it: a JSON string's content."""
    return orjson.dumps(value)[1:-1]


def _with_matched(body: bytes, ids: frozenset[bytes], key: str) -> bytes:
    """`matched` for a filter on the claims' `key` (claimant or document)."""
    opener = b'"' + key.encode() + b'":{"id":"'
    patched = _flag_segments(body, opener, lambda part: part[: part.find(b'"')] in ids)
    return _with_matched_parsed(body, ids, key) if patched is None else patched


def _with_matched_parsed(body: bytes, ids: frozenset[bytes], key: str) -> bytes:
    return _flag_parsed(body, lambda claim: _json_id(claim[key]["id"]) in ids)


_CLAIMANT, _VIA, _VIA_END = b'"claimant":{"id":"', b'"via":[', b'],"document":{"id":"'


def _with_matched_via(body: bytes, ids: frozenset[bytes], or_claimant: bool) -> bytes:
    """`matched` for claims relayed by one of `ids` (or, `or_claimant`, made by one: a
    `source`). After its claimant's id, a claim's segment holds its `via` list up to
    `],"document":`, whose objects each open with `{"id":"`."""

    def relayed(part: bytes) -> bool | None:
        start, end = part.find(_VIA), part.find(_VIA_END)
        if start < 0 or end < start:
            return None
        outlets = part[start + len(_VIA) : end].split(b'{"id":"')[1:]
        return any(o[: o.find(b'"')] in ids for o in outlets) or (
            or_claimant and part[: part.find(b'"')] in ids
        )

    patched = _flag_segments(body, _CLAIMANT, relayed)
    return _with_matched_via_parsed(body, ids, or_claimant) if patched is None else patched


def _with_matched_via_parsed(body: bytes, ids: frozenset[bytes], or_claimant: bool) -> bytes:
    def relayed(claim: Any) -> bool:
        named = [v["id"] for v in claim["via"]] + ([claim["claimant"]["id"]] * or_claimant)
        return any(_json_id(a) in ids for a in named)

    return _flag_parsed(body, relayed)


_KNOWN_FROM = re.compile(rb'"known_from":"([0-9-]+)"')


def _as_known(body: bytes, known: bytes) -> bytes:
    """A stored body as the general path renders it on `known_as_of` (ISO day, as bytes):
    without the claims not yet public, and their support and disputes counted again
    (`_patched`). ISO days compare as text. When every `known_from` of the body (its
    claims', and its disputes', each the later of its two claims') is on or before that
    day, parsing and re-serialising would give the same bytes: the body is kept."""
    if all(day <= known for day in _KNOWN_FROM.findall(body)):
        return body
    event = orjson.loads(body)
    day = known.decode()
    event["claims"] = [c for c in event["claims"] if c["known_from"] <= day]
    event.update(corroboration.summary(event["claims"]))
    return orjson.dumps(event)


_HEDGE = b'"hedge":"'


def _with_matched_hedge(body: bytes, hedges: frozenset[bytes]) -> bytes:
    """`matched` for claims of one of the `hedges`: a claim's segment holds its one
    `"hedge":"` and a vocabulary word."""

    def hedged(part: bytes) -> bool | None:
        if part.count(_HEDGE) != 1:
            return None
        at = part.find(_HEDGE) + len(_HEDGE)
        return part[at : part.find(b'"', at)] in hedges

    patched = _flag_segments(body, _CLAIMANT, hedged)
    return _with_matched_hedge_parsed(body, hedges) if patched is None else patched


def _with_matched_hedge_parsed(body: bytes, hedges: frozenset[bytes]) -> bytes:
    return _flag_parsed(body, lambda claim: claim["hedge"].encode() in hedges)


def page_body(token: str | None, url: str | None, rows: list[Any], filters: bytes) -> bytes:
    """The EventPage JSON, spliced from stored event bodies and the filters' JSON: the bytes
    orjson would make of {"next_cursor", "next", "data", "filters"}."""
    return b"".join((
        b'{"next_cursor":', orjson.dumps(token), b',"next":', orjson.dumps(url), b',"data":[',
        b",".join(row[2] for row in rows), b'],"filters":', filters, b"}",
    ))  # fmt: skip
