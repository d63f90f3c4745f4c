"""/changes: what the loads created, updated and removed after a point in time, so that a
client keeps a copy in sync by fetching only those records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BeforeValidator

from app import changes, schemas
from app.api.deps import (
    CURSOR_FORGED,
    CursorParam,
    instant,
    only_params,
    open_session,
    plain_digits,
    storable,
)
from app.api.listing import LINK_HEADER
from app.api.problems import PROBLEM_RESPONSES, invalid_parameter
from app.api.responses import json_response
from app.assemble import instant as rfc3339
from app.cursor import CursorError, decode_change_cursor, encode_change_cursor

router = APIRouter(tags=["changes"])

MAX_CHANGES = 5000


@router.get(
    "/changes",
    operation_id="listChanges",
    summary="List the records created, updated or removed after a point in time",
    response_model=schemas.ChangePage,
    response_description="A page of changes, oldest first, with the cursor of the next",
    responses={200: {"headers": LINK_HEADER}, **PROBLEM_RESPONSES},
    dependencies=[Depends(only_params("since", "limit", "cursor"))],
)
def list_changes(
    request: Request,
    since: Annotated[
        str | None,
        Query(
            description="Only changes after this instant: an RFC 3339 timestamp with its "
            "offset (the `until` of your last sync), or a day (YYYY-MM-DD, from 00:00 UTC); "
            "leave out for every record there is, and every removal ever made",
            examples=["2026-12-07T19:52:51.123456Z"],
        ),
    ] = None,
    limit: Annotated[
        int,
        BeforeValidator(plain_digits),
        Query(ge=1, le=MAX_CHANGES, description=f"Page size, 1 to {MAX_CHANGES}"),
    ] = 1000,
    cursor: CursorParam = None,
) -> Response:
    """Each event, claim, actor and document that a load created, updated or removed after
    `since`, once, with its latest change, in the order the loads made them.

    To keep a copy in sync: the first time, leave out `since` and fetch every record
    listed; then, each time, pass the `until` of the previous sync's last page as `since`,
    refetch the created and updated records (/events/{id}, /actors/{id}, /documents/{id})
    and drop the removed ones. An event counts as updated when anything it shows changes,
    its claims included, so refetching the changed events brings the changed claims; a
    claim counts as updated when its figures, via, document or event title change too.
    Removals are kept forever, so a client may sync after any pause; `removed` may name
    records it never had. Paging is on the change's (instant, kind, id): a load that
    commits while a client pages moves the records it touches past the pages read, so none
    is missed.
    """
    after = None
    if cursor is not None:
        try:
            after = decode_change_cursor(cursor, changes.KINDS)
        except CursorError as exc:
            raise invalid_parameter("cursor", str(exc), cursor) from None
        if not storable(after[2]):
            # Never issued, and PostgreSQL would refuse it as a parameter.
            raise invalid_parameter("cursor", CURSOR_FORGED, cursor)
    start = instant("since", since)
    headers: dict[str, str] = {}
    with open_session(request) as s:
        # One snapshot of the data from checkout (app/db.py): `until` is the rows' own.
        until = changes.latest(s.conn)
        rows = changes.page(s.conn, start, limit, after)
    token = url = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        token = encode_change_cursor(last.at, last.kind, last.id)
        url = str(request.url.include_query_params(cursor=token))
        headers["Link"] = f'<{url}>; rel="next"'
    body = {
        "since": None if start is None else rfc3339(start),
        "until": None if until is None else rfc3339(until),
        "data": [
            {"kind": c.kind, "id": c.id, "change": c.change, "at": rfc3339(c.at)} for c in rows
        ],
        "next_cursor": token,
        "next": url,
    }
    return json_response(body, headers)
