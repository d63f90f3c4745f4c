"""Conditional requests and a response cache, both keyed by the data version.

Every GET on a data endpoint gets an ETag derived from the data version and the exact
path and query. A matching If-None-Match is answered 304 from the cached version alone, so a
polling frontend or a revalidating CDN costs no database query while the version is fresh
(CLAIMLINE_META_TTL). Full 200 bodies of hot queries are kept in a bounded LRU keyed the
same way; a new load changes the version, and with it every key.

Each content coding the client may be sent (identity, gzip, br, zstd: `compression.negotiate`)
is a representation of its own: its own cache entry, compressed once when it is stored, and
its own strong ETag (the identity one with `-gzip`, `-br` or `-zstd` inside the quotes), so
that a 304 never confirms a representation the client cannot read. All of them carry
`Vary: Accept-Encoding`.

So is each format of the listings (`app.api.formats.requested`: `format=`, else Accept): a
format other than JSON is part of the key and of the tag, the JSON ones stay as they were,
and the listings' responses carry `Vary: Accept` too. A streamed body (an export, sent
without Content-Length) is passed on as it comes, and kept only if it fits MAX_BODY.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from typing import Any

import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api import formats
from app.api.compression import Compression, accept_encoding, negotiate, with_vary
from app.dataset_meta import MetaCache
from app.state import AppState

CACHED_PREFIXES = ("/events", "/timeline", "/claims", "/figures", "/actors", "/documents",
                   "/changes")  # fmt: skip
MIB = 1 << 20
MAX_BODY = 1 << 20
# What an entry costs besides its key, headers and body: the tuple, list and OrderedDict
# node that hold it, so that many small entries are not counted as free.
ENTRY_OVERHEAD = 256
CACHE_CONTROL = b"public, no-cache"
CACHE_HEADER = b"claimline-cache"
# The scope key under which the data version this middleware checked travels on to the
# routes, so that a request is answered from one reading of it.
META_SCOPE_KEY = "claimline.meta"


Headers = list[tuple[bytes, bytes]]


class ResponseCache:
    """Least recently used responses, bounded by their size in bytes (`max_bytes`): keys,
    headers and bodies, plus ENTRY_OVERHEAD each."""

    def __init__(self, max_bytes: int) -> None:
        self._items: OrderedDict[str, tuple[Headers, bytes, int]] = OrderedDict()
        self.max_bytes = max_bytes
        self.size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> tuple[Headers, bytes] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0], item[1]

    def put(self, key: str, headers: Headers, body: bytes) -> None:
        cost = len(key) + sum(len(k) + len(v) for k, v in headers) + len(body) + ENTRY_OVERHEAD
        if cost > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.size -= old[2]
            self._items[key] = (headers, body, cost)
            self.size += cost
            while self.size > self.max_bytes:
                _, (_, _, dropped) = self._items.popitem(last=False)
                self.size -= dropped


class HttpCacheMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        state: AppState,
        max_mib: float,
        compression: Compression,
        cache_header: bool = False,
    ) -> None:
        self.app, self.state = app, state
        # On the cached routes the identity path goes straight to `app`, skipping
        # starlette-compress: this middleware adds the Vary it would have.
        self.compress = compression.around(app)
        self.cache = ResponseCache(int(max_mib * MIB)) if max_mib > 0 else None
        # The version's re-reads run on a thread of their own: queued behind the routes'
        # threads (CLAIMLINE_THREADS, FIFO), a re-read waited out slow requests while even
        # cache hits, past twice the TTL, waited for it (PostgreSQL soak: p99 0.4-0.9 s).
        self._meta_reader = anyio.CapacityLimiter(1)
        self._revalidating: asyncio.Task[None] | None = None
        # CLAIMLINE_CACHE_HEADER: a header on what the cache stores and on what it serves.
        self.miss: Headers = [(CACHE_HEADER, b"miss")] if cache_header else []
        self.hit: Headers = [(CACHE_HEADER, b"hit")] if cache_header else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        coding = negotiate(accept_encoding(scope["headers"]))
        if scope["method"] != "GET" or not path.startswith(CACHED_PREFIXES):
            await self.compress(scope, receive, send, coding)
            return
        meta = self.state.meta
        query = scope.get("query_string", b"").decode("latin-1")
        fresh = meta.peek()
        if fresh is None and (fresh := meta.recent()) is not None:
            # Just expired: one re-read in the background while requests go on with the
            # version they had. Had each of them waited for a thread (and, on SQLite, the
            # GIL the event loop holds while it answers others), every TTL would leave a
            # burst of requests hundreds of milliseconds behind the rest.
            self._revalidate(meta)
        if fresh is None:
            # Never read, or long expired: re-read the version (one small query) in a
            # thread, never on the event loop.
            try:
                fresh = await anyio.to_thread.run_sync(meta.get, limiter=self._meta_reader)
            except SQLAlchemyError:
                # The route answers, with a 503 if the database is still unreachable.
                query = _representation(scope, path, query)
                await self._forward_and_store(scope, receive, send, meta, path, query, coding)
                return
        scope[META_SCOPE_KEY] = fresh
        representation = _representation(scope, path, query)
        key, etag = _key(fresh.version, path, representation, coding)
        request_headers = dict(scope["headers"])
        if etag in _etags(request_headers.get(b"if-none-match", b"")):
            headers = [(b"etag", etag), (b"cache-control", CACHE_CONTROL)]
            await _send(send, 304, _vary(with_vary(headers), path), b"")
            return
        hit = self.cache.get(key) if self.cache is not None else None
        if hit is not None:
            await _send(send, 200, hit[0], hit[1])
            return
        await self._forward_and_store(scope, receive, send, meta, path, representation, coding)

    def _revalidate(self, meta: MetaCache) -> None:
        if self._revalidating is not None:
            return

        async def reread() -> None:
            try:
                await anyio.to_thread.run_sync(meta.get, limiter=self._meta_reader)
            except SQLAlchemyError:
                pass  # the next request past twice the TTL reads it, or the route reports
            finally:
                self._revalidating = None

        self._revalidating = asyncio.get_running_loop().create_task(reread())

    async def _forward_and_store(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        meta: MetaCache,
        path: str,
        query: str,
        coding: str,
    ) -> None:
        state: dict[str, Any] = {
            "status": 0, "headers": [], "chunks": [], "key": None, "streamed": False, "size": 0,
        }  # fmt: skip

        async def capture(message: Message) -> None:
            # The start message is held back until the whole body is known, so that the
            # body can be cached and replayed with the same headers; a streamed body (no
            # Content-Length) is passed on as it comes.
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["streamed"] = all(k != b"content-length" for k, _ in message["headers"])
                headers = [(k, v) for k, v in message["headers"] if k != b"content-length"]
                # The route has run, and read the data version if it was stale; if that
                # reading has expired since, the one this request was checked against.
                fresh = meta.peek() or scope.get(META_SCOPE_KEY)
                if message["status"] == 200 and fresh is not None:
                    state["key"], etag = _key(fresh.version, path, query, coding)
                    headers += [(b"etag", etag), (b"cache-control", CACHE_CONTROL)]
                    headers = _vary(with_vary(headers), path)
                state["headers"] = headers
                if state["streamed"]:
                    start = [*headers, *self.miss]
                    await send({**message, "headers": start})
                return
            if message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                more = message.get("more_body", False)
                if state["streamed"]:
                    await send(message)
                    state["size"] += len(chunk)
                    if state["size"] > MAX_BODY:
                        state["key"], state["chunks"] = None, []  # too large to keep
                        return
                state["chunks"].append(chunk)
                if more:
                    return
                body = b"".join(state["chunks"])
                if not state["streamed"]:
                    await _send(send, state["status"], [*state["headers"], *self.miss], body)
                if self.cache is not None and state["key"] and len(body) <= MAX_BODY:
                    self.cache.put(state["key"], [*state["headers"], *self.hit], body)

        if coding:
            await self.compress(scope, receive, capture, coding)
        else:
            await self.app(scope, receive, capture)


def _representation(scope: Scope, path: str, query: str) -> str:
    """The query, with the listing's format after it unless JSON (the keys and tags of JSON
    stay those of the query alone); the format is passed on to the routes in the scope."""
    fmt = formats.requested(scope)
    scope[formats.SCOPE_KEY] = fmt
    return query if fmt is formats.Format.json else f"{query}\n{fmt.value}"


def _vary(headers: Headers, path: str) -> Headers:
    """A listing's headers with `Accept` in Vary, since it chooses the format."""
    if path not in formats.NEGOTIATED:
        return headers
    for i, (k, v) in enumerate(headers):
        if k == b"vary":  # ASGI header names are lower case
            if v == b"Accept-Encoding" or b"accept," not in v.lower().replace(b" ", b"") + b",":
                headers = [*headers[:i], (k, b"Accept, " + v), *headers[i + 1 :]]
            return headers
    return [*headers, (b"vary", b"Accept")]


def _key(version: str, path: str, query: str, coding: str) -> tuple[str, bytes]:
    """The cache key and the strong ETag of one representation: the identity tag, with the
    coding appended inside the quotes for a compressed one. `query` carries the listing's
    format (`_representation`)."""
    key = f"{version}\n{path}\n{query}"
    tag = hashlib.sha256(key.encode()).hexdigest()[:32] + (f"-{coding}" if coding else "")
    return f"{key}\n{coding}", b'"' + tag.encode() + b'"'


def _etags(header: bytes) -> set[bytes]:
    return {part.strip().removeprefix(b"W/") for part in header.split(b",") if part.strip()}


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    # A 304's Content-Length would have to be the 200's (RFC 9110 8.6): it gets none.
    if status != 304 and not any(k == b"content-length" for k, _ in headers):
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
