"""JSON responses serialised once, by orjson, from plain dicts."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response


def json_response(body: Any, headers: dict[str, str] | None = None, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")
