"""Response compression: zstd, brotli or gzip as the client's Accept-Encoding allows, done by
starlette-compress.

`HttpCacheMiddleware` negotiates the coding first (`negotiate`), because its cache entries and
ETags are kept per coding, then hands the request to a `Compressor` with that one coding:
starlette-compress then compresses a compressible body (JSON, problem+json, text) of at least
CLAIMLINE_COMPRESS_MIN_BYTES and sets Content-Encoding, Content-Length and Vary. A smaller
body is sent as it is, whatever Accept-Encoding says.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_compress import CompressMiddleware, add_compress_type

# The server's preference among codings the client weighs alike (browsers send
# `gzip, deflate, br, zstd`): fastest first. On a 120 KB page of /events, zstd took 0.2 ms,
# brotli 0.7 ms and gzip 1.3 ms (starlette-compress's default levels), for 10.5, 9.2 and
# 10.7 KB.
CODINGS = ("zstd", "br", "gzip")
IDENTITY = ""
ALIASES = {"x-gzip": "gzip"}
QVALUE = re.compile(r"\s*(0(\.[0-9]{0,3})?|1(\.0{0,3})?)\s*")
ACCEPT_ENCODING = b"accept-encoding"
VARY = b"vary"

# Errors are RFC 9457 documents; starlette-compress knows application/json but not this.
add_compress_type("application/problem+json")


@lru_cache(maxsize=256)
def negotiate(header: bytes) -> str:
    """The coding for an Accept-Encoding value: one of CODINGS, or IDENTITY.

    The highest q-value wins, ties going to CODINGS's order; `*` stands for any coding not
    named; `q=0` refuses; a named `identity` with a higher q-value than every coding keeps
    the body as it is. An absent or empty header means identity. When identity is refused
    and no coding is acceptable, the body is sent as it is all the same (RFC 9110 12.5.3
    allows it, and a 406 would help nobody).
    """
    weights: dict[str, float] = {}
    for item in header.decode("latin-1").split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        if coding:
            weights[ALIASES.get(coding, coding)] = _quality(params)
    star = weights.get("*", 0.0)
    best, best_q = IDENTITY, 0.0
    for coding in CODINGS:
        q = weights.get(coding, star)
        if q > best_q:
            best, best_q = coding, q
    if weights.get("identity", -1.0) > best_q:
        return IDENTITY
    return best


def _quality(params: str) -> float:
    """A coding's q-value: 1 when absent, 0 (refused) when malformed."""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            return float(value) if QVALUE.fullmatch(value) else 0.0
    return 1.0


def accept_encoding(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The request's Accept-Encoding, its repeated fields joined as one."""
    values = [v for k, v in headers if k == ACCEPT_ENCODING]
    return values[0] if len(values) == 1 else b",".join(values)


def with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` plus `Vary: Accept-Encoding`, unless a Vary field names it already."""
    for k, v in headers:
        if k.lower() == VARY and b"accept-encoding" in v.lower():
            return headers
    return [*headers, (VARY, b"Accept-Encoding")]


class Compression:
    """The settings, and how many bodies each coding has compressed: a count the tests read
    to show that a cache hit is not compressed again."""

    def __init__(self, min_bytes: int) -> None:
        self.min_bytes = min_bytes
        self.compressed: Counter[str] = Counter()

    def around(self, app: ASGIApp) -> Compressor:
        return Compressor(app, self)


class Compressor:
    """`app` behind starlette-compress, told the coding already negotiated."""

    def __init__(self, app: ASGIApp, compression: Compression) -> None:
        self.compression = compression
        self.middleware = CompressMiddleware(app, minimum_size=compression.min_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send, coding: str) -> None:
        # starlette-compress ranks codings by its own order, whatever their q-values: it is
        # given the negotiated one alone (none for identity, which still gets Vary).
        headers = [(k, v) for k, v in scope["headers"] if k != ACCEPT_ENCODING]
        if coding:
            headers.append((ACCEPT_ENCODING, coding.encode()))
        scope = {**scope, "headers": headers}
        if not coding:
            await self.middleware(scope, receive, send)
            return
        counts = self.compression.compressed

        async def count(message: Message) -> None:
            if message["type"] == "http.response.start" and any(
                k == b"content-encoding" for k, _ in message["headers"]
            ):
                counts[coding] += 1
            await send(message)

        await self.middleware(scope, receive, count)
