"""RFC 9457 problem details for every error the service returns."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://claimline.example/problems/"
log = logging.getLogger("claimline")


class FieldProblem(BaseModel):
    name: str = Field(description="The parameter or field", examples=["actor"])
    location: str = Field(description="query, path, header or body", examples=["query"])
    reason: str = Field(examples=["unknown actor 'DPRKK'; did you mean 'dprk' (North Korea)?"])
    value: Any | None = Field(default=None, examples=["DPRKK"])
    suggestions: list[str] | None = Field(default=None, examples=[["dprk"]])


class Problem(BaseModel):
    type: str = Field(examples=[TYPE_BASE + "invalid-parameter"])
    title: str = Field(examples=["Invalid request parameter"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["unknown actor 'DPRKK'; did you mean 'dprk' (North Korea)?"])
    instance: str | None = Field(default=None, examples=["/events?actor=DPRKK"])
    errors: list[FieldProblem] | None = None


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status, self.slug, self.detail = status, slug, detail
        self.errors, self.headers = errors, headers
        super().__init__(detail)


def invalid_parameter(
    name: str, reason: str, value: Any = None, suggestions: list[str] | None = None
) -> ProblemError:
    problem = FieldProblem(
        name=name, location="query", reason=reason, value=value, suggestions=suggestions
    )
    return ProblemError(422, "invalid-parameter", f"{name}: {reason}", [problem])


def problem_response(
    request: Request,
    status: int,
    slug: str,
    detail: str,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=TYPE_BASE + slug,
        title=HTTPStatus(status).phrase
        if slug != "invalid-parameter"
        else "Invalid request parameter",
        status=status,
        detail=detail,
        instance=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _validation_problems(exc: RequestValidationError) -> list[FieldProblem]:
    out = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        location = loc[0] if loc else "query"
        name = ".".join(loc[1:]) or location
        out.append(
            FieldProblem(
                name=name,
                location=location,
                reason=error.get("msg", "invalid"),
                value=error.get("input")
                if isinstance(error.get("input"), (str, int, float))
                else None,
            )
        )
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(request, exc.status, exc.slug, exc.detail, exc.errors, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_problems(exc)
        detail = "; ".join(f"{e.name}: {e.reason}" for e in errors)
        return problem_response(request, 422, "invalid-parameter", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}; see /docs for the endpoints"
        return problem_response(
            request, exc.status_code, slug, detail, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        # An unreachable or unmigrated database is the service's state, not the client's fault.
        log.error("database error on %s: %s", request.url.path, exc)
        detail = "the database cannot answer right now; see /readyz"
        return problem_response(request, 503, "database-unavailable", detail)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            request, 500, "internal-error", "internal error; it has been logged"
        )


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}
    for status, description in (
        (400, "Bad request: an unknown query parameter"),
        (422, "A parameter is invalid: unknown actor, bad date, bad cursor, limit out of range"),
        (503, "The database cannot answer; see /readyz"),
    )
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such resource", "content": {PROBLEM_MEDIA_TYPE: {}}}
}
