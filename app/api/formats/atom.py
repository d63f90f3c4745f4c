"""An Atom feed (`application/atom+xml`, RFC 4287) of the selection: one entry per event,
newest known first (by its latest claim's `known_from`), at most CLAIMLINE_FEED_ENTRIES of
them (or `limit`). An entry links to the event's JSON and to its documents; `updated` is
the day its latest claim became known. Built by feedgen.

A feed is the latest window of a selection, so this format alone reads every matching
event before writing: it keeps only the newest entries (a bounded heap), never the whole
result.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html import escape
from typing import Any
from urllib.parse import quote

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator

from app.api.formats.describe import describe
from app.api.formats.stream import Json, Selection

MEDIA_TYPE = "application/atom+xml"
EXTENSION = "atom"
# When no entry gives one: the feed's `updated` is required.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def render(selection: Selection) -> Iterator[bytes]:
    # The selection's `limit` caps the entries, not the events read.
    cap = selection.limit or selection.session.state.settings.feed_entries
    selection.limit = None
    newest: list[tuple[str, str, Json]] = []
    for events in selection.event_pages():
        for event in events:
            item = (_latest(event), event["id"], event)
            if len(newest) < cap:
                heapq.heappush(newest, item)
            elif item[:2] > newest[0][:2]:
                heapq.heapreplace(newest, item)
    entries = sorted(newest, key=lambda item: item[:2], reverse=True)
    yield feed(selection, [event for _, _, event in entries])


def _latest(event: Json) -> str:
    return max((c["known_from"] for c in event["claims"]), default="")


def _day(iso: str) -> datetime:
    return datetime.combine(date.fromisoformat(iso), datetime.min.time(), UTC) if iso else EPOCH


def feed(selection: Selection, events: list[Json]) -> bytes:
    base = selection.base_url
    request = selection.request
    query = request.url.query
    self_url = str(request.url)
    json_url = f"{base}/events" + (f"?{query}" if query else "")
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(f"Claimline: {describe(selection.filters())}")
    fg.subtitle("Events of conflict reporting, each with who claims it and where it was read")
    fg.author({"name": "Claimline"})
    fg.link(href=self_url, rel="self", type=MEDIA_TYPE)
    fg.link(href=json_url, rel="alternate", type="application/json")
    fg.updated(_day(_latest(events[0])) if events else EPOCH)
    for event in events:
        _entry(fg, base, event)
    return bytes(fg.atom_str(pretty=False))


class _Entry(FeedEntry):  # type: ignore[misc]
    """feedgen 1.0's entry writes each link's href but drops its rel, type and title: they
    are set again on the elements it made, in the same order."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []

    def add_link(self, **attributes: str) -> None:
        self.links.append(attributes)
        self.link(**attributes)

    def atom_entry(self, extensions: bool = True) -> Any:
        entry = super().atom_entry(extensions)  # an lxml element
        for element, attributes in zip(entry.findall("link"), self.links, strict=True):
            element.attrib.update(attributes)
        return entry


def _entry(fg: FeedGenerator, base: str, event: Json) -> None:
    url = f"{base}/events/{quote(event['id'])}"
    fe = _Entry()
    fg.add_entry(fe, order="append")
    fe.id(url)
    fe.title(event["title"])
    fe.updated(_day(_latest(event)))
    if event["claims"]:
        fe.published(_day(min(c["known_from"] for c in event["claims"])))
    fe.add_link(href=url, rel="alternate", type="application/json")
    seen: set[str] = set()
    for claim in event["claims"]:
        doc = claim["document"]
        if doc["id"] in seen:
            continue
        seen.add(doc["id"])
        fe.add_link(href=f"{base}/documents/{quote(doc['id'])}", rel="related",
                    type="application/json", title=doc["title"])  # fmt: skip
        if doc["url"]:
            fe.add_link(href=doc["url"], rel="via", type="text/html", title=doc["title"])
    fe.category(term=event["type"])
    fe.summary(event["summary"])
    fe.content(_html(event), type="html")


def _html(event: Json) -> str:
    items = "".join(
        f"<li><strong>{escape(c['claimant']['name'])}</strong> ({escape(c['hedge'])}, "
        f"{escape(c['known_from'])}): <q>{escape(c['quote'])}</q></li>"
        for c in event["claims"]
    )
    return f"<p>{escape(event['summary'])}</p><ul>{items}</ul>"
