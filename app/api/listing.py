"""What every listing route (/events, /timeline, /claims) shares: its parameters, its
keyset page and its Link header."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy import Connection

from app import schemas
from app.actor_index import ActorIndex, Resolution
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
from app.api.problems import PROBLEM_RESPONSES
from app.api.responses import json_response
from app.assemble import actor_ref
from app.cursor import encode_cursor
from app.filters import TimelineFilter

ROUTE_OPTIONS: dict[str, Any] = {
    "responses": PROBLEM_RESPONSES,
    "dependencies": [Depends(only_params(*FILTER_PARAMS, *PAGE_PARAMS))],
}


@dataclass
class Listing:
    request: Request
    conn: Connection
    index: ActorIndex
    filter: TimelineFilter
    limit: int
    cursor: str | None
    headers: dict[str, str] = field(default_factory=dict)

    def page(
        self,
        kind: str,
        fetch: Callable[[Connection, TimelineFilter, int, tuple[date, str] | None], Sequence[Any]],
        sort_key: Callable[[Any], tuple[date, str]],
    ) -> tuple[Sequence[Any], str | None, str | None]:
        """Rows of this page, the next cursor and the next URL (and the Link header)."""
        rows = fetch(self.conn, self.filter, self.limit, decode(kind, self.cursor))
        if len(rows) <= self.limit:
            return rows, None, None
        rows = rows[: self.limit]
        token = encode_cursor(kind, *sort_key(rows[-1]))
        url = str(self.request.url.include_query_params(cursor=token))
        self.headers["Link"] = f'<{url}>; rel="next"'
        return rows, token, url

    def respond(self, body: dict[str, Any]) -> Response:
        body["filters"] = self.echo().model_dump(mode="json", by_alias=True)
        return json_response(body, self.headers)

    def echo(self) -> schemas.ResolvedFilters:
        f, index = self.filter, self.index
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
        )


def listing(
    request: Request,
    conn: ConnectionDep,
    index: ActorIndexDep,
    f: FilterDep,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Listing:
    return Listing(request, conn, index, f, limit, cursor)


ListingDep = Annotated[Listing, Depends(listing)]


def _resolved(index: ActorIndex, items: tuple[Resolution, ...]) -> list[schemas.ResolvedActor]:
    return [
        schemas.ResolvedActor(
            input=r.input, actor=actor_ref(index, r.actor.id), matched=r.matched,
            includes=list(r.includes),
        )
        for r in items
    ]  # fmt: skip
