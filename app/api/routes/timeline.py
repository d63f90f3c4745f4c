"""/timeline: a compact chronological view for rendering."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app import queries, schemas
from app.api.listing import ROUTE_OPTIONS, ListingDep
from app.assemble import build_events, build_timeline_groups

router = APIRouter(tags=["events"])


@router.get(
    "/timeline",
    operation_id="getTimeline",
    summary="Events grouped by date, claims summarised, resolved filters echoed",
    response_model=schemas.Timeline,
    **ROUTE_OPTIONS,
)
def get_timeline(listing: ListingDep) -> Response:
    """The /events selection, grouped under precision-aware date headings ("Autumn 2024")."""
    rows, token, url = listing.page("events", queries.page_events, queries.event_sort_key)
    events = build_events(listing.conn, listing.index, listing.filter, rows)
    groups = build_timeline_groups(events)
    return listing.respond({"next_cursor": token, "next": url, "groups": groups})
