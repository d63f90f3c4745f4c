"""Knight Lab TimelineJS3 JSON (`format=timelinejs`): a title slide describing the filters,
then one slide per event, grouped by event type.

A date's parts follow its precision: a day has year, month and day; a month no day; a year
only the year. A season or an interval spans its bounds (`start_date` to `end_date`), and
its `display_date` says so. The slide text lists the claims (claimant, relaying outlets,
hedge, quote, figures), every value HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape

import orjson

from app.api.formats.describe import describe
from app.api.formats.stream import Json, Selection
from app.edtf import EdtfDate, human_label, parse_edtf
from app.vocab import Precision

MEDIA_TYPE = "application/json"
EXTENSION = "json"
TITLE_ID = "claimline-title"


def render(selection: Selection) -> Iterator[bytes]:
    title = {
        "unique_id": TITLE_ID,
        "text": {
            "headline": "Claimline: who says what happened",
            "text": f"<p>Selection: {escape(describe(selection.filters()))}</p>",
        },
    }
    yield b'{"title":' + orjson.dumps(title) + b',"events":['
    first = True
    for events in selection.event_pages():
        if events:
            slides = b",".join(orjson.dumps(slide(e)) for e in events)
            yield (b"" if first else b",") + slides
            first = False
    yield b"]}"


def slide(event: Json) -> Json:
    edtf = event["date"]["edtf"]
    out: Json = {
        "unique_id": event["id"],
        "group": event["type"],
        "text": {"headline": escape(event["title"]), "text": _text(event)},
        **dates(edtf),
    }
    return out


def dates(edtf: str) -> Json:
    """start_date (and end_date for a span) and display_date of an EDTF date."""
    label = human_label(edtf)
    if "/" in edtf:
        start_text, _, end_text = edtf.partition("/")
        start, end = parse_edtf(start_text), parse_edtf(end_text)
        return {
            "start_date": _parts(start, first=True),
            "end_date": _parts(end, first=False),
            "display_date": f"{label} ({_bounds(start, end)})",
        }
    parsed = parse_edtf(edtf)
    if parsed.precision is Precision.season:
        return {
            "start_date": _parts(parsed, first=True),
            "end_date": _parts(parsed, first=False),
            "display_date": f"{label} ({_bounds(parsed, parsed)})",
        }
    return {"start_date": _parts(parsed, first=True), "display_date": label}


def _parts(d: EdtfDate, first: bool) -> Json:
    """The TimelineJS date object of one end of `d`, as precise as `d`."""
    day = d.earliest if first else d.latest
    parts: Json = {"year": day.year}
    if d.precision in (Precision.day, Precision.month, Precision.season):
        parts["month"] = day.month
    if d.precision is Precision.day:
        parts["day"] = day.day
    return parts


def _bounds(start: EdtfDate, end: EdtfDate) -> str:
    """The days a span may cover, said in its display date since the slide shows one."""
    return f"some time from {start.earliest.isoformat()} to {end.latest.isoformat()}"


def _text(event: Json) -> str:
    items = []
    for c in event["claims"]:
        via = ", ".join(v["name"] for v in c["via"])
        figures = "; ".join(f["text"] for f in c["figures"])
        items.append(
            "<li><strong>" + escape(c["claimant"]["name"]) + "</strong>"
            + (f" (via {escape(via)})" if via else "")
            + f", {escape(c['hedge'])}, known from {escape(c['known_from'])}: "
            + f"<q>{escape(c['quote'])}</q>"
            + (f" <em>{escape(figures)}</em>" if figures else "")
            + f" <small>{escape(c['document']['title'])}</small></li>"
        )  # fmt: skip
    return f"<p>{escape(event['summary'])}</p><ul>{''.join(items)}</ul>"
