"""The validated, resolved filters of a listing request (no HTTP types here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.actor_index import Resolution


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
    # Longest event span per precision (dataset_meta); bounds overlap scans. None: unknown.
    spans: tuple[tuple[str, int], ...] | None = None

    @staticmethod
    def ids(resolutions: tuple[Resolution, ...]) -> list[str]:
        return sorted({actor_id for r in resolutions for actor_id in r.includes})

    @property
    def has_claim_filter(self) -> bool:
        return bool(self.claimants or self.via or self.sources or self.documents or self.hedges)
