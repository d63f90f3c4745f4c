"""/events and /events/{event_id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from app import queries, schemas
from app.api.deps import only_params, open_session
from app.api.listing import ROUTE_OPTIONS, EventsListing
from app.api.problems import NOT_FOUND_RESPONSE, ProblemError
from app.api.responses import json_response
from app.assemble import build_events
from app.filters import TimelineFilter

router = APIRouter(tags=["events"])


@router.get(
    "/events",
    operation_id="listEvents",
    summary="List events in chronological order",
    response_model=schemas.EventPage,
    **ROUTE_OPTIONS,
)
def list_events(listing: EventsListing) -> Response:
    """Events ordered by earliest date, then id, each with its actors and its claims.

    Claim filters (`claimant`, `via`, `source`, `document`, `hedge`) select events with at
    least one matching claim; every claim of the event is returned and `matched` says which
    did. `known_as_of` hides claims published later, and events left with none.
    """
    return listing.respond(
        "events", queries.page_events, queries.event_sort_key,
        lambda s, f, rows: {"data": build_events(s.conn, s.index, f, rows)},
    )  # fmt: skip


@router.get(
    "/events/{event_id}",
    operation_id="getEvent",
    summary="Get one event with all its claims",
    response_model=schemas.Event,
    responses=NOT_FOUND_RESPONSE,
    dependencies=[Depends(only_params())],
)
def get_event(event_id: str, request: Request) -> Response:
    with open_session(request) as s:
        row = queries.event_by_id(s.conn, event_id)
        if row is None:
            raise ProblemError(404, "not-found", f"no event with id {event_id!r}; see /events")
        return json_response(build_events(s.conn, s.index, TimelineFilter(), [row])[0])
