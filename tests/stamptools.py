"""Answers with their load's timestamps replaced by one fixed instant, so that a test can
compare them with examples saved from another load (the OpenAPI and format examples)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from app.changes import KINDS
from app.cursor import CursorError, decode_change_cursor, encode_change_cursor

FIXED = "2026-12-07T19:52:51.123456Z"
_FIXED_AT = datetime.fromisoformat(FIXED)
STAMP_KEYS = ("created_at", "updated_at", "at", "until")
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_IN_TEXT = re.compile(r'("(?:created_at|updated_at|at|until)":\s*)"' + _STAMP.pattern + '"')
_CURSOR = re.compile(r"(?<=cursor=)[A-Za-z0-9_-]+")


def fixed_cursor(token: str) -> str:
    """A /changes cursor re-made at FIXED; any other token as it is."""
    try:
        _, kind, row_id = decode_change_cursor(token, KINDS)
    except CursorError:
        return token
    return encode_change_cursor(_FIXED_AT, kind, row_id)


def fixed_text(text: str) -> str:
    """JSON or NDJSON text with every stamp at FIXED."""
    text = _IN_TEXT.sub(lambda m: f'{m.group(1)}"{FIXED}"', text)
    text = re.sub(r'("next_cursor":\s*")([A-Za-z0-9_-]+)"',
                  lambda m: f'{m.group(1)}{fixed_cursor(m.group(2))}"', text)  # fmt: skip
    return _CURSOR.sub(lambda m: fixed_cursor(m.group(0)), text)


def fixed(value: Any) -> Any:
    """A parsed answer with every stamp (and /changes cursor) at FIXED."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in STAMP_KEYS and isinstance(item, str) and _STAMP.fullmatch(item):
                out[key] = FIXED
            elif key == "next_cursor" and isinstance(item, str):
                out[key] = fixed_cursor(item)
            elif key == "next" and isinstance(item, str):
                out[key] = _CURSOR.sub(lambda m: fixed_cursor(m.group(0)), item)
            else:
                out[key] = fixed(item)
        return out
    if isinstance(value, list):
        return [fixed(item) for item in value]
    return value
