"""The listing's selection read for an export: every matching event, a page at a time, by
the same query and assembly functions as /events, so that no format holds the whole result.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from starlette.requests import Request

from app import queries, rendered_pages
from app.api.deps import Session
from app.api.listing import echo
from app.assemble import build_events
from app.filters import TimelineFilter

Json = dict[str, Any]
# Events read per statement: large enough that the per-page statements cost little, small
# enough that a page's bodies stay a few hundred kilobytes.
PAGE_SIZE = 200


@dataclass
class Selection:
    """What an export writes: the resolved filters and the events from `after` on, at most
    `limit` of them when given."""

    session: Session
    filter: TimelineFilter
    after: tuple[date, str] | None
    limit: int | None
    request: Request

    @property
    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")

    def filters(self) -> Json:
        """The filters as /events echoes them, and the `location` values as given (the
        echo has no place for them)."""
        echoed = echo(self.session.index, self.filter).model_dump(mode="json", by_alias=True)
        return {**echoed, "location": self.request.query_params.getlist("location")}

    def body_pages(self) -> Iterator[list[bytes]]:
        """The events as /events renders each, serialised, a page at a time."""
        for s, rows in self._row_pages():
            stored = rendered_pages.stored_bodies(s.conn, self.filter, rows)
            if stored is None:
                stored = [orjson.dumps(e) for e in build_events(s.conn, s.index, self.filter, rows)]
            yield stored

    def event_pages(self) -> Iterator[list[Json]]:
        """The events as /events renders each, a page at a time."""
        for s, rows in self._row_pages():
            stored = rendered_pages.stored_bodies(s.conn, self.filter, rows)
            if stored is None:
                yield build_events(s.conn, s.index, self.filter, rows)
            else:
                yield [orjson.loads(body) for body in stored]

    def _row_pages(self) -> Iterator[tuple[Session, Sequence[Any]]]:
        after, remaining = self.after, self.limit
        while remaining is None or remaining > 0:
            n = PAGE_SIZE if remaining is None else min(PAGE_SIZE, remaining)
            rows = queries.page_events(self.session.conn, self.filter, n, after)
            more = len(rows) > n
            rows = rows[:n]
            if rows:
                yield self.session, rows
            if not more:
                return
            after = queries.event_sort_key(rows[-1])
            if remaining is not None:
                remaining -= n
