"""The OpenAPI document's examples of the export formats: real answers of the seed data to
the request beside each (tests/test_formats.py replays them against a server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.api.formats import Format

EXAMPLES_PATH = Path(__file__).with_name("examples.json")
SAVED: dict[str, dict[str, Any]] = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))
EXAMPLES: dict[Format, dict[str, Any]] = {
    Format(name): {"summary": f"GET {saved['request']}", "value": saved["response"]}
    for name, saved in SAVED.items()
}
