"""The OpenAPI document's examples of the export formats: the start of the seeds' answers."""

from __future__ import annotations

from typing import Any

from app.api.formats import Format

EXAMPLES: dict[Format, dict[str, Any]] = {
    Format.csv: {"summary": "GET /events?format=csv", "value": "event_id,event_type\n"},
    Format.ndjson: {"summary": "GET /events?format=ndjson", "value": "{}\n"},
    Format.geojson: {"summary": "GET /events?format=geojson", "value": {}},
    Format.atom: {"summary": "GET /events.atom", "value": "<feed/>"},
}
