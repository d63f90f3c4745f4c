"""The representations of the event listings (/events, /timeline): JSON, and the export
formats, each in its own module, chosen by `format=` or by the Accept header (`format=`
wins; an Accept naming none of them gets JSON).

`requested` is what the response cache and the fast /events route read to key and to step
aside: it must stay a cheap check on the JSON path.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from urllib.parse import parse_qsl

from starlette.types import Scope


class Format(StrEnum):
    """A representation of the listing: `json` (the default), `csv` (one row per figure of
    each claim), `ndjson` (one event a line), `timelinejs` (Knight Lab TimelineJS3),
    `geojson` (one feature per event with a place) or `atom` (a feed, newest known first)."""

    json = "json"
    csv = "csv"
    ndjson = "ndjson"
    timelinejs = "timelinejs"
    geojson = "geojson"
    atom = "atom"


# The media type each format is sent as; an Accept header chooses by these (TimelineJS has
# none of its own: `format=timelinejs` only).
MEDIA_TYPES: dict[Format, str] = {
    Format.json: "application/json",
    Format.csv: "text/csv",
    Format.ndjson: "application/x-ndjson",
    Format.timelinejs: "application/json",
    Format.geojson: "application/geo+json",
    Format.atom: "application/atom+xml",
}
_BY_MEDIA_TYPE = {
    "text/csv": Format.csv,
    "application/x-ndjson": Format.ndjson,
    "application/ndjson": Format.ndjson,
    "application/geo+json": Format.geojson,
    "application/atom+xml": Format.atom,
}
_JSON_RANGES = ("application/json", "application/*", "*/*")
# The paths whose representation the request chooses, and those that have one of their own.
NEGOTIATED = frozenset({"/events", "/timeline"})
FIXED = {"/events.atom": Format.atom}
# The scope key under which the response cache passes the representation it keyed by.
SCOPE_KEY = "claimline.format"
ACCEPT = b"accept"


@lru_cache(maxsize=256)
def from_accept(header: bytes) -> Format:
    """The format an Accept value asks for: the supported type of highest q-value, JSON on
    a tie or when none is named (`*/*` and `application/*` stand for JSON)."""
    best, best_q = Format.json, 0.0
    json_q = 0.0
    for item in header.decode("latin-1").split(","):
        media, _, params = item.partition(";")
        media = media.strip().lower()
        q = _quality(params)
        if media in _JSON_RANGES:
            json_q = max(json_q, q)
        elif media in _BY_MEDIA_TYPE and q > best_q:
            best, best_q = _BY_MEDIA_TYPE[media], q
    return best if best_q > json_q else Format.json


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def requested(scope: Scope) -> Format:
    """The format of a GET: the path's own, else `format=` (a value that is no format is
    the route's to refuse: JSON here), else Accept, else JSON."""
    path = scope["path"]
    fixed = FIXED.get(path)
    if fixed is not None:
        return fixed
    if path not in NEGOTIATED:
        return Format.json
    query: bytes = scope.get("query_string", b"")
    if b"format=" in query:
        for key, value in parse_qsl(query.decode("latin-1")):
            if key == "format":
                return Format(value) if value in Format.__members__ else Format.json
    for key, value in scope["headers"]:
        if key == ACCEPT:
            return from_accept(value)
    return Format.json
