"""The data version and the longest event span, kept in `dataset_meta`.

The version changes whenever a load changes anything; it keys ETags and the response cache.
The longest span bounds date-overlap queries: an event overlapping [from, to] must start on
or after `from - max_span`, which turns the overlap test into an index range scan.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, delete, select

from app.models import dataset_meta_table as META

VERSION, MAX_SPAN = "data_version", "max_event_span_days"


@dataclass(frozen=True)
class Meta:
    version: str
    max_span_days: int


def max_span(intervals: Iterable[tuple[date, date]]) -> int:
    return max(((latest - earliest).days for earliest, latest in intervals), default=0)


def write(conn: Connection, max_span_days: int, version: str | None = None) -> str:
    version = version or uuid.uuid4().hex
    conn.execute(delete(META))
    conn.execute(
        META.insert(),
        [{"key": VERSION, "value": version}, {"key": MAX_SPAN, "value": str(max_span_days)}],
    )
    return version


def read(conn: Connection) -> Meta:
    values = {key: value for key, value in conn.execute(select(META.c.key, META.c.value))}
    # A database loaded before this table existed: no version, no bound (span unknown).
    return Meta(values.get(VERSION, "unversioned"), int(values.get(MAX_SPAN, 1_000_000)))


class MetaCache:
    """The meta as last read, re-read at most every `ttl` seconds, so a conditional request
    can be answered without a database round trip. A new load is seen within `ttl`."""

    def __init__(self, engine: Engine, ttl: float) -> None:
        self._engine, self._ttl = engine, ttl
        self._lock = threading.Lock()
        self._value: Meta | None = None
        self._read_at = 0.0

    def get(self) -> Meta:
        now = time.monotonic()
        if self._value is None or now - self._read_at > self._ttl:
            with self._lock:
                if self._value is None or now - self._read_at > self._ttl:
                    with self._engine.connect() as conn:
                        self._value = read(conn)
                    self._read_at = now
        return self._value
