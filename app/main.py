"""Application factory: `create_app()` builds the ASGI app for a database URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp

from app import __version__, openapi, work_bounds
from app.api import conventions, docs, problems
from app.api.compression import Compression
from app.api.fast_events import FastEventsMiddleware
from app.api.http_cache import HttpCacheMiddleware
from app.api.routes import (
    actors,
    changes,
    claims,
    documents,
    events,
    figures,
    health,
    timeline,
)
from app.config import Settings
from app.state import AppState
from app.ui import routes as ui

DESCRIPTION = """A source-attributed timeline of conflict reporting.

Every event carries the **claims** that support it: who claimed it (the claimant), which
outlet relayed it, the document it was read in, the verbatim quote with its offsets, how
hedged it was, and any figures with their range and qualifier. Dates are EDTF intervals with
a precision. Errors are RFC 9457 `application/problem+json`.
"""


class ClaimlineApp(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's stack, whose error middleware answers 500s past every
        # middleware added to the app.
        state: AppState = self.state.claimline
        return conventions.wrap(super().build_middleware_stack(), state.settings)


def create_app(
    database_url: str | None = None, meta_ttl: float | None = None, fast_paths: bool = True
) -> FastAPI:
    """`fast_paths=False` sends every request down the general path: the oracle the tests
    compare every fast path with."""
    settings = Settings.from_env()
    state = AppState(
        settings,
        database_url or settings.database_url,
        settings.meta_ttl if meta_ttl is None else meta_ttl,
        fast_paths,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.open()
        work_bounds.bound_work(state.engine, settings.statement_timeout)
        yield
        state.close()

    app = ClaimlineApp(
        title="Claimline",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's pages load their assets from CDNs; app/api/docs.py serves its own.
        docs_url=None,
        redoc_url=None,
        openapi_tags=[
            {"name": "events", "description": "Events and the timeline view"},
            {"name": "claims", "description": "Claims with their provenance"},
            {"name": "actors", "description": "States, agencies, people and outlets"},
            {"name": "documents", "description": "The source documents"},
            {"name": "health", "description": "Liveness and readiness"},
        ],
    )
    app.state.claimline = state
    if fast_paths:
        app.add_middleware(FastEventsMiddleware, state=state)
    # Counts what it compresses: the tests read it to see a cache hit is not compressed again.
    app.state.compression = compression = Compression(settings.compress_min_bytes)
    # Added last, so outermost: 304s and cache hits never reach the fast route.
    app.add_middleware(
        HttpCacheMiddleware,
        state=state,
        max_mib=settings.response_cache_mib,
        compression=compression,
        cache_header=settings.cache_header,
    )
    problems.install(app)
    openapi.install(app)
    docs.install(app)
    for module in (events, timeline, claims, figures, actors, documents, changes, health):
        app.include_router(module.router)
    ui.install(app)  # the page for people: /ui, with / sending a browser there
    return app
