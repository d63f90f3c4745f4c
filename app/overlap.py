"""The per-precision overlap scan: the one builder of the date conditions that let a date
window read only the events within its reach.

An event overlaps [from, to] when it begins by `to` and ends on or after `from`. Indexes
are on (date_precision, date_earliest, …), and an event of precision p lasts at most
span(p) days (dataset_meta keeps the longest of each), so one that reaches `from` begins on
or after `from - span(p)`: with that floor, each precision's events are one index range.
`date_match=within` needs no floor: `date_earliest >= from` is itself the range's start.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table

from app import binds
from app.filters import TimelineFilter


def earliest_floor(f: TimelineFilter, span: int) -> date | None:
    """The earliest start an event of this span can have and still overlap `from`."""
    if f.date_from is None or f.within or f.date_from.toordinal() <= span:
        return None
    return f.date_from - timedelta(days=span)


def bounded(f: TimelineFilter) -> bool:
    """An overlap `from` that per-precision floors bound, with the spans known: scanning per
    precision reads less than one scan of the whole (date_earliest, id) index."""
    return bool(f.spans) and earliest_floor(f, 0) is not None


def days_before(day: date, days: int) -> date:
    """`days` before `day`, or the calendar's first day."""
    return day - timedelta(days=min(days, day.toordinal() - 1))


def date_conditions(
    f: TimelineFilter, earliest: Any, latest: Any, i: int | None = None
) -> list[ColumnElement[bool]]:
    """The request's date filter on these columns, with the floor of the precision scan `i`
    (app/binds.py names the values)."""
    v = binds.values_of(f)
    conds: list[ColumnElement[bool]] = []
    if f.within:
        if f.date_from is not None:
            conds.append(earliest >= v.param("from"))
        if f.date_to is not None:
            conds.append(latest <= v.param("to"))
    else:
        if i is not None and v.has(f"floor{i}"):
            conds.append(earliest >= v.param(f"floor{i}"))
        if f.date_from is not None:
            conds.append(latest >= v.param("from"))
    if f.date_to is not None:
        conds.append(earliest <= v.param("to"))
    return conds


def scans(
    f: TimelineFilter, table: Table, dates: bool = True, prefix: str = ""
) -> list[list[ColumnElement[bool]]]:
    """One list of conditions per precision of `f.spans`, on a table with date_precision,
    date_earliest and date_latest columns (events, actor_events; claims name them with the
    prefix "event_"): the precision and its floor, and, with `dates`, the rest of the date
    filter (leave it out when the caller's conditions hold it already)."""
    assert f.spans is not None
    v = binds.values_of(f)
    earliest, latest = table.c[f"{prefix}date_earliest"], table.c[f"{prefix}date_latest"]
    precision = table.c[f"{prefix}date_precision"]
    out = []
    for i in v.precisions():
        conds: list[ColumnElement[bool]] = [precision == v.param(f"p{i}")]
        if dates:
            conds += date_conditions(f, earliest, latest, i)
        elif v.has(f"floor{i}"):
            conds.append(earliest >= v.param(f"floor{i}"))
        out.append(conds)
    return out
