"""Words and names for an export's filters: a title for the feed and the timeline, a file
name for the download."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from starlette.requests import Request

# Query parameters that page the selection rather than choose it.
NOT_FILTERS = frozenset({"cursor", "limit", "format"})
_UNSAFE = re.compile(r"[^a-z0-9]+")
MAX_NAME = 120


def describe(filters: dict[str, Any]) -> str:
    """The echoed filters (/events' `filters`) in a line: "actor North Korea; type
    casualties; from 2024-10-01 to 2024-12-31"; "all events" when there are none."""
    parts: list[str] = []
    for key in ("actor", "claimant", "via", "source"):
        names = [r["actor"]["name"] for r in filters[key]]
        if names:
            parts.append(f"{key} {' or '.join(names)}")
    for key in ("type", "hedge", "document", "location"):
        if filters.get(key):
            parts.append(f"{key} {' or '.join(filters[key])}")
    if filters["from"] or filters["to"]:
        span = " ".join(
            f"{word} {filters[key]}" for word, key in (("from", "from"), ("to", "to"))
            if filters[key]
        )  # fmt: skip
        within = " (wholly within)" if filters["date_match"] == "within" else ""
        parts.append(span + within)
    if filters["q"]:
        parts.append(f"search {' '.join(filters['q'])}")
    if filters["known_as_of"]:
        parts.append(f"as known on {filters['known_as_of']}")
    context = filters.get("context")
    if context:
        parts.append("background left out" if context == "exclude" else "background only")
    return "; ".join(parts) or "all events"


def file_name(request: Request, stem: str, extension: str) -> str:
    """`claimline-events-actor-dprk-type-casualties.csv`: the filters as given, in the
    request's order, reduced to letters, digits and dashes."""
    words = [stem]
    for key, value in request.query_params.multi_items():
        if key not in NOT_FILTERS:
            ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
            words += [key, _UNSAFE.sub("-", ascii_value.lower()).strip("-") or "x"]
    name = "-".join(words)[:MAX_NAME].rstrip("-")
    return f"{name}.{extension}"
