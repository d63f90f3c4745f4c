"""/events and /events/{event_id}."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app import queries, rendered_pages, schemas
from app.api.deps import (
    FILTER_PARAMS,
    PAGE_PARAMS,
    FilterDep,
    Session,
    only_params,
    open_session,
)
from app.api.formats import Format
from app.api.formats.respond import LISTING_OPTIONS, FormatParam, chosen, export
from app.api.listing import EventsListing, echo
from app.api.problems import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES, ProblemError
from app.api.responses import json_response
from app.assemble import build_events
from app.facets import FACETS, count_facets
from app.filters import TimelineFilter
from app.vocab import Facet

router = APIRouter(tags=["events"])


@router.get(
    "/events",
    operation_id="listEvents",
    summary="List events in chronological order",
    response_model=schemas.EventPage,
    response_description="A page of events, with the cursor of the next; or, asked for by "
    "`format=` or Accept, the whole selection as CSV, NDJSON, TimelineJS, GeoJSON or Atom",
    **LISTING_OPTIONS,
)
def list_events(listing: EventsListing, format_: FormatParam = None) -> Response:
    """Events ordered by earliest date, then id, each with its actors and its claims.

    Claim filters (`claimant`, `via`, `source`, `document`, `hedge`) select events with at
    least one matching claim; every claim of the event is returned and `matched` says which
    did. `known_as_of` hides claims published later, and events left with none.

    `format=` (or Accept) asks for another representation of the same selection: `csv` (one
    row per figure of each claim), `ndjson` (one event a line), `timelinejs`, `geojson`
    (events with a place) or `atom` (also at /events.atom: a feed, newest known first).
    """
    fmt = chosen(listing.request, format_)
    if fmt is not Format.json:
        return export(listing, fmt)
    return listing.respond("events", queries.page_events, queries.event_sort_key, _events)


@router.get(
    "/events.atom",
    include_in_schema=False,
    dependencies=[Depends(only_params(*FILTER_PARAMS, *PAGE_PARAMS))],
)
def events_feed(listing: EventsListing) -> Response:
    """/events?format=atom at an address a feed reader recognises."""
    return export(listing, Format.atom)


def _events(s: Session, f: TimelineFilter, rows: Sequence[Any]) -> dict[str, Any]:
    stored = rendered_pages.stored_bodies(s.conn, f, rows)
    if stored is not None:
        return {"data": [orjson.Fragment(body) for body in stored]}
    return {"data": build_events(s.conn, s.index, f, rows)}


# Declared before /events/{event_id}, which would otherwise take "facets" for an event id.
@router.get(
    "/events/facets",
    operation_id="countEventFacets",
    summary="Count the matching events by type, year, actor and claimant",
    response_model=schemas.EventFacets,
    response_description="The total and the requested counts, with the filters as read",
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(only_params(*FILTER_PARAMS, "facet"))],
)
def event_facets(
    request: Request,
    filters: FilterDep,
    facet: Annotated[
        list[Facet], Query(description="Facets to count; repeat for several (default: all)")
    ] = [],  # noqa: B006
) -> Response:
    """How the events that `/events` would list for the same filters divide, with the total.

    Each count is the number of events that adding that value to the request would select
    (`type=`, `actor=`, `claimant=`, or `from=YYYY&to=YYYY` for a year), so the sum of a
    multi-valued facet (actor, claimant, year) can exceed the total.
    """
    names = tuple(dict.fromkeys(f.value for f in facet)) or FACETS
    with open_session(request) as s:
        f = filters.resolve(s)
        body = count_facets(s.conn, s.index, f, names)
        body["filters"] = echo(s.index, f).model_dump(mode="json", by_alias=True)
    return json_response(body)


@router.get(
    "/events/{event_id}",
    operation_id="getEvent",
    summary="Get one event with all its claims",
    response_model=schemas.Event,
    response_description="The event, with its actors and every claim",
    responses=NOT_FOUND_RESPONSE,
    dependencies=[Depends(only_params())],
)
def get_event(
    event_id: Annotated[
        str, Path(description="The event's id", examples=["dprk-casualties-2024-12"])
    ],
    request: Request,
) -> Response:
    with open_session(request) as s:
        row = queries.event_by_id(s.conn, event_id)
        if row is None:
            raise ProblemError(404, "not-found", f"no event with id {event_id!r}; see /events")
        return json_response(build_events(s.conn, s.index, TimelineFilter(), [row])[0])
