"""The HTTP conventions clients expect of a public read-only API: CORS for browser frontends,
HEAD answered as GET without the body, a path with a trailing slash answered as the
path without one, the request limits (app/api/limits.py) and the security headers
(app/api/security.py).

`wrap` puts them around the whole middleware stack, Starlette's error middleware included,
so that every response carries them: the fast /events route, response-cache hits, 304s and
500s alike. The inner layers (the response cache, the fast route, the routes) only ever
see GET requests on slash-less paths, so a HEAD or a slashed URL shares the GET's ETag and
cache entry.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.limits import RequestLimits
from app.api.problems import problem_json
from app.api.security import SecurityHeaders
from app.config import Settings

ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")
# Cache-Control and Content-Type are readable by any page without being listed.
# Content-Disposition: a page on another origin reads an export's file name (format=csv).
EXPOSED_HEADERS = ("ETag", "Link", "Retry-After", "Content-Disposition")
# Chromium caps a preflight's max age at two hours; the policy only changes with a restart.
PREFLIGHT_MAX_AGE = 7200


def wrap(app: ASGIApp, settings: Settings) -> ASGIApp:
    exposed = [*EXPOSED_HEADERS, *(["Claimline-Cache"] if settings.cache_header else [])]
    cors = _Cors(
        RequestLimits(_HeadAndSlash(app), settings),
        allow_origins=settings.cors_origin_list,
        allow_methods=ALLOWED_METHODS,
        allow_headers=["If-None-Match"],
        expose_headers=exposed,
        max_age=PREFLIGHT_MAX_AGE,
    )
    return SecurityHeaders(cors)


class _Cors(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        # Starlette refuses in plain text; every error of this API is a problem document.
        refused = bytes(response.body).decode()
        detail = f"{refused}: this API allows GET, HEAD and OPTIONS, with If-None-Match"
        headers = {
            k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
        }
        return problem_json(response.status_code, "cors-refused", detail, headers=headers)


class _HeadAndSlash:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        slashed = len(path) > 1 and path.endswith("/")
        head = scope["method"] == "HEAD"
        if not (slashed or head):
            await self.app(scope, receive, send)
            return
        # A copy: the server reads its own scope's method to decide whether to send a body.
        scope = dict(scope)
        if slashed:
            scope["path"] = path.rstrip("/") or "/"
            raw = scope.get("raw_path")
            if raw:
                scope["raw_path"] = raw.rstrip(b"/") or b"/"
        if head:
            scope["method"] = "GET"
            send = _without_body(send)
        await self.app(scope, receive, send)


def _without_body(send: Send) -> Send:
    """The GET response's start (status, headers, Content-Length) and an empty body."""

    async def head(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return head
