"""Security headers on every response: no MIME sniffing, no referrer leaked to other sites,
and a Content-Security-Policy that lets nothing load or run unless a page needs it.

JSON bodies get a policy that forbids everything (`default-src 'none'`): opened in a
browser, they are documents that need no script, style or frame. The HTML pages
(app/api/docs.py) carry their own, naming their inline scripts by hash.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Sent on every response, the server's own refusals (app/api/limits.py) included.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
)
_CSP = b"content-security-policy"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def page_policy(html: str) -> str:
    """The Content-Security-Policy of one of the app's HTML pages: its scripts from the app
    or inline with exactly these contents (by hash); styles from the app or inline, as
    ReDoc and Swagger UI insert theirs at run time; the spec fetched from the app; images
    and fonts from the app or data: URLs; ReDoc's search worker from a blob: URL."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response; a response's own policy is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                has_policy = any(name.lower() == _CSP for name, _ in headers)
                headers += [h for h in SECURITY_HEADERS if not (has_policy and h[0] == _CSP)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_secured)
