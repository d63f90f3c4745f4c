"""/docs (Swagger UI) and /redoc (ReDoc), with every asset served by the app itself.

FastAPI's own pages load their scripts from a CDN and ReDoc's fonts from Google, so on a
closed network they stay blank. The assets are vendored in `app/static/` from npm at pinned
versions, with their licences (`app/static/SOURCES.md`), and ship in the wheel.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.api.security import page_policy
from app.config import PACKAGE_DIR

STATIC_DIR = PACKAGE_DIR / "static"
STATIC_URL = "/static"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"


def install(app: FastAPI) -> None:
    """Call on an app created with `docs_url=None, redoc_url=None`."""
    assert app.docs_url is None and app.redoc_url is None, "FastAPI's CDN pages are on"
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")

    def prefix(request: Request) -> str:
        # Behind a proxy that mounts the app under a path, as FastAPI's own pages do.
        return str(request.scope.get("root_path", "")).rstrip("/")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = prefix(request)
        return _with_policy(
            get_swagger_ui_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
                swagger_js_url=f"{root}{STATIC_URL}/swagger-ui/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{STATIC_URL}/swagger-ui/swagger-ui.css",
                swagger_favicon_url=f"{root}{STATIC_URL}/swagger-ui/favicon-32x32.png",
                # Swagger UI would otherwise send the spec's URL to validator.swagger.io.
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _with_policy(get_swagger_ui_oauth2_redirect_html())

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = prefix(request)
        return _with_policy(
            get_redoc_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{STATIC_URL}/redoc/redoc.standalone.js",
                redoc_favicon_url=f"{root}{STATIC_URL}/swagger-ui/favicon-32x32.png",
                with_google_fonts=False,
            )
        )


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = page_policy(bytes(page.body).decode())
    return page
