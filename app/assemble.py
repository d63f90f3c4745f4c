"""Turn query rows into JSON-ready dicts, in the shapes `app/schemas.py` documents.

Plain dicts serialised by orjson, not pydantic models: building and re-validating thousands of
nested models per page cost more than the SQL. The contract tests (generated client,
schemathesis' response-schema check) hold these dicts to the documented schemas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection

from app import corroboration, queries
from app.actor_index import ActorIndex
from app.edtf import human_label, parse_edtf
from app.filters import TimelineFilter

Json = dict[str, Any]


def actor_ref(index: ActorIndex, actor_id: str) -> Json:
    info = index.actors[actor_id]
    return {"id": info.id, "name": info.name, "kind": info.kind}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def instant(value: datetime) -> str:
    """An RFC 3339 UTC timestamp with microseconds, fixed width: it sorts as text, and
    passed back as `updated_since` or `since` it names the same instant exactly."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def date_info(
    edtf: str, earliest: date, latest: date, precision: str, approximate: bool, uncertain: bool
) -> Json:
    return {
        "edtf": edtf, "earliest": earliest.isoformat(), "latest": latest.isoformat(),
        "precision": precision, "approximate": bool(approximate), "uncertain": bool(uncertain),
    }  # fmt: skip


def event_date(row: Any, prefix: str = "date_") -> Json:
    return date_info(
        *(getattr(row, prefix + name)
          for name in ("edtf", "earliest", "latest", "precision", "approximate", "uncertain"))
    )  # fmt: skip


def published(row: Any) -> Json:
    return date_info(row.published, row.published_earliest, row.published_latest,
                     row.published_precision, False, False)  # fmt: skip


def claimed_on(row: Any) -> Json | None:
    if row.claimed_edtf is None:
        return None
    p = parse_edtf(row.claimed_edtf)
    return date_info(p.text, p.earliest, p.latest, p.precision.value, p.approximate, p.uncertain)


def document_ref(index: ActorIndex, row: Any) -> Json:
    return {
        "id": row.id, "title": row.title,
        "outlet": actor_ref(index, row.outlet_id) if row.outlet_id else None,
        "url": row.url, "published": published(row),
    }  # fmt: skip


def claim_json(
    index: ActorIndex, r: Any, via: Sequence[str], figures: Sequence[Any], document: Json
) -> Json:
    """One claim; `r` has the claims columns and `matched`, `figures` the figures columns."""
    return {
        "id": r.id, "event_id": r.event_id, "claimant": actor_ref(index, r.claimant_id),
        "via": [actor_ref(index, a) for a in via], "document": document, "quote": r.quote,
        "quote_start": r.quote_start, "quote_end": r.quote_end, "stance": r.stance,
        "hedge": r.hedge, "claimed_on": claimed_on(r), "known_from": _iso(r.known_from),
        "note": r.note,
        "figures": [
            {"quantity": f.quantity, "low": f.low, "high": f.high, "qualifier": f.qualifier,
             "unit": f.unit, "text": f.text}
            for f in figures
        ],
        "created_at": instant(r.created_at), "updated_at": instant(r.updated_at),
        "matched": bool(r.matched),
    }  # fmt: skip


def event_json(index: ActorIndex, r: Any, actors: Sequence[Any], claims: list[Json]) -> Json:
    """One event; `r` has the events columns, `actors` rows of (actor_id, role) in (role,
    actor_id) order, `claims` from claim_json in (known_from, id) order."""
    location = None
    if r.location_name is not None:
        location = {"name": r.location_name, "lat": r.location_lat, "lon": r.location_lon}
    return {
        "id": r.id, "type": r.type, "context": bool(r.context), "title": r.title,
        "summary": r.summary,
        "date": {**event_date(r), "basis": r.date_basis}, "location": location,
        "actors": [{**actor_ref(index, a.actor_id), "role": a.role} for a in actors],
        **corroboration.summary(claims), "claims": claims,
        "created_at": instant(r.created_at), "updated_at": instant(r.updated_at),
    }  # fmt: skip


def build_claims(conn: Connection, index: ActorIndex, claim_rows: Sequence[Any]) -> list[Json]:
    ids = [r.id for r in claim_rows]
    via = queries.via_for_claims(conn, ids)
    figures = queries.figures_for_claims(conn, ids)
    docs = queries.document_refs(conn, sorted({r.document_id for r in claim_rows}))
    doc_refs = {doc_id: document_ref(index, row) for doc_id, row in docs.items()}
    return [
        claim_json(index, r, via.get(r.id, []), figures.get(r.id, []), doc_refs[r.document_id])
        for r in claim_rows
    ]


def build_events(
    conn: Connection, index: ActorIndex, f: TimelineFilter, event_rows: Sequence[Any]
) -> list[Json]:
    ids = [r.id for r in event_rows]
    actors = queries.event_actors(conn, ids)
    claim_rows = queries.claims_for_events(conn, f, ids)
    by_event: dict[str, list[Json]] = {}
    for claim in build_claims(conn, index, [c for rows in claim_rows.values() for c in rows]):
        by_event.setdefault(claim["event_id"], []).append(claim)
    return [event_json(index, r, actors.get(r.id, []), by_event.get(r.id, [])) for r in event_rows]


def build_claim_rows(conn: Connection, index: ActorIndex, rows: Sequence[Any]) -> list[Json]:
    claims = build_claims(conn, index, rows)
    for claim, r in zip(claims, rows, strict=True):
        claim["event"] = {"id": r.event_id, "type": r.event_type,
                          "context": bool(r.event_context), "title": r.event_title,
                          "date": event_date(r, "event_date_")}  # fmt: skip
    return claims


def build_figure_rows(conn: Connection, index: ActorIndex, rows: Sequence[Any]) -> list[Json]:
    """/figures rows from figures.page_figures's: each figure with its claim's fields."""
    claims = build_claim_rows(conn, index, rows)
    return [
        {"quantity": r.figure_quantity, "low": r.figure_low, "high": r.figure_high,
         "qualifier": r.figure_qualifier, "unit": r.figure_unit, "text": r.figure_text,
         "claim_id": c["id"], "position": r.figure_position,
         **{k: c[k] for k in _FIGURE_ROW_CLAIM_FIELDS}}
        for c, r in zip(claims, rows, strict=True)
    ]  # fmt: skip


_FIGURE_ROW_CLAIM_FIELDS = (
    "claimant", "via", "document", "known_from", "claimed_on", "stance", "hedge", "quote",
    "quote_start", "quote_end", "event",
)  # fmt: skip


def build_timeline_groups(events: list[Json]) -> list[Json]:
    """Group a page's events under their EDTF date, groups in order of first appearance."""
    groups: dict[str, Json] = {}
    for event in events:
        date_ = {k: v for k, v in event["date"].items() if k != "basis"}
        claimants: list[Json] = []
        for c in event["claims"]:
            if c["claimant"] not in claimants:
                claimants.append(c["claimant"])
        item = {
            "id": event["id"], "type": event["type"], "context": event["context"],
            "title": event["title"], "date": date_,
            "claim_count": len(event["claims"]), "claimants": claimants,
            "hedges": sorted({c["hedge"] for c in event["claims"]}),
            "figures": [
                {"claimant_id": c["claimant"]["id"], "quantity": f["quantity"], "low": f["low"],
                 "high": f["high"], "qualifier": f["qualifier"]}
                for c in event["claims"] for f in c["figures"]
            ],
            "matched_claim_ids": [c["id"] for c in event["claims"] if c["matched"]],
            **{k: event[k] for k in ("support", "contested", "contested_by")},
        }  # fmt: skip
        group = groups.setdefault(
            date_["edtf"], {"label": human_label(date_["edtf"]), "date": date_, "events": []}
        )
        group["events"].append(item)
    return list(groups.values())
