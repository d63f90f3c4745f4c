"""A pure-ASGI route for the hottest requests, `GET /events` with at most one `actor` or one
`claimant`, a date range and a cursor, answered from the derived tables without FastAPI's
machinery.

Profiling showed FastAPI's parameter solving and the threadpool hop costing several times
the query itself (docs/benchmarks.md). This route parses the same parameters with the same
functions as the FastAPI route, and whenever anything is unusual (another parameter, a
repeated one, a value the general route would reject or might read differently, a stale
data version, a database error) it steps aside and the FastAPI route answers, errors
included. Tests compare the two byte for byte.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread
import orjson
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import URL
from starlette.types import ASGIApp, Receive, Scope, Send

from app import rendered_pages
from app.actor_index import ActorIndex, UnknownActorError
from app.api.deps import MAX_LIMIT, date_bound, decode
from app.api.http_cache import META_SCOPE_KEY
from app.api.listing import echo
from app.api.problems import ProblemError
from app.cursor import encode_cursor
from app.dataset_meta import Meta, MetaCache
from app.filters import TimelineFilter

PARAMS = frozenset({"actor", "claimant", "from", "to", "date_match", "limit", "cursor"})
LIMIT = re.compile(r"[1-9][0-9]{0,2}")
JSON = b"application/json"


ECHO_CACHE_SIZE = 4096
_ECHOED: dict[tuple[str, TimelineFilter], bytes] = {}


class Declined(Exception):
    """The general route must answer this request."""


class FastEventsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/events" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        try:
            page = _Request(scope, state)
            engine: Engine = state.engine
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
    """The parsed, resolved request; raises Declined for anything it does not handle."""

    def __init__(self, scope: Scope, state: Any) -> None:
        self.scope = scope
        # The version the HTTP-cache middleware has just read. Peeked again here, it could
        # have expired in between: under load about 1 % of main-query requests, those at
        # each expiry, fell to the general route.
        meta: Meta | None = scope.get(META_SCOPE_KEY)
        if meta is None:
            meta_cache: MetaCache | None = getattr(state, "meta", None)
            meta = meta_cache.peek() if meta_cache is not None else None
        cached: tuple[str, ActorIndex] | None = getattr(state, "actor_index", None)
        if meta is None or not meta.derived or meta.spans is None or cached is None:
            raise Declined
        if cached[0] != meta.version:
            raise Declined
        index = cached[1]
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        values: dict[str, str] = {}
        for key, value in pairs:
            if key not in PARAMS or key in values or not value:
                raise Declined
            values[key] = value
        limit = values.get("limit", "50")
        if not LIMIT.fullmatch(limit) or int(limit) > MAX_LIMIT:
            raise Declined
        match = values.get("date_match", "overlap")
        if match not in ("overlap", "within"):
            raise Declined
        try:
            date_from = date_bound("from", values.get("from"), end=False)
            date_to = date_bound("to", values.get("to"), end=True)
            self.cursor: tuple[date, str] | None = decode("events", values.get("cursor"))
            actors = (index.resolve(values["actor"]),) if "actor" in values else ()
            claimants = (index.resolve(values["claimant"]),) if "claimant" in values else ()
        except (ProblemError, UnknownActorError):
            raise Declined from None
        if date_from is not None and date_to is not None and date_from > date_to:
            raise Declined
        self.limit, self.index, self.version = int(limit), index, meta.version
        self.filter = TimelineFilter(
            actors=actors, claimants=claimants, date_from=date_from, date_to=date_to,
            within=match == "within",
            spans=tuple(sorted(meta.spans.items())),
        )  # fmt: skip
        if not rendered_pages.eligible(self.filter, meta):
            raise Declined

    def run(self, engine: Engine) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        try:
            with engine.connect() as conn:
                rows = rendered_pages.page(conn, self.filter, self.limit, self.cursor)
        except SQLAlchemyError:
            raise Declined from None  # the general route reports it (503)
        headers: list[tuple[bytes, bytes]] = []
        token = url = None
        if len(rows) > self.limit:
            rows = rows[: self.limit]
            token = encode_cursor("events", rows[-1][0], rows[-1][1])
            url = str(URL(scope=self.scope).include_query_params(cursor=token))
            headers.append((b"link", f'<{url}>; rel="next"'.encode("latin-1")))
        return rendered_pages.page_body(token, url, rows, self._echoed()), headers

    def _echoed(self) -> bytes:
        """The echoed filters' JSON, kept per data version and filter: building the model
        and dumping it was about 7 % of the main query's CPU (py-spy), the same bytes for
        every page of a filter. The version fixes the actor index they are resolved in."""
        key = (self.version, self.filter)
        found = _ECHOED.get(key)
        if found is None:
            if len(_ECHOED) >= ECHO_CACHE_SIZE:
                _ECHOED.clear()
            echoed = echo(self.index, self.filter).model_dump(mode="json", by_alias=True)
            found = _ECHOED[key] = orjson.dumps(echoed)
        return found
