"""Keyset paging glue shared by the listing routes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi import Request, Response

from app import schemas
from app.actor_index import ActorIndex, Resolution
from app.assemble import actor_ref
from app.cursor import encode_cursor
from app.filters import TimelineFilter


def split_page(rows: Sequence[Any], limit: int) -> tuple[Sequence[Any], bool]:
    return rows[:limit], len(rows) > limit


def next_links(
    request: Request, response: Response, kind: str, last: tuple[date, str] | None
) -> tuple[str | None, str | None]:
    if last is None:
        return None, None
    token = encode_cursor(kind, *last)
    url = str(request.url.include_query_params(cursor=token))
    response.headers["Link"] = f'<{url}>; rel="next"'
    return token, url


def _resolved(index: ActorIndex, items: tuple[Resolution, ...]) -> list[schemas.ResolvedActor]:
    return [
        schemas.ResolvedActor(
            input=r.input,
            actor=actor_ref(index, r.actor.id),
            matched=r.matched,
            includes=list(r.includes),
        )
        for r in items
    ]


def echo_filters(index: ActorIndex, f: TimelineFilter) -> schemas.ResolvedFilters:
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
