"""What one request may cost before any route runs: the length of its target (414), the
size of its headers (431), the values of one parameter and the words of a search (422).

Two layers hold them. `LimitedHttpToolsProtocol`, the HTTP implementation `claimline serve`
runs, counts the bytes of the request line and headers as they arrive, so a client cannot
make the server buffer more than the limits, and answers in problem+json where uvicorn
would answer a text/plain 400 (httptools itself fails past 64 KiB of URL; uvicorn's h11
implementation answers the same way past `h11_max_incomplete_event_size`, so serve pins this
one). `RequestLimits` checks the same bounds on the ASGI scope, so they also hold under any
other server, and adds the per-parameter bounds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from functools import cache
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import httptools
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from app import search
from app.api.problems import PROBLEM_MEDIA_TYPE, TYPE_BASE, FieldProblem, problem_json
from app.api.security import SECURITY_HEADERS
from app.config import Settings

log = logging.getLogger("claimline")
PROTOCOL = "app.api.limits:LimitedHttpToolsProtocol"
# How long a refused connection is drained before it is closed, if the client keeps sending.
LINGER_SECONDS = 2.0
# The routes that take repeatable filters or a search; the others document no 422.
FILTERED_PREFIXES = ("/events", "/timeline", "/claims", "/figures", "/actors", "/ui")
# Each header line also carries ": " and CRLF.
_HEADER_OVERHEAD = 4


class _Refused(Exception):
    def __init__(self, status: int, slug: str, detail: str) -> None:
        self.status, self.slug, self.detail = status, slug, detail
        super().__init__(detail)


def too_long_target(limit: int) -> _Refused:
    return _Refused(
        414, "uri-too-long",
        f"the request target (path and query string) is longer than {limit} bytes "
        "(CLAIMLINE_MAX_URL_BYTES); send fewer or shorter parameters",
    )  # fmt: skip


def too_large_headers(limit: int) -> _Refused:
    return _Refused(
        431, "headers-too-large",
        f"the request headers are larger than {limit} bytes in all "
        "(CLAIMLINE_MAX_HEADER_BYTES); send fewer or shorter headers",
    )  # fmt: skip


@cache
def _settings() -> Settings:
    # Read once per server process: the limits only change with a restart.
    return Settings.from_env()


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with bounded request heads and problem+json refusals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = _settings()
        self._max_url, self._max_headers = settings.max_url_bytes, settings.max_header_bytes
        self._url_bytes = self._header_bytes = 0
        # Bytes fed to the parser since the current head began: httptools keeps a header
        # value in memory until its line ends, so this bounds what a never-ending one costs.
        self._head_pending = 0
        self._in_head = True
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # asyncio sets TCP_NODELAY only on sockets whose protocol number is TCP's; those
        # accepted from the socket uvicorn binds for several workers have 0. Without it, a
        # response's body waits behind its head for the client's delayed ACK: 40 ms each.
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._url_bytes = self._header_bytes = self._head_pending = 0
        self._in_head = True

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > self._max_url:
            raise too_long_target(self._max_url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + _HEADER_OVERHEAD
        if self._header_bytes > self._max_headers:
            raise too_large_headers(self._max_headers)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head, self._head_pending = False, 0
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the rest of a refused request, read and dropped
        self._unset_keepalive_if_required()
        if self._in_head:
            self._head_pending += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # No WebSocket: the request was handed to the app as a plain GET already.
            return
        except Exception as exc:  # a callback's exception comes back wrapped, or not
            self._refuse(_reason(exc))
            return
        if self._in_head and self._head_pending > self._max_url + self._max_headers:
            self._refuse(too_large_headers(self._max_headers))

    def send_400_response(self, msg: str) -> None:
        self._refuse(_Refused(400, "malformed-request", _MALFORMED))

    def _refuse(self, refused: _Refused) -> None:
        log.info("refused a request: %s", refused.detail)
        body = json.dumps(
            {
                "type": TYPE_BASE + refused.slug,
                "title": HTTPStatus(refused.status).phrase,
                "status": refused.status,
                "detail": refused.detail,
            }
        ).encode()
        headers = [
            *self.server_state.default_headers,
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *SECURITY_HEADERS,
        ]
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        self.transport.write(STATUS_LINE[refused.status] + head + b"\r\n" + body)
        # Closed at once with the request's rest unread, the socket would send a reset that
        # can destroy the answer before the client reads it: half-close, drain, then close.
        self._refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


_MALFORMED = "the request is not valid HTTP/1.1 (request line, headers or body framing)"


def _reason(exc: BaseException) -> _Refused:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, _Refused):
            return seen
        seen = seen.__cause__ or seen.__context__
    return _Refused(400, "malformed-request", _MALFORMED)


class RequestLimits:
    """The same bounds on the ASGI scope, and the bounds on parameter values."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_url, self.max_headers = settings.max_url_bytes, settings.max_header_bytes
        self.max_values, self.max_words = settings.max_filter_values, settings.max_search_words

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._check(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _check(self, scope: Scope) -> Any:
        query: bytes = scope.get("query_string", b"")
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        refused: _Refused | None = None
        if len(raw_path) + (len(query) + 1 if query else 0) > self.max_url:
            refused = too_long_target(self.max_url)
        elif sum(len(n) + len(v) + _HEADER_OVERHEAD for n, v in scope["headers"]) > (
            self.max_headers
        ):
            refused = too_large_headers(self.max_headers)
        if refused is not None:
            return problem_json(refused.status, refused.slug, refused.detail)
        if "\x00" in scope["path"]:
            # No id holds one, and PostgreSQL refuses them in a parameter.
            return problem_json(404, "not-found", "no resource has a NUL character in its path")
        # Counting separators first keeps the common request from parsing its query here.
        if query.count(b"&") + 1 <= self.max_values and b"q=" not in query and b"%00" not in query:
            return None
        if not scope["path"].startswith(FILTERED_PREFIXES):
            return None  # the route answers its unknown parameters with a 400
        return self._check_values(query.decode("latin-1"))

    def _check_values(self, query: str) -> Any:
        counts: dict[str, int] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            counts[name] = counts.get(name, 0) + 1
            if "\x00" in value:
                # No text column holds one, and PostgreSQL refuses them in a parameter.
                return _invalid(name, "a NUL character (%00) is never part of a valid value")
            if name == "q":
                words = len(search.words(value))
                if words > self.max_words:
                    reason = (
                        f"at most {self.max_words} words (CLAIMLINE_MAX_SEARCH_WORDS); "
                        f"this search has {words}"
                    )
                    return _invalid("q", reason)
        for name, count in counts.items():
            if count > self.max_values:
                reason = (
                    f"at most {self.max_values} values (CLAIMLINE_MAX_FILTER_VALUES); given {count}"
                )
                return _invalid(name, reason)
        return None


def _invalid(name: str, reason: str) -> Any:
    problem = FieldProblem(name=name, location="query", reason=reason)
    return problem_json(422, "invalid-parameter", f"{name}: {reason}", errors=[problem])
