"""What changed after a point in time: each record created, updated or removed, in the order
of the loads that did it (the SQL behind GET /changes, and the loader's clock).

Every load stamps the records it changes with one instant (app/loader/write.py), later than
any before it. The changes are listed in (instant, kind, id) order and paged on that key,
so a client that pages through while a load commits still sees every change: a record the
load touches moves to the load's instant, past any page read so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    func,
    literal,
    null,
    select,
    tuple_,
    union_all,
)

from app.models import STAMPED_TABLES, UtcDateTime
from app.models import tombstones_table as T

KINDS = tuple(sorted(t.name for t in STAMPED_TABLES))
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Change:
    kind: str
    id: str
    change: str  # created, updated or removed
    at: datetime


def latest(conn: Connection) -> datetime | None:
    """The instant of the last change the data holds (None: no record was ever loaded)."""
    columns = [*(t.c.updated_at for t in STAMPED_TABLES), T.c.removed_at]
    # One indexed lookup each: the last entry of its (stamp, …) index.
    found = [conn.execute(select(func.max(column))).scalar() for column in columns]
    return max((_utc(v) for v in found if v is not None), default=None)


def next_instant(conn: Connection) -> datetime:
    """A load's instant: now, or just past the last change if the clock has gone back, so
    that `since=<an earlier answer's until>` never misses a later load."""
    now = datetime.now(UTC)
    last = latest(conn)
    return now if last is None or now > last else last + _TICK


def page(
    conn: Connection,
    since: datetime | None,
    limit: int,
    after: tuple[datetime, str, str] | None,
) -> list[Change]:
    """Up to limit + 1 changes after `since` (all, with None), after the cursor's key."""
    n = limit + 1
    arms = []
    for table in STAMPED_TABLES:
        at = table.c.updated_at
        conds: list[ColumnElement[bool]] = []
        if since is not None:
            conds.append(at > since)
        if after is not None:
            conds.append(_after_for_kind(table.name, at, table.c.id, after))
        arms.append(
            select(
                literal(table.name, String(20)).label("kind"),
                table.c.id,
                table.c.created_at,
                at.label("at"),
            )
            .where(*conds)
            .order_by(at, table.c.id)
            .limit(n)
        )
    conds = []
    if since is not None:
        conds.append(T.c.removed_at > since)
    if after is not None:
        conds.append(tuple_(T.c.removed_at, T.c.kind, T.c.id) > tuple_(*after))
    arms.append(
        select(T.c.kind, T.c.id, null().cast(UtcDateTime).label("created_at"),
               T.c.removed_at.label("at"))
        .where(*conds)
        .order_by(T.c.removed_at, T.c.kind, T.c.id)
        .limit(n)
    )  # fmt: skip
    merged = union_all(*(select(arm.subquery()) for arm in arms)).subquery()
    stmt = select(merged).order_by(merged.c.at, merged.c.kind, merged.c.id).limit(n)
    return [_change(row, since) for row in conn.execute(stmt)]


def _after_for_kind(
    kind: str, at: Any, row_id: Any, after: tuple[datetime, str, str]
) -> ColumnElement[bool]:
    """(at, kind, id) > after, for rows of one kind."""
    after_at, after_kind, after_id = after
    if kind > after_kind:
        return at >= after_at  # type: ignore[no-any-return]
    if kind < after_kind:
        return at > after_at  # type: ignore[no-any-return]
    return tuple_(at, row_id) > tuple_(after_at, after_id)


def _change(row: Any, since: datetime | None) -> Change:
    at = _utc(row.at)
    if row.created_at is None:
        change = "removed"
    elif since is None or _utc(row.created_at) > since:
        change = "created"
    else:
        change = "updated"
    return Change(row.kind, row.id, change, at)


def _utc(value: Any) -> datetime:
    """A stamp as read back: through the union, SQLite's may come as text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sort_key(change: Change) -> tuple[datetime, str, str]:
    return change.at, change.kind, change.id
