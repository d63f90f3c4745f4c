"""The validated, resolved filters of a listing request (no HTTP types here), and the
capabilities by which a fast path declares which of them it can answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime

from app.actor_index import Resolution

# Marks the fields that are settings of the query, not filters (never in `active()`).
_SETTING = {"setting": True}


@dataclass(frozen=True)
class TimelineFilter:
    actors: tuple[Resolution, ...] = ()
    claimants: tuple[Resolution, ...] = ()
    via: tuple[Resolution, ...] = ()
    sources: tuple[Resolution, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    within: bool = False
    types: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    hedges: tuple[str, ...] = ()
    known_as_of: date | None = None
    # Folded words of `q` (app/search.py); a trailing * marks a prefix.
    search: tuple[str, ...] = ()
    # Places as word sequences (location_key), any of which the event's location holds.
    locations: tuple[str, ...] = ()
    # "exclude": only events that are not background (`events.context`); "only": only those.
    # A string, never a bool: `active()` would take False for "not set".
    context: str | None = None
    # Events (and their claims) a load changed after this UTC instant (updated_at).
    updated_since: datetime | None = None
    # `order=desc`: the listing runs newest first, its cursors in that direction. A field,
    # not a setting, so that a fast path that reads only forwards declines it.
    descending: bool = False
    # Events asserted by at least this many distinct claimants (app/corroboration.py).
    min_claimants: int | None = None
    # "true" or "false": whether the event is contested. Not a bool, because `active()`
    # reads False as "not set" and a fast path would then ignore `contested=false`.
    contested: str | None = None
    # Settings of the query, not filters (never in `active()`):
    # the longest event span per precision (dataset_meta), which bounds overlap scans;
    # None: unknown.
    spans: tuple[tuple[str, int], ...] | None = field(default=None, metadata=_SETTING)
    # The derived tables match the data version: the one freshness rule's flag, set when
    # the filter is resolved against the version the request reads.
    fresh: bool = field(default=False, metadata=_SETTING)
    # Fast paths may answer; off, every request takes the general path (the tests' oracle).
    fast: bool = field(default=False, metadata=_SETTING)

    @staticmethod
    def ids(resolutions: tuple[Resolution, ...]) -> list[str]:
        return sorted({actor_id for r in resolutions for actor_id in r.includes})

    @property
    def has_claim_filter(self) -> bool:
        return bool(self.active() & CLAIM_FILTERS)

    def active(self) -> frozenset[str]:
        """The names of the filters this request sets, read from the fields themselves so
        that a filter added later is seen by every fast path's check."""
        return frozenset(
            f.name
            for f in fields(self)
            if not f.metadata.get("setting") and getattr(self, f.name) not in (None, False, ())
        )


def filter_names() -> frozenset[str]:
    return frozenset(f.name for f in fields(TimelineFilter) if not f.metadata.get("setting"))


# Filters on an event's claims (the others are on the event itself); `known_as_of` hides
# claims too, but is not a claim's property, so it is named apart where it matters.
CLAIM_FILTERS = frozenset({"claimants", "via", "sources", "documents", "hedges"})


@dataclass(frozen=True)
class Capability:
    """What a fast path can answer: requests whose active filters are all in `serves` and
    that pass `also` (a limit on counts, say). Everything else, including any filter added
    after the fast path was written, goes to the general path.

    `derived`: the path reads the derived tables, so it applies only while they match the
    data version (`TimelineFilter.fresh`)."""

    name: str
    serves: frozenset[str]
    also: Callable[[TimelineFilter], bool] = lambda f: True
    derived: bool = True

    def __post_init__(self) -> None:
        unknown = self.serves - filter_names()
        if unknown:
            raise ValueError(f"{self.name} declares unknown filters {sorted(unknown)}")

    def applies(self, f: TimelineFilter) -> bool:
        if not f.fast or (self.derived and (not f.fresh or f.spans is None)):
            return False
        return f.active() <= self.serves and self.also(f)
