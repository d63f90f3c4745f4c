"""RFC 9457 problem details for every error the service returns."""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import migrate

PROBLEM_MEDIA_TYPE = "application/problem+json"
# Seconds a client should wait before retrying a 503.
RETRY_AFTER = 5
# SQLite's result codes that mean "cannot answer now", not "this statement is wrong".
_SQLITE_OUTAGES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR",
                   "SQLITE_FULL", "SQLITE_NOMEM", "SQLITE_INTERRUPT", "SQLITE_NOTADB")  # fmt: skip
TYPE_BASE = "https://claimline.example/problems/"
log = logging.getLogger("claimline")


class FieldProblem(BaseModel):
    """What is wrong with one parameter of the request."""

    name: str = Field(description="The parameter or field", examples=["actor"])
    location: str = Field(description="query, path, header or body", examples=["query"])
    reason: str = Field(
        description="What is wrong with it, and what would be accepted",
        examples=["unknown actor 'DPRKK'; did you mean 'dprk' (North Korea)?"],
    )
    value: Any | None = Field(
        default=None, description="The value as received, when it is text or a number",
        examples=["DPRKK"],
    )  # fmt: skip
    suggestions: list[str] | None = Field(
        default=None,
        description="Accepted values close to the one given (actor ids, place names, "
        "document ids), closest first",
        examples=[["dprk"]],
    )


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (`application/problem+json`)."""

    type: str = Field(
        description="A URI naming the kind of problem; its last segment is a stable slug "
        "(invalid-parameter, unknown-parameter, not-found, not-ready, ...)",
        examples=[TYPE_BASE + "invalid-parameter"],
    )
    title: str = Field(
        description="A short summary of the kind of problem (the HTTP status phrase, or "
        "'Invalid request parameter')",
        examples=["Invalid request parameter"],
    )
    status: int = Field(description="The HTTP status code", examples=[422])
    detail: str = Field(
        description="What went wrong with this request, in a sentence fit for a user",
        examples=["unknown actor 'DPRKK'; did you mean 'dprk' (North Korea)?"],
    )
    instance: str | None = Field(
        default=None, description="The request's path and query", examples=["/events?actor=DPRKK"]
    )
    errors: list[FieldProblem] | None = Field(
        default=None, description="On a 422: one entry per invalid parameter"
    )
    request_id: str | None = Field(
        default=None,
        description="On a 500: the id under which the error was logged, to quote in a report",
    )


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


def database_unavailable() -> ProblemError:
    return ProblemError(
        503, "database-unavailable", "the database cannot answer right now; see /readyz"
    )


def is_outage(exc: BaseException) -> bool:
    """The database cannot be reached or did not answer in time: the service's state, to
    retry later, as opposed to a statement or a schema that is wrong (a bug: 500)."""
    if isinstance(exc, PoolTimeoutError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if type(orig).__module__.startswith("psycopg"):
        # Class 08 (connection), 57 (cancelled: statement_timeout, shutdown), 53 (resources).
        state = getattr(orig, "sqlstate", None) or ""
        return state[:2] in ("08", "57", "53") or state == ""
    return str(getattr(orig, "sqlite_errorname", "")).startswith(_SQLITE_OUTAGES)


def timed_out(exc: BaseException) -> bool:
    """Cut short by the bound on a request's database work (app/work_bounds.py)."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == "57014" or (
        getattr(orig, "sqlite_errorname", None) == "SQLITE_INTERRUPT"
    )


TIMED_OUT = (
    "the request needed more database work than the server allows one request "
    "(CLAIMLINE_STATEMENT_TIMEOUT); ask for less (narrower filters, a smaller limit) or retry"
)


def problem_response(
    request: Request,
    status: int,
    slug: str,
    detail: str,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
    request_id: str | None = None,
) -> JSONResponse:
    instance = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    return problem_json(status, slug, detail, instance, errors, headers, request_id)


def problem_json(
    status: int,
    slug: str,
    detail: str,
    instance: str | None = None,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
    request_id: str | None = None,
) -> JSONResponse:
    """The problem document, for callers that have no Request (middleware). Every 503 says
    when to retry: `Retry-After`, RETRY_AFTER seconds unless the caller set it."""
    if status == 503 and not any(k.lower() == "retry-after" for k in headers or {}):
        headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER)}
    body = Problem(
        type=TYPE_BASE + slug,
        title=HTTPStatus(status).phrase
        if slug != "invalid-parameter"
        else "Invalid request parameter",
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
        request_id=request_id,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


# What pydantic's message leaves out: the values it would accept.
_ALLOWED = {"bool_parsing": "; use true or false"}


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
                # A validator's own message, without pydantic's "Value error, " before it.
                reason=str(error.get("msg", "invalid")).removeprefix("Value error, ")
                + _ALLOWED.get(error.get("type", ""), ""),
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
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = str(exc.detail)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}; see /docs for the endpoints"
        if exc.status_code == 405 and headers is not None and "Allow" in headers:
            allow = _allow(headers["Allow"])
            if request.method == "OPTIONS":
                # Not a CORS preflight (the CORS middleware answers those): a client asking
                # what this resource supports.
                return Response(status_code=204, headers={"Allow": allow})
            headers = {**headers, "Allow": allow}
            detail = f"{request.method} is not allowed on {request.url.path}; allowed: {allow}"
        return problem_response(request, exc.status_code, slug, detail, headers=headers)

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        if timed_out(exc):
            log.warning("request past the work bound on %s", request.url.path)
            return problem_response(request, 503, "too-much-work", TIMED_OUT)
        if is_outage(exc):
            log.error("database unavailable on %s: %s", request.url.path, exc)
            problem = database_unavailable()
            return problem_response(
                request, problem.status, problem.slug, problem.detail, headers=problem.headers
            )
        if not await run_in_threadpool(_schema_at_head, request):
            # Served before `claimline migrate`: the service is not ready, not broken.
            detail = "the database schema is not at this version's head; see /readyz"
            return problem_response(request, 503, "not-ready", detail)
        return _internal_error(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _internal_error(request, exc)


def _allow(routed: str) -> str:
    """The routes declare GET; HEAD and OPTIONS are answered around them for every GET route
    (app/api/conventions.py), so `Allow` names them too."""
    methods = {m.strip() for m in routed.split(",") if m.strip()}
    if "GET" in methods:
        methods |= {"HEAD", "OPTIONS"}
    return ", ".join(sorted(methods))


def _internal_error(request: Request, exc: BaseException) -> JSONResponse:
    # The body names the log line, never the statement or the trace.
    request_id = uuid.uuid4().hex
    log.error("internal error %s on %s", request_id, request.url.path, exc_info=exc)
    detail = f"internal error; it was logged as {request_id}"
    return problem_response(request, 500, "internal-error", detail, request_id=request_id)


def _schema_at_head(request: Request) -> bool:
    try:
        engine = request.app.state.claimline.engine
        return migrate.current_revision(engine) == migrate.head_revision()
    except SQLAlchemyError:
        return False


ERROR_DESCRIPTIONS = {
    400: "An unknown query parameter (a typo would otherwise widen the results silently)",
    404: "No such id; the detail suggests close ones where it can",
    414: "The request target is longer than the server's limit (CLAIMLINE_MAX_URL_BYTES)",
    422: "A parameter is invalid: an unknown actor, place or document (with the closest "
    "names in `errors[].suggestions`), a bad date, `from` after `to`, a bad cursor, a "
    "limit out of range, a value outside its vocabulary",
    431: "The request headers are larger than the server's limit (CLAIMLINE_MAX_HEADER_BYTES)",
    500: "An error of the service's own, logged under the body's `request_id`",
    503: "The database cannot answer now, its schema is not migrated yet, the search "
    "index is being rebuilt, or the request needed more database work than the server allows "
    "(too-much-work); retry after `Retry-After` seconds (/readyz says when ready)",
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "schema": {"type": "integer"},
        "example": RETRY_AFTER,
    }
}


def problem_responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """The documented error responses of a route: 400, 414, 431 and 500 on every route (each
    rejects unknown parameters and over-long requests), the given `statuses` besides;
    `descriptions` (`s503=...`) replace the usual ones. A 503 always carries `Retry-After`."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted({400, 414, 431, 500, *statuses}):
        response: dict[str, Any] = {
            "model": Problem,
            "description": descriptions.get(f"s{status}", ERROR_DESCRIPTIONS[status]),
            "content": {PROBLEM_MEDIA_TYPE: {}},
        }
        if status == 503:
            response["headers"] = RETRY_AFTER_HEADER
        out[status] = response
    return out


PROBLEM_RESPONSES = problem_responses(422, 503)
NOT_FOUND_RESPONSE = problem_responses(404, 503)
