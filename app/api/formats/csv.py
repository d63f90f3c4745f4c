"""CSV (`text/csv`): one row per figure of each claim, the claim's and its event's columns
repeated; a claim without figures is one row with the figure columns empty, an event
without claims one row with the claim columns empty. So the header is the same whatever
the data, and a spreadsheet filter on `figure_quantity` charts the estimates by claimant.

Actors are `;`-joined, ids and names in two columns of the same order. `event_claimants`
and `event_contested` are the event's `support.claimants` and `contested`. Text cells that a
spreadsheet would run as a formula (starting with = + - @, tab or carriage return) get a
leading `'` (OWASP, CSV injection); numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from app.api.formats.stream import Json, Selection

MEDIA_TYPE = "text/csv; charset=utf-8; header=present"
EXTENSION = "csv"
COLUMNS = (
    "event_id", "event_type", "event_context", "event_title", "event_summary", "event_date_edtf",
    "event_date_earliest", "event_date_latest", "event_date_precision", "event_location",
    "event_lat", "event_lon", "event_actor_ids", "event_actor_names", "event_claimants",
    "event_contested",
    "claim_id", "claimant_id", "claimant_name", "via_ids", "via_names", "document_id",
    "document_title", "document_url", "known_from", "claimed_on", "stance", "hedge",
    "matched", "quote", "note",
    "figure_position", "figure_quantity", "figure_low", "figure_high", "figure_qualifier",
    "figure_unit", "figure_text",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render(selection: Selection) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for events in selection.event_pages():
        for event in events:
            writer.writerows(rows(event))
        yield out.getvalue().encode()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue().encode()


def rows(event: Json) -> Iterator[list[Any]]:
    """The event's rows, in COLUMNS' order, cells neutralised."""
    date = event["date"]
    location = event["location"] or {}
    head = [
        event["id"], event["type"], "true" if event["context"] else "false", event["title"],
        event["summary"], date["edtf"], date["earliest"], date["latest"], date["precision"],
        location.get("name"),
        location.get("lat"), location.get("lon"), _ids(event["actors"]), _names(event["actors"]),
        event["support"]["claimants"], "true" if event["contested"] else "false",
    ]  # fmt: skip
    if not event["claims"]:
        yield _safe([*head, *[None] * (len(COLUMNS) - len(head))])
    for claim in event["claims"]:
        claimed_on = claim["claimed_on"]
        middle = [
            claim["id"], claim["claimant"]["id"], claim["claimant"]["name"], _ids(claim["via"]),
            _names(claim["via"]), claim["document"]["id"], claim["document"]["title"],
            claim["document"]["url"], claim["known_from"],
            claimed_on["edtf"] if claimed_on else None, claim["stance"], claim["hedge"],
            "true" if claim["matched"] else "false", claim["quote"], claim["note"],
        ]  # fmt: skip
        if not claim["figures"]:
            yield _safe([*head, *middle, *[None] * 7])
        for position, f in enumerate(claim["figures"], 1):
            figure = [position, f["quantity"], f["low"], f["high"], f["qualifier"], f["unit"],
                      f["text"]]  # fmt: skip
            yield _safe([*head, *middle, *figure])


def _ids(actors: list[Json]) -> str:
    return ";".join(a["id"] for a in actors)


def _names(actors: list[Json]) -> str:
    return ";".join(a["name"] for a in actors)


def _safe(cells: list[Any]) -> list[Any]:
    return [neutralise(c) if isinstance(c, str) else c for c in cells]


def neutralise(cell: str) -> str:
    """A text cell a spreadsheet will not evaluate."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell
