"""A pure-ASGI route for the hottest requests, `GET /events` with at most one `actor`,
`claimant`, `via`, `source` or `document`, a date range and a cursor, answered from the
derived tables without FastAPI's machinery.

FastAPI's parameter solving and the threadpool hop cost more than the query itself. This
route parses the same parameters with the same
functions as the FastAPI route, and whenever anything is unusual (another parameter, a
repeated one, a value the general route would reject or might read differently, a stale
data version, a database error) it steps aside and the FastAPI route answers, errors
included. Tests compare the two byte for byte.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl

import anyio.to_thread
import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import URL
from starlette.types import ASGIApp, Receive, Scope, Send

from app import rendered_pages
from app.actor_index import UnknownActorError
from app.api import formats
from app.api.deps import (
    MAX_LIMIT,
    PARAM_FIELDS,
    FilterInput,
    decode,
    filter_arguments,
    timeline_filter,
)
from app.api.http_cache import META_SCOPE_KEY
from app.api.listing import echo
from app.api.problems import ProblemError
from app.cursor import encode_cursor
from app.dataset_meta import Meta
from app.state import AppState

# The query parameters of the filters the page statement serves, and paging's.
PARAMS = frozenset(
    {p for p, name in PARAM_FIELDS.items() if name in rendered_pages.PAGE.serves}
    | {"limit", "cursor"}
)
LIMIT = re.compile(r"[1-9][0-9]{0,2}")
JSON = b"application/json"


class Declined(Exception):
    """The general route must answer this request."""


class FastEventsMiddleware:
    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/events" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        try:
            page = _Request(scope, self.state)
            engine = self.state.engine
            if engine.dialect.name == "sqlite":
                # An indexed read of one file, well under a millisecond: cheaper inline than
                # the thread hop. A network database may stall, so it gets a thread.
                body, headers = page.run(engine)
            else:
                body, headers = await anyio.to_thread.run_sync(page.run, engine)
        except Declined:
            await self.app(scope, receive, send)
            return
        headers += [(b"content-length", str(len(body)).encode()), (b"content-type", JSON)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _Request:
    """The parsed request; raises Declined for anything it does not handle."""

    def __init__(self, scope: Scope, state: AppState) -> None:
        self.scope, self.state = scope, state
        # JSON only: Accept may ask for an export (the response cache has read it).
        if scope.get(formats.SCOPE_KEY, formats.Format.json) is not formats.Format.json:
            raise Declined
        # The version the HTTP-cache middleware has just read. Peeked again here, it could
        # have expired in between, and the request would fall to the general route.
        meta: Meta | None = scope.get(META_SCOPE_KEY) or state.meta.peek()
        if meta is None or not meta.derived or meta.spans is None:
            raise Declined
        self.meta = meta
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        values: dict[str, str] = {}
        for key, value in pairs:
            if key not in PARAMS or key in values or not value:
                raise Declined
            values[key] = value
        limit = values.pop("limit", "50")
        if not LIMIT.fullmatch(limit) or int(limit) > MAX_LIMIT:
            raise Declined
        try:
            cursor = values.pop("cursor", None)
            # The FastAPI route's own parsing, so that the two read a value alike.
            self.input: FilterInput = timeline_filter(**filter_arguments(values))
            self.cursor: tuple[date, str] | None = decode("events", cursor, self.input.descending)
        except (ProblemError, TypeError, ValueError):
            raise Declined from None
        self.limit = int(limit)

    def run(self, engine: Engine) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        try:
            with engine.connect() as conn:
                catalog = self.state.catalog(conn, self.meta)
                try:
                    f = self.input.resolved(catalog.index, self.meta, self.state.fast_paths)
                except (ProblemError, UnknownActorError):
                    raise Declined from None
                if not rendered_pages.PAGE.applies(f):
                    raise Declined
                rows = rendered_pages.page(conn, f, self.limit, self.cursor)
                if not rows and f.documents:
                    raise Declined  # perhaps no such document: the general route says
        except SQLAlchemyError:
            raise Declined from None  # the general route reports it
        headers: list[tuple[bytes, bytes]] = []
        token = url = None
        if len(rows) > self.limit:
            rows = rows[: self.limit]
            token = encode_cursor("events", rows[-1][0], rows[-1][1], f.descending)
            url = str(URL(scope=self.scope).include_query_params(cursor=token))
            headers.append((b"link", f'<{url}>; rel="next"'.encode("latin-1")))
        key = (self.meta.version, f)
        echoed = self.state.echo(
            key, lambda: orjson.dumps(echo(catalog.index, f).model_dump(mode="json", by_alias=True))
        )
        return rendered_pages.page_body(token, url, rows, echoed), headers
