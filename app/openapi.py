"""OpenAPI document tweaks: problem+json as the only error media type, real-data examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.problems import PROBLEM_MEDIA_TYPE
from app.schemas import ResolvedFilters

# A real event from the seed data; tests/test_openapi.py checks it still matches the API.
EXAMPLE_EVENT: dict[str, Any] = json.loads(
    (Path(__file__).with_name("openapi_example_event.json")).read_text(encoding="utf-8")
)


def _fix_error_responses(schema: dict[str, Any]) -> None:
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                if status.startswith(("4", "5")):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}}
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)


def _add_examples(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    ok = "200"
    event = paths["/events/{event_id}"]["get"]["responses"][ok]["content"]["application/json"]
    event["example"] = EXAMPLE_EVENT
    page = paths["/events"]["get"]["responses"][ok]["content"]["application/json"]
    filters = ResolvedFilters().model_dump(mode="json", by_alias=True)
    page["example"] = {
        "data": [EXAMPLE_EVENT],
        "next_cursor": None,
        "next": None,
        "filters": filters,
    }


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
            _add_examples(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
