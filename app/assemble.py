"""Turn query rows into response models. Runs the fixed set of hydration queries once per page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from app import queries, schemas
from app.actor_index import ActorIndex
from app.edtf import human_label, parse_edtf
from app.filters import TimelineFilter


def actor_ref(index: ActorIndex, actor_id: str) -> schemas.ActorRef:
    info = index.actors[actor_id]
    return schemas.ActorRef(id=info.id, name=info.name, kind=info.kind)


def _date(prefix: str, row: Any) -> schemas.DateInfo:
    m = row._mapping
    return schemas.DateInfo(
        edtf=m[f"{prefix}edtf"],
        earliest=m[f"{prefix}earliest"],
        latest=m[f"{prefix}latest"],
        precision=m[f"{prefix}precision"],
        approximate=m[f"{prefix}approximate"],
        uncertain=m[f"{prefix}uncertain"],
    )


def event_date(row: Any) -> schemas.EventDate:
    base = _date("date_", row)
    return schemas.EventDate(**base.model_dump(), basis=row.date_basis)


def claimed_on(row: Any) -> schemas.DateInfo | None:
    if row.claimed_edtf is None:
        return None
    parsed = parse_edtf(row.claimed_edtf)
    return schemas.DateInfo(
        edtf=parsed.text,
        earliest=parsed.earliest,
        latest=parsed.latest,
        precision=parsed.precision,
        approximate=parsed.approximate,
        uncertain=parsed.uncertain,
    )


def document_ref(index: ActorIndex, row: Any) -> schemas.DocumentRef:
    return schemas.DocumentRef(
        id=row.id,
        title=row.title,
        outlet=actor_ref(index, row.outlet_id) if row.outlet_id else None,
        url=row.url,
        published=schemas.DateInfo(
            edtf=row.published,
            earliest=row.published_earliest,
            latest=row.published_latest,
            precision=row.published_precision,
            approximate=False,
            uncertain=False,
        ),
    )


def build_claims(
    conn: Connection, index: ActorIndex, claim_rows: Sequence[Any]
) -> list[schemas.Claim]:
    ids = [r.id for r in claim_rows]
    via = queries.via_for_claims(conn, ids)
    figures = queries.figures_for_claims(conn, ids)
    docs = queries.document_refs(conn, sorted({r.document_id for r in claim_rows}))
    doc_refs = {doc_id: document_ref(index, row) for doc_id, row in docs.items()}
    out = []
    for r in claim_rows:
        out.append(
            schemas.Claim(
                id=r.id,
                event_id=r.event_id,
                claimant=actor_ref(index, r.claimant_id),
                via=[actor_ref(index, a) for a in via.get(r.id, [])],
                document=doc_refs[r.document_id],
                quote=r.quote,
                quote_start=r.quote_start,
                quote_end=r.quote_end,
                stance=r.stance,
                hedge=r.hedge,
                claimed_on=claimed_on(r),
                known_from=r.known_from,
                note=r.note,
                figures=[
                    schemas.Figure(
                        quantity=f.quantity,
                        low=f.low,
                        high=f.high,
                        qualifier=f.qualifier,
                        unit=f.unit,
                        text=f.text,
                    )
                    for f in figures.get(r.id, [])
                ],
                matched=bool(r.matched),
            )
        )
    return out


def build_events(
    conn: Connection, index: ActorIndex, f: TimelineFilter, event_rows: Sequence[Any]
) -> list[schemas.Event]:
    ids = [r.id for r in event_rows]
    actors = queries.event_actors(conn, ids)
    claim_rows = queries.claims_for_events(conn, f, ids)
    all_claims = build_claims(conn, index, [c for rows in claim_rows.values() for c in rows])
    by_event: dict[str, list[schemas.Claim]] = {}
    for claim in all_claims:
        by_event.setdefault(claim.event_id, []).append(claim)
    out = []
    for r in event_rows:
        location = None
        if r.location_name is not None:
            location = schemas.Location(
                name=r.location_name, lat=r.location_lat, lon=r.location_lon
            )
        out.append(
            schemas.Event(
                id=r.id,
                type=r.type,
                title=r.title,
                summary=r.summary,
                date=event_date(r),
                location=location,
                actors=[
                    schemas.EventActor(**actor_ref(index, a.actor_id).model_dump(), role=a.role)
                    for a in actors.get(r.id, [])
                ],
                claims=by_event.get(r.id, []),
            )
        )
    return out


def build_claim_rows(
    conn: Connection, index: ActorIndex, rows: Sequence[Any]
) -> list[schemas.ClaimRow]:
    claims = build_claims(conn, index, rows)
    out = []
    for claim, r in zip(claims, rows, strict=True):
        event = schemas.EventSummaryRef(
            id=r.event_id, type=r.event_type, title=r.event_title, date=_date("event_date_", r)
        )
        out.append(schemas.ClaimRow(**claim.model_dump(), event=event))
    return out


def build_timeline_groups(events: list[schemas.Event]) -> list[schemas.TimelineGroup]:
    """Group a page's events under their EDTF date, groups in order of first appearance."""
    groups: dict[str, tuple[schemas.DateInfo, list[schemas.TimelineItem]]] = {}
    for event in events:
        date = schemas.DateInfo(**event.date.model_dump(exclude={"basis"}))
        claimants: list[schemas.ActorRef] = []
        for c in event.claims:
            if c.claimant not in claimants:
                claimants.append(c.claimant)
        item = schemas.TimelineItem(
            id=event.id,
            type=event.type,
            title=event.title,
            date=date,
            claim_count=len(event.claims),
            claimants=claimants,
            hedges=sorted({c.hedge for c in event.claims}),
            figures=[
                schemas.TimelineFigure(
                    claimant_id=c.claimant.id,
                    quantity=f.quantity,
                    low=f.low,
                    high=f.high,
                    qualifier=f.qualifier,
                )
                for c in event.claims
                for f in c.figures
            ],
            matched_claim_ids=[c.id for c in event.claims if c.matched],
        )
        groups.setdefault(date.edtf, (date, []))[1].append(item)
    return [
        schemas.TimelineGroup(label=human_label(date.edtf), date=date, events=items)
        for date, items in groups.values()
    ]
