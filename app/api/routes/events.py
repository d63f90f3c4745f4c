"""/events and /events/{event_id}."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from app import queries, schemas
from app.api.deps import (
    FILTER_PARAMS,
    PAGE_PARAMS,
    ActorIndexDep,
    ConnectionDep,
    CursorParam,
    FilterDep,
    LimitParam,
    decode,
    only_params,
)
from app.api.paging import echo_filters, next_links, split_page
from app.api.problems import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES, ProblemError
from app.assemble import build_events
from app.filters import TimelineFilter

router = APIRouter(tags=["events"])


@router.get(
    "/events",
    operation_id="listEvents",
    summary="List events in chronological order",
    response_model=schemas.EventPage,
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(only_params(*FILTER_PARAMS, *PAGE_PARAMS))],
)
def list_events(
    request: Request,
    response: Response,
    conn: ConnectionDep,
    index: ActorIndexDep,
    f: FilterDep,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> schemas.EventPage:
    """Events ordered by earliest date, then id, each with its actors and its claims.

    Claim filters (`claimant`, `via`, `source`, `document`, `hedge`) select events with at
    least one matching claim; every claim of the event is returned and `matched` says which
    did. `known_as_of` hides claims published later, and events left with none.
    """
    rows, more = split_page(queries.page_events(conn, f, limit, decode("events", cursor)), limit)
    last = (rows[-1].date_earliest, rows[-1].id) if more else None
    token, url = next_links(request, response, "events", last)
    return schemas.EventPage(
        data=build_events(conn, index, f, rows), next_cursor=token, next=url,
        filters=echo_filters(index, f),
    )  # fmt: skip


@router.get(
    "/events/{event_id}",
    operation_id="getEvent",
    summary="Get one event with all its claims",
    response_model=schemas.Event,
    responses=NOT_FOUND_RESPONSE,
    dependencies=[Depends(only_params())],
)
def get_event(event_id: str, conn: ConnectionDep, index: ActorIndexDep) -> schemas.Event:
    row = queries.event_by_id(conn, event_id)
    if row is None:
        raise ProblemError(404, "not-found", f"no event with id {event_id!r}; see /events")
    return build_events(conn, index, TimelineFilter(), [row])[0]
