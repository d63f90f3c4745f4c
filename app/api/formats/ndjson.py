"""NDJSON (`application/x-ndjson`): one event a line, each exactly as /events renders it."""

from __future__ import annotations

from collections.abc import Iterator

from app.api.formats.stream import Selection

MEDIA_TYPE = "application/x-ndjson"
EXTENSION = "ndjson"


def render(selection: Selection) -> Iterator[bytes]:
    for bodies in selection.body_pages():
        yield b"".join(body + b"\n" for body in bodies)
