"""What every listing route (/events, /timeline, /claims) shares: its parameters, its
keyset page and its Link header."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy import Connection

from app import schemas
from app.actor_index import ActorIndex, Resolution
from app.api.deps import (
    FILTER_PARAMS,
    PAGE_PARAMS,
    CursorParam,
    FilterDep,
    FilterInput,
    LimitParam,
    Session,
    decode,
    only_params,
    open_session,
)
from app.api.problems import PROBLEM_RESPONSES
from app.api.responses import json_response
from app.assemble import actor_ref
from app.cursor import encode_cursor
from app.filters import TimelineFilter

# The Link header `Listing.respond` (and the fast /events route) sends with a next page.
LINK_HEADER = {
    "Link": {
        "description": 'The next page, as `<URL>; rel="next"` (RFC 8288), the same URL as the '
        "body's `next`; absent on the last page",
        "schema": {"type": "string"},
        "example": "<http://127.0.0.1:8000/events?actor=DPRK&limit=2&cursor="
        "WyJldmVudHMiLCIyMDE5LTA0LTI1Iiwia2ltLXB1dGluLXN1bW1pdC12bGFkaXZvc3Rvay0yMDE5Il0>;"
        ' rel="next"',
    }
}
ROUTE_OPTIONS: dict[str, Any] = {
    "responses": {200: {"headers": LINK_HEADER}, **PROBLEM_RESPONSES},
    "dependencies": [Depends(only_params(*FILTER_PARAMS, *PAGE_PARAMS))],
}


Fetch = Callable[[Connection, TimelineFilter, int, tuple[date, str] | None], Sequence[Any]]
Build = Callable[[Session, TimelineFilter, Sequence[Any]], dict[str, Any]]


@dataclass
class Listing:
    request: Request
    input: FilterInput
    limit: int
    cursor: tuple[date, str] | None

    def respond(
        self, kind: str, fetch: Fetch, sort_key: Callable[[Any], tuple[date, str]], build: Build
    ) -> Response:
        """Run one page in one session: rows, `build`'s body, cursor, Link, echoed filters."""
        headers: dict[str, str] = {}
        with open_session(self.request) as session:
            f = self.input.resolve(session)
            rows = fetch(session.conn, f, self.limit, self.cursor)
            token = url = None
            if len(rows) > self.limit:
                rows = rows[: self.limit]
                token = encode_cursor(kind, *sort_key(rows[-1]), f.descending)
                url = str(self.request.url.include_query_params(cursor=token))
                headers["Link"] = f'<{url}>; rel="next"'
            body = {"next_cursor": token, "next": url, **build(session, f, rows)}
            body["filters"] = echo(session.index, f).model_dump(mode="json", by_alias=True)
        return json_response(body, headers)


def echo(index: ActorIndex, f: TimelineFilter) -> schemas.ResolvedFilters:
    return schemas.ResolvedFilters(
        actor=_resolved(index, f.actors),
        claimant=_resolved(index, f.claimants),
        via=_resolved(index, f.via),
        source=_resolved(index, f.sources),
        from_=f.date_from,
        to=f.date_to,
        date_match="within" if f.within else "overlap",
        type=list(f.types),
        document=list(f.documents),
        hedge=list(f.hedges),
        known_as_of=f.known_as_of,
        q=list(f.search),
        min_claimants=f.min_claimants,
        contested=None if f.contested is None else f.contested == "true",
        context=f.context,
        updated_since=f.updated_since,
    )


async def events_listing(
    request: Request, f: FilterDep, limit: LimitParam = 50, cursor: CursorParam = None
) -> Listing:
    return Listing(request, f, limit, decode("events", cursor, f.descending))


async def claims_listing(
    request: Request, f: FilterDep, limit: LimitParam = 50, cursor: CursorParam = None
) -> Listing:
    return Listing(request, f, limit, decode("claims", cursor, f.descending))


EventsListing = Annotated[Listing, Depends(events_listing)]
ClaimsListing = Annotated[Listing, Depends(claims_listing)]


def _resolved(index: ActorIndex, items: tuple[Resolution, ...]) -> list[schemas.ResolvedActor]:
    return [
        schemas.ResolvedActor(
            input=r.input, actor=actor_ref(index, r.actor.id), matched=r.matched,
            includes=list(r.includes),
        )
        for r in items
    ]  # fmt: skip
