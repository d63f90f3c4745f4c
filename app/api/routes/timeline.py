"""/timeline: a compact chronological view for rendering."""

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
from app.api.problems import PROBLEM_RESPONSES
from app.assemble import build_events, build_timeline_groups

router = APIRouter(tags=["events"])


@router.get(
    "/timeline",
    operation_id="getTimeline",
    summary="Events grouped by date, claims summarised, resolved filters echoed",
    response_model=schemas.Timeline,
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(only_params(*FILTER_PARAMS, *PAGE_PARAMS))],
)
def get_timeline(
    request: Request,
    response: Response,
    conn: ConnectionDep,
    index: ActorIndexDep,
    f: FilterDep,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> schemas.Timeline:
    """The /events selection, grouped under precision-aware date headings ("Autumn 2024")."""
    rows, more = split_page(queries.page_events(conn, f, limit, decode("events", cursor)), limit)
    last = (rows[-1].date_earliest, rows[-1].id) if more else None
    token, url = next_links(request, response, "events", last)
    groups = build_timeline_groups(build_events(conn, index, f, rows))
    return schemas.Timeline(
        groups=groups, next_cursor=token, next=url, filters=echo_filters(index, f)
    )
