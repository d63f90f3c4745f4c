"""The one dispatch from a listing request to its representation: JSON stays with the
listing's page; each export format streams the whole selection through its module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from types import ModuleType
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette_compress import add_compress_type

from app.api.deps import FILTER_PARAMS, PAGE_PARAMS, only_params, open_session
from app.api.formats import (
    MEDIA_TYPES,
    SCOPE_KEY,
    Format,
    atom,
    csv,
    geojson,
    ndjson,
    requested,
    timelinejs,
)
from app.api.formats.describe import file_name
from app.api.formats.stream import Selection
from app.api.listing import LINK_HEADER, Listing
from app.api.problems import PROBLEM_RESPONSES


@dataclass(frozen=True)
class Writer:
    module: ModuleType
    # attachment: a download (CSV into a spreadsheet); inline: shown, with a name to save.
    disposition: str | None

    @property
    def render(self) -> Callable[[Selection], Iterator[bytes]]:
        render: Callable[[Selection], Iterator[bytes]] = self.module.render
        return render


WRITERS: dict[Format, Writer] = {
    Format.csv: Writer(csv, "attachment"),
    Format.ndjson: Writer(ndjson, "inline"),
    Format.timelinejs: Writer(timelinejs, "inline"),
    Format.geojson: Writer(geojson, "inline"),
    Format.atom: Writer(atom, None),
}
for _type in ("text/csv", "application/x-ndjson"):
    add_compress_type(_type)

FormatParam = Annotated[
    Format | None,
    Query(
        alias="format",
        description="The representation: `json` (default), `csv`, `ndjson`, `timelinejs`, "
        "`geojson` or `atom`; wins over the Accept header (text/csv, application/x-ndjson, "
        "application/geo+json, application/atom+xml). Every format but `json` holds the "
        "whole selection from `cursor` on (at most `limit` events when given) and streams",
    ),
]


def chosen(request: Request, given: Format | None) -> Format:
    """`format=` if given, else what the response cache keyed the request by (Accept)."""
    if given is not None:
        return given
    found: Format | None = request.scope.get(SCOPE_KEY)
    return found if found is not None else requested(request.scope)


def export(listing: Listing, fmt: Format, stem: str = "claimline-events") -> Response:
    """The selection in `fmt`, streamed. The filters are resolved before the first byte,
    so that a bad one is a problem document, not a broken download."""
    writer = WRITERS[fmt]
    request = listing.request
    stack = ExitStack()
    try:
        session = stack.enter_context(open_session(request))
        f = listing.input.resolve(session)
    except BaseException:
        stack.close()
        raise
    limit = listing.limit if "limit" in request.query_params else None
    selection = Selection(session, f, listing.cursor, limit, request)

    def body() -> Iterator[bytes]:
        with stack:
            yield from writer.render(selection)

    headers = {}
    if writer.disposition is not None:
        name = file_name(request, stem, writer.module.EXTENSION)
        headers["Content-Disposition"] = f'{writer.disposition}; filename="{name}"'
    return StreamingResponse(body(), media_type=writer.module.MEDIA_TYPE, headers=headers)


def _content() -> dict[str, Any]:
    """The 200's media types besides JSON, for the OpenAPI document."""
    from app.api.formats.examples import EXAMPLES

    # TimelineJS is JSON too: `format=timelinejs` alone asks for it.
    return {
        MEDIA_TYPES[fmt]: {
            "schema": {"type": "object"} if fmt is Format.geojson else {"type": "string"},
            "examples": {"seeds": EXAMPLES[fmt]},
        }
        for fmt in (Format.csv, Format.ndjson, Format.geojson, Format.atom)
    }


# What the listing routes (/events, /timeline) declare: ROUTE_OPTIONS plus `format`.
LISTING_OPTIONS: dict[str, Any] = {
    "responses": {
        200: {
            "headers": LINK_HEADER,
            "content": _content(),
        },
        **PROBLEM_RESPONSES,
    },
    "dependencies": [Depends(only_params(*FILTER_PARAMS, *PAGE_PARAMS, "format"))],
}
