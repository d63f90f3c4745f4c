"""Application factory: `create_app()` builds the ASGI app for a database URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import openapi
from app.api import problems
from app.api.routes import actors, claims, documents, events, health, timeline
from app.config import Settings
from app.db import make_engine

DESCRIPTION = """A source-attributed timeline of conflict reporting.

Every event carries the **claims** that support it: who claimed it (the claimant), which
outlet relayed it, the document it was read in, the verbatim quote with its offsets, how
hedged it was, and any figures with their range and qualifier. Dates are EDTF intervals with
a precision. Errors are RFC 9457 `application/problem+json`.
"""


def create_app(database_url: str | None = None) -> FastAPI:
    url = database_url or Settings.from_env().database_url

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = make_engine(url)
        yield
        app.state.engine.dispose()

    app = FastAPI(
        title="Claimline",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "events", "description": "Events and the timeline view"},
            {"name": "claims", "description": "Claims with their provenance"},
            {"name": "actors", "description": "States, agencies, people and outlets"},
            {"name": "documents", "description": "The source documents"},
            {"name": "health", "description": "Liveness and readiness"},
        ],
    )
    problems.install(app)
    openapi.install(app)
    for module in (events, timeline, claims, actors, documents, health):
        app.include_router(module.router)
    return app
