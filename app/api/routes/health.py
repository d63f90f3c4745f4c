"""/healthz (the process is up) and /readyz (it can serve data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app import dataset_meta, migrate, schemas
from app.api.deps import get_engine, only_params
from app.api.problems import problem_response, problem_responses
from app.models import Document

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    operation_id="getHealth",
    summary="Liveness",
    response_model=schemas.Health,
    response_description="The process is up (the database is not consulted)",
    responses=problem_responses(),
    dependencies=[Depends(only_params())],
)
def healthz() -> schemas.Health:
    return schemas.Health(status="ok")


@router.get(
    "/readyz",
    operation_id="getReadiness",
    summary="Readiness: database reachable, schema at head, data loaded",
    response_model=schemas.Health,
    response_description="Ready: the schema revision and the number of documents loaded",
    responses=problem_responses(
        503,
        s503="Not ready: the database is unreachable, its schema is not at this version's "
        "head, no data is loaded, or the derived tables are being rebuilt; the detail says "
        "which and what to run",
    ),
    dependencies=[Depends(only_params())],
)
def readyz(request: Request) -> schemas.Health | JSONResponse:
    engine = get_engine(request)
    try:
        revision = migrate.current_revision(engine)
        head = migrate.head_revision()
        documents, fresh = 0, False
        if revision == head:
            with engine.connect() as conn:
                meta = dataset_meta.read(conn)
                fresh = meta.derived
                # Recorded by the load; counting would read the whole table, every probe.
                documents = meta.documents or 0
                if documents == 0:
                    documents = conn.execute(
                        select(func.count()).select_from(Document)
                    ).scalar_one()
    except SQLAlchemyError as exc:
        return problem_response(
            request, 503, "not-ready", f"database unreachable: {exc.__class__.__name__}"
        )
    if revision != head:
        return problem_response(request, 503, "not-ready", f"schema at {revision}, expected {head}")
    if documents == 0:
        return problem_response(request, 503, "not-ready", "no data loaded; run `claimline load`")
    if not fresh:
        return problem_response(
            request, 503, "not-ready",
            "the derived tables (search index, pre-rendered events, counts) do not match the "
            "data; `claimline migrate` rebuilds them",
        )  # fmt: skip
    return schemas.Health(status="ok", checks={"schema": revision, "documents": documents})
