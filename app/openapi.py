"""OpenAPI document tweaks: problem+json as the only error media type, the caching headers
the middleware adds, and real-data examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app import migrate
from app.api.http_cache import CACHE_CONTROL, CACHED_PREFIXES
from app.api.problems import PROBLEM_MEDIA_TYPE

# Each operation's example: a real response of the seed data to the request beside it.
# tests/test_openapi.py replays every request against a server and compares.
EXAMPLES_PATH = Path(__file__).with_name("openapi_examples.json")
EXAMPLES: dict[str, dict[str, Any]] = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))
EXAMPLE_EVENT: dict[str, Any] = EXAMPLES["getEvent"]["response"]

# HttpCacheMiddleware, not the routes, adds these to every 200 under CACHED_PREFIXES and
# answers a current If-None-Match with 304: declared here so that clients can read them.
ETAG_HEADER = {
    "description": "A strong validator of this response (data version and URL): send it "
    "back in `If-None-Match` to get a 304 while the data is unchanged",
    "schema": {"type": "string"},
    "example": '"3f1c5a9e0b7d4c2a8e6f1b0d9c7a5e3f"',
}
CACHE_CONTROL_HEADER = {
    "description": f"`{CACHE_CONTROL.decode()}`: caches may keep the response but must "
    "revalidate it (If-None-Match) before each use, so a new load shows at once",
    "schema": {"type": "string"},
    "example": CACHE_CONTROL.decode(),
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETags of responses already held (comma-separated; `W/` ignored): if one "
    "is current, the answer is a 304 with no body and no database query",
    "schema": {"type": "string"},
    "example": ETAG_HEADER["example"],
}
NOT_MODIFIED = {
    "description": "Not Modified: the `If-None-Match` ETag is current; reuse the response "
    "held, there is no body",
    "headers": {"ETag": ETAG_HEADER, "Cache-Control": CACHE_CONTROL_HEADER},
}


def _operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, op) for path, item in schema["paths"].items() for op in item.values()]


def _fix_error_responses(schema: dict[str, Any]) -> None:
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for _, operation in _operations(schema):
        for status, response in operation.get("responses", {}).items():
            if status.startswith(("4", "5")):
                response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)


def _declare_caching(schema: dict[str, Any]) -> None:
    for path, operation in _operations(schema):
        if not path.startswith(CACHED_PREFIXES):
            continue
        operation.setdefault("parameters", []).append(IF_NONE_MATCH)
        responses = operation["responses"]
        headers = responses["200"].setdefault("headers", {})
        headers.update({"ETag": ETAG_HEADER, "Cache-Control": CACHE_CONTROL_HEADER})
        responses["304"] = NOT_MODIFIED
        # Status codes in order, so that the document reads 200, 304, 400, ...
        operation["responses"] = dict(sorted(responses.items()))


def _add_examples(schema: dict[str, Any]) -> None:
    for _, operation in _operations(schema):
        example = EXAMPLES[operation["operationId"]]
        value = example["response"]
        if operation["operationId"] == "getReadiness" and value is not None:
            # The schema revision moves with every migration; the rest is the seed data's.
            value = {**value, "checks": {**value["checks"], "schema": migrate.head_revision()}}
        summary = f"GET {example['request']}" + (
            f" ({example['note']})" if "note" in example else ""
        )
        content = operation["responses"]["200"]["content"]["application/json"]
        content["examples"] = {"seeds": {"summary": summary, "value": value}}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            _fix_error_responses(schema)
            _declare_caching(schema)
            _add_examples(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
