"""A request's filter values as named bind parameters, and the statements built from them,
kept per filter shape.

Every value a listing statement compares with (actor ids, dates, floors, types, …) enters
it as a bind parameter whose name says its role, with the value `values_of` gives it. A
statement so built depends on its filters' shape only: which names are set, `date_match`
and `order`. So the general path builds a statement once per shape (`Statements`) and
runs it with each request's values, instead of building, and having SQLAlchemy key and
look up, a new one per request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import BindParameter, bindparam

from app import overlap
from app.filters import TimelineFilter
from app.models import UtcDateTime
from app.vocab import hedge_mask

# Filter values kept as lists (an expanding IN: one statement whatever their count), by
# parameter name: (the filter's field, its values).
_LISTS: dict[str, tuple[str, Callable[[TimelineFilter], list[str]]]] = {
    "actor_ids": ("actors", lambda f: f.ids(f.actors)),
    "claimant_ids": ("claimants", lambda f: f.ids(f.claimants)),
    "via_ids": ("via", lambda f: f.ids(f.via)),
    "source_ids": ("sources", lambda f: f.ids(f.sources)),
    "documents": ("documents", lambda f: list(f.documents)),
    "hedges": ("hedges", lambda f: list(f.hedges)),
    "types": ("types", lambda f: list(f.types)),
}


@dataclass(frozen=True)
class Binds:
    """The values of one request, by parameter name."""

    values: dict[str, Any]
    within: bool
    descending: bool = False

    def param(self, name: str) -> BindParameter[Any]:
        """The parameter `name`, carrying this request's value (so a statement built with
        it runs as it is, or, kept for its shape, with another request's values)."""
        value = self.values[name]
        if isinstance(value, datetime):
            # Written as the stamps are (SQLite keeps them as UTC text).
            return bindparam(name, value, type_=UtcDateTime)
        return bindparam(name, value, expanding=isinstance(value, list))

    def has(self, name: str) -> bool:
        return name in self.values

    def shape(self, *kind: Hashable) -> Hashable:
        """What a statement built from these values depends on, with the caller's kind."""
        return (*kind, self.within, self.descending, frozenset(self.values))

    def plus(self, **values: Any) -> Binds:
        return Binds({**self.values, **values}, self.within, self.descending)

    def paged(self, limit: int, after: tuple[date, str] | None) -> Binds:
        """With a page's size (`n`, one extra row to say there is more) and its cursor."""
        if after is None:
            return self.plus(n=limit + 1)
        return self.plus(n=limit + 1, after_date=after[0], after_id=after[1])

    def precisions(self) -> range:
        """The indexes i of the per-precision scans (`p{i}`, with a floor `floor{i}`)."""
        n = 0
        while f"p{n}" in self.values:
            n += 1
        return range(n)


def values_of(f: TimelineFilter) -> Binds:
    """The one mapping from a filter to its parameters' names and values."""
    values: dict[str, Any] = {
        name: get(f) for name, (field, get) in _LISTS.items() if getattr(f, field)
    }
    if len(f.actors) == 1:
        values["actor"] = f.actors[0].actor.id
    if f.hedges:
        values["hedge_mask"] = hedge_mask(f.hedges)
    # Each claimant, outlet and source id apart too, for a scan of its claims or relays
    # (queries.CLAIMANT_EVENTS).
    for name in ("claimant", "via", "source"):
        values.update({f"{name}{j}": k for j, k in enumerate(values.get(f"{name}_ids", ()))})
    for name, value in (("from", f.date_from), ("to", f.date_to), ("known", f.known_as_of),
                        ("updated_since", f.updated_since),
                        ("min_claimants", f.min_claimants)):  # fmt: skip
        if value is not None:
            values[name] = value
    if f.contested is not None:
        # Never bound: it names the statement's shape, EXISTS or NOT EXISTS.
        values[f"contested_{f.contested}"] = True
    # Keys and phrases are words padded with spaces (search.phrase_key): no wildcard can
    # come from the request.
    values.update({f"loc{i}": f"%{phrase}%" for i, phrase in enumerate(f.locations)})
    if f.context is not None:
        values["context"] = f.context == "only"  # the `events.context` kept
    for i, (precision, span) in enumerate(f.spans or ()):
        values[f"p{i}"] = precision
        floor = overlap.earliest_floor(f, span)
        if floor is not None:
            values[f"floor{i}"] = floor
    return Binds(values, f.within, f.descending)


S = TypeVar("S")


class Statements:
    """Statements by shape, the least recently used dropped past `size`. Shapes are few (a
    combination of set filters), so the bound is a guard, not a working limit."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, shape: Hashable, build: Callable[[], S]) -> S:
        try:
            self._kept.move_to_end(shape)
            kept: S = self._kept[shape]
            return kept
        except KeyError:
            pass
        made = self._kept[shape] = build()
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return made


STATEMENTS = Statements()
