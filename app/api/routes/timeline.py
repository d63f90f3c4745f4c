"""/timeline: a compact chronological view for rendering."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import APIRouter, Response

from app import queries, rendered_pages, schemas
from app.api.deps import Session
from app.api.formats import Format
from app.api.formats.respond import LISTING_OPTIONS, FormatParam, chosen, export
from app.api.listing import EventsListing
from app.assemble import build_events, build_timeline_groups
from app.filters import TimelineFilter

router = APIRouter(tags=["events"])


@router.get(
    "/timeline",
    operation_id="getTimeline",
    summary="Events grouped by date, claims summarised, resolved filters echoed",
    response_model=schemas.Timeline,
    response_description="A page of the selection, grouped by date, with the next cursor; "
    "or, asked for by `format=` or Accept, the whole selection as TimelineJS, CSV, NDJSON, "
    "GeoJSON or Atom",
    **LISTING_OPTIONS,
)
def get_timeline(listing: EventsListing, format_: FormatParam = None) -> Response:
    """The /events selection, grouped under precision-aware date headings ("Autumn 2024").

    `format=timelinejs` gives the whole selection as Knight Lab TimelineJS3 JSON (a title
    slide saying the filters, one slide per event grouped by type); the other formats are
    /events' own.
    """
    fmt = chosen(listing.request, format_)
    if fmt is not Format.json:
        return export(listing, fmt, stem="claimline-timeline")
    return listing.respond("events", queries.page_events, queries.event_sort_key, _groups)


def _groups(s: Session, f: TimelineFilter, rows: Sequence[Any]) -> dict[str, Any]:
    # Parsing the stored bodies is cheaper than building the events (rendered_pages).
    stored = rendered_pages.stored_bodies(s.conn, f, rows)
    if stored is not None:
        events = [orjson.loads(body) for body in stored]
    else:
        events = build_events(s.conn, s.index, f, rows)
    return {"groups": build_timeline_groups(events)}
