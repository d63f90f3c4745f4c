"""ETags, 304s and the response cache, keyed by the data version."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.db import make_engine
from app.loader import load_dataset, validate_seeds
from app.main import create_app
from tests.conftest import recorded_statements
from tests.seedtools import edit


def test_conditional_get_through_real_server(api: httpx.Client) -> None:
    first = api.get("/events", params={"actor": "DPRK", "limit": 3})
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    again = api.get(
        "/events", params={"actor": "DPRK", "limit": 3}, headers={"If-None-Match": etag}
    )
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    other = api.get("/events", params={"actor": "DPRK", "limit": 4})
    assert other.headers["etag"] != etag
    cached = api.get("/events", params={"actor": "DPRK", "limit": 3})
    assert cached.content == first.content
    # Whether the cache answered is no client's business unless CLAIMLINE_CACHE_HEADER says so.
    assert not {"x-cache", "claimline-cache"} & set(cached.headers)
    # Errors are neither tagged nor cached.
    bad = api.get("/events", params={"actor": "DPRKK"})
    assert bad.status_code == 422 and "etag" not in bad.headers


def test_304_and_cache_hits_run_no_sql_and_a_load_changes_the_etag(
    seeded_sqlite_url: str, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMLINE_CACHE_HEADER", "true")
    engine = make_engine(seeded_sqlite_url)
    with TestClient(create_app(seeded_sqlite_url, meta_ttl=3600)) as client:
        app_engine = client.app.state.claimline.engine  # type: ignore[attr-defined]
        with recorded_statements(app_engine) as statements:
            first = client.get("/events/dprk-casualties-2024-12")
            assert first.headers["claimline-cache"] == "miss" and statements
            statements.clear()
            etag = first.headers["etag"]
            again = client.get("/events/dprk-casualties-2024-12", headers={"If-None-Match": etag})
            assert again.status_code == 304
            assert client.get("/events/dprk-casualties-2024-12").headers["claimline-cache"] == "hit"
            assert statements == []
    # A load that changes the data changes the version, so every ETag and cache key.
    edit(seeds_copy / "events" / "shared.yaml", lambda events: events[0].update(title="Changed"))
    load_dataset(engine, validate_seeds(seeds_copy))
    with TestClient(create_app(seeded_sqlite_url, meta_ttl=60)) as client:
        response = client.get(
            "/events/dprk-casualties-2024-12", headers={"If-None-Match": first.headers["etag"]}
        )
        assert response.status_code == 200 and response.headers["etag"] != first.headers["etag"]
    engine.dispose()


def test_an_expired_version_is_reread_once_in_the_background(
    seeded_sqlite_url: str, seeds_copy: Path
) -> None:
    """Past the TTL (and within twice it) a request goes on with the version it had while
    one re-read runs in a thread; the next requests then see a new load's ETag. Past twice
    the TTL, a request waits for the re-read."""
    ttl = 0.5
    engine = make_engine(seeded_sqlite_url)
    url = "/events/dprk-casualties-2024-12"
    now = [0.0]  # a stepped clock: a slow load on a busy machine must not age the version
    with TestClient(create_app(seeded_sqlite_url, meta_ttl=ttl)) as client:
        app_engine = client.app.state.claimline.engine  # type: ignore[attr-defined]
        meta = client.app.state.claimline.meta  # type: ignore[attr-defined]
        meta.clock = lambda: now[0]
        old = client.get(url).headers["etag"]
        edit(seeds_copy / "events" / "shared.yaml", lambda events: events[0].update(title="New"))
        load_dataset(engine, validate_seeds(seeds_copy))
        assert client.get(url).headers["etag"] == old  # within the TTL
        now[0] += ttl * 1.2
        with recorded_statements(app_engine) as statements:
            stale = client.get(url, headers={"If-None-Match": old})
            # Answered from the version it had: a 304, with no statement of its own.
            assert stale.status_code == 304
            deadline = time.monotonic() + 5
            while meta.peek() is None and time.monotonic() < deadline:
                time.sleep(0.01)
        assert any("dataset_meta" in s for s in statements)  # the background re-read
        new = client.get(url, headers={"If-None-Match": old})
        assert new.status_code == 200 and new.headers["etag"] != old
        now[0] += ttl * 2.2
        assert meta.recent() is None and meta.peek() is None
        with recorded_statements(app_engine) as statements:
            assert (
                client.get(url, headers={"If-None-Match": new.headers["etag"]}).status_code == 304
            )
        assert any("dataset_meta" in s for s in statements)  # read before answering
    engine.dispose()
