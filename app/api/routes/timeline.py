"""/timeline: a compact chronological view for rendering."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app import queries, schemas
from app.api.listing import ROUTE_OPTIONS, EventsListing
from app.assemble import build_events, build_timeline_groups

router = APIRouter(tags=["events"])


@router.get(
    "/timeline",
    operation_id="getTimeline",
    summary="Events grouped by date, claims summarised, resolved filters echoed",
    response_model=schemas.Timeline,
    **ROUTE_OPTIONS,
)
def get_timeline(listing: EventsListing) -> Response:
    """The /events selection, grouped under precision-aware date headings ("Autumn 2024")."""
    return listing.respond(
        "events", queries.page_events, queries.event_sort_key,
        lambda s, f, rows: {
            "groups": build_timeline_groups(build_events(s.conn, s.index, f, rows))
        },
    )  # fmt: skip
