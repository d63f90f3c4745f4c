"""/claims: one row per claim, for clients that reason about sources rather than events."""

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
from app.assemble import build_claim_rows

router = APIRouter(tags=["claims"])


@router.get(
    "/claims",
    operation_id="listClaims",
    summary="List claims, with the same filters as /events",
    response_model=schemas.ClaimPage,
    responses=PROBLEM_RESPONSES,
    dependencies=[Depends(only_params(*FILTER_PARAMS, *PAGE_PARAMS))],
)
def list_claims(
    request: Request,
    response: Response,
    conn: ConnectionDep,
    index: ActorIndexDep,
    f: FilterDep,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> schemas.ClaimPage:
    """Claims that match every filter, ordered by their event's earliest date, then claim id.

    Event filters (`actor`, `from`, `to`, `type`) apply to the claim's event.
    """
    rows, more = split_page(queries.page_claims(conn, f, limit, decode("claims", cursor)), limit)
    last = (rows[-1].event_date_earliest, rows[-1].id) if more else None
    token, url = next_links(request, response, "claims", last)
    return schemas.ClaimPage(
        data=build_claim_rows(conn, index, rows), next_cursor=token, next=url,
        filters=echo_filters(index, f),
    )  # fmt: skip
