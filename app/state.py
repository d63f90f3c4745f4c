"""What a running app holds: one object, built by `create_app` and opened in its lifespan,
passed to the middleware and reached by the routes through `app.state.claimline`."""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio.to_thread
from sqlalchemy import Connection, Engine, select

from app.actor_index import ActorIndex
from app.config import Settings
from app.dataset_meta import Meta, MetaCache
from app.db import make_engine
from app.models import events_table as E
from app.search import phrase_key

ECHO_CACHE_SIZE = 4096


class UnknownPlaceError(ValueError):
    def __init__(self, value: str, suggestions: list[str]) -> None:
        self.value, self.suggestions = value, suggestions
        super().__init__(value)


@dataclass
class Places:
    """The distinct location names of the events, read on the first `location=` request of
    a data version (a scan of the events, too slow for every request)."""

    names: list[str]
    keys: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = [phrase_key(name) for name in self.names]

    def check(self, value: str, key: str) -> None:
        """Raise UnknownPlaceError, with the closest names, when no event's place holds the
        words of `value` (`key`) in a row."""
        if any(key in known for known in self.keys):
            return
        lowered = {name.casefold(): name for name in self.names}
        close = difflib.get_close_matches(value.casefold(), list(lowered), n=3, cutoff=0.5)
        raise UnknownPlaceError(value, [lowered[c] for c in close])


@dataclass
class Catalog:
    """What a data version's requests resolve names against."""

    version: str
    index: ActorIndex
    places: Places | None = None


class AppState:
    def __init__(self, settings: Settings, database_url: str, meta_ttl: float,
                 fast_paths: bool) -> None:  # fmt: skip
        self.settings, self.database_url = settings, database_url
        self.meta_ttl, self.fast_paths = meta_ttl, fast_paths
        self._engine: Engine | None = None
        self._meta: MetaCache | None = None
        self._catalog: Catalog | None = None
        self._lock = threading.Lock()
        # The echoed filters' JSON, per data version and filter (app/api/fast_events.py).
        self.echoed: dict[tuple[str, object], bytes] = {}

    def open(self) -> None:
        # Few threads beat many: past a handful, sync routes only fight over the GIL and the
        # CPU.
        anyio.to_thread.current_default_thread_limiter().total_tokens = self.settings.threads
        self._engine = make_engine(self.database_url, serving=True)
        self._meta = MetaCache(self._engine, self.meta_ttl)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the app is not started (its lifespan opens the engine)")
        return self._engine

    @property
    def meta(self) -> MetaCache:
        if self._meta is None:
            raise RuntimeError("the app is not started (its lifespan opens the engine)")
        return self._meta

    def catalog(self, conn: Connection, meta: Meta) -> Catalog:
        """The actor index (and places) of this data version, loaded once per version."""
        found = self._catalog
        if found is not None and found.version == meta.version != "unversioned":
            return found
        catalog = Catalog(meta.version, ActorIndex.load(conn))
        self._catalog = catalog
        return catalog

    def places(self, conn: Connection, catalog: Catalog) -> Places:
        if catalog.places is None:
            rows = conn.execute(
                select(E.c.location_name)
                .where(E.c.location_name.is_not(None))
                .distinct()
                .order_by(E.c.location_name)
            )
            catalog.places = Places(list(rows.scalars()))
        return catalog.places

    def echo(self, key: tuple[str, object], make: Callable[[], bytes]) -> bytes:
        """The cached bytes under `key`, or `make()`'s, kept (bounded by ECHO_CACHE_SIZE)."""
        found = self.echoed.get(key)
        if found is None:
            found = make()
            with self._lock:
                if len(self.echoed) >= ECHO_CACHE_SIZE:
                    self.echoed.clear()
                self.echoed[key] = found
        return found
