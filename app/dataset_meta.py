"""The data version and the longest event span, kept in `dataset_meta`.

The version changes whenever a load changes anything; it keys ETags and the response cache.
The longest span of each precision bounds date-overlap queries: an event of precision p that
overlaps [from, to] starts on or after `from - span(p)`, so each precision is an index range
scan on (date_precision, date_earliest, id), not a read of every event that starts before `to`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, delete, select

from app.models import dataset_meta_table as META

VERSION, SPANS = "data_version", "max_event_span_days_by_precision"
# How many documents are loaded: readiness reports it without counting a large table.
DOCUMENTS = "documents"
# The data version the derived tables (app/derived.py) were last built for.
DERIVED = "derived_version"
# The digest of the seeds `claimline load` last made the data match (Dataset.digest); absent
# from data loaded by other means (`claimline generate`), which `serve` leaves as it is.
SEEDS = "seeds_digest"

# precision -> the longest (latest - earliest) in days among events of that precision
Spans = dict[str, int]


@dataclass(frozen=True)
class Meta:
    version: str
    spans: Spans | None  # None: unknown (data loaded before this table existed)
    derived: bool = False  # the derived tables match this version
    documents: int | None = None  # None: not recorded (loaded before it was)


def max_spans(events: Iterable[tuple[str, date, date]]) -> Spans:
    spans: Spans = {}
    for precision, earliest, latest in events:
        days = (latest - earliest).days
        if days > spans.get(precision, -1):
            spans[precision] = days
    return spans


def merge(a: Spans, b: Spans) -> Spans:
    return {p: max(a.get(p, 0), b.get(p, 0)) for p in a.keys() | b.keys()}


def write(conn: Connection, spans: Spans, documents: int, version: str | None = None) -> str:
    version = version or uuid.uuid4().hex
    conn.execute(delete(META))
    conn.execute(
        META.insert(),
        [
            {"key": VERSION, "value": version},
            {"key": SPANS, "value": json.dumps(spans, sort_keys=True)},
            {"key": DOCUMENTS, "value": str(documents)},
        ],
    )
    return version


def read(conn: Connection) -> Meta:
    values = {key: value for key, value in conn.execute(select(META.c.key, META.c.value))}
    spans = json.loads(values[SPANS]) if SPANS in values else None
    version = values.get(VERSION, "unversioned")
    documents = int(values[DOCUMENTS]) if DOCUMENTS in values else None
    return Meta(version, spans, VERSION in values and values.get(DERIVED) == version, documents)


def mark_derived(conn: Connection) -> None:
    """Record that the derived tables now match the current data version."""
    version = read(conn).version
    conn.execute(delete(META).where(META.c.key == DERIVED))
    conn.execute(META.insert(), [{"key": DERIVED, "value": version}])


def record_seeds(conn: Connection, digest: str) -> None:
    conn.execute(delete(META).where(META.c.key == SEEDS))
    conn.execute(META.insert(), [{"key": SEEDS, "value": digest}])


def seeds_digest(conn: Connection) -> str | None:
    return conn.execute(select(META.c.value).where(META.c.key == SEEDS)).scalar_one_or_none()


class MetaCache:
    """The meta as last read, re-read at most every `ttl` seconds, so a conditional request
    can be answered without a database round trip. A new load is seen within `ttl`."""

    def __init__(self, engine: Engine, ttl: float) -> None:
        self._engine, self._ttl = engine, ttl
        # Swappable so a test can step time instead of sleeping past the TTL under load.
        self.clock: Callable[[], float] = time.monotonic
        self._lock = threading.Lock()
        self._value: Meta | None = None
        self._read_at = 0.0

    def peek(self) -> Meta | None:
        """The cached meta if still fresh, without any database access (safe on the event
        loop); None when it must be re-read."""
        if self._value is None or self.clock() - self._read_at > self._ttl:
            return None
        return self._value

    def recent(self) -> Meta | None:
        """The cached meta while at most twice the TTL old, for a caller that has a re-read
        under way: it stays usable until that read lands (the ETag of a load past the TTL
        shows within the TTL plus one re-read). None past that, or before the first read."""
        if self._value is None or self.clock() - self._read_at > 2 * self._ttl:
            return None
        return self._value

    def get(self, conn: Connection | None = None) -> Meta:
        """The cached meta; re-read through `conn` (the caller's connection, so a request
        never holds two pooled connections at once) or a connection of its own."""
        now = self.clock()
        if self._value is None or now - self._read_at > self._ttl:
            with self._lock:
                if self._value is None or now - self._read_at > self._ttl:
                    if conn is not None:
                        self._value = read(conn)
                    else:
                        with self._engine.connect() as own:
                            self._value = read(own)
                    self._read_at = now
        return self._value
