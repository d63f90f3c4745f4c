"""The response cache is bounded in bytes (CLAIMLINE_RESPONSE_CACHE_MIB), least recently
used dropped first."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.api.http_cache import ENTRY_OVERHEAD, MIB, HttpCacheMiddleware, ResponseCache
from app.main import create_app

HEADERS = [(b"content-type", b"application/json")]


def _cost(key: str, body: bytes) -> int:
    return len(key) + sum(len(k) + len(v) for k, v in HEADERS) + len(body) + ENTRY_OVERHEAD


def test_entries_are_counted_by_size_and_the_oldest_go_first() -> None:
    body = b"x" * 1000
    cache = ResponseCache(max_bytes=3 * _cost("k0", body))
    for i in range(3):
        cache.put(f"k{i}", HEADERS, body)
    assert len(cache) == 3 and cache.size == 3 * _cost("k0", body)
    assert cache.get("k0") is not None  # now the most recently used
    cache.put("k3", HEADERS, body)
    assert cache.get("k1") is None  # the least recently used went
    assert [cache.get(k) is not None for k in ("k0", "k2", "k3")] == [True, True, True]
    assert cache.size <= cache.max_bytes


def test_one_large_body_pushes_out_many_small_ones() -> None:
    cache = ResponseCache(max_bytes=10_000)
    for i in range(20):
        cache.put(f"s{i}", HEADERS, b"y" * 100)
    assert len(cache) == 20
    cache.put("big", HEADERS, b"z" * 8_000)
    assert cache.get("big") is not None and len(cache) < 20
    assert cache.size <= 10_000


def test_replacing_a_key_counts_it_once_and_a_body_over_the_bound_is_not_kept() -> None:
    cache = ResponseCache(max_bytes=5_000)
    cache.put("k", HEADERS, b"a" * 1000)
    cache.put("k", HEADERS, b"b" * 2000)
    assert len(cache) == 1 and cache.size == _cost("k", b"b" * 2000)
    cache.put("huge", HEADERS, b"c" * 6_000)
    assert cache.get("huge") is None and cache.get("k") is not None


def _middleware(app: object) -> HttpCacheMiddleware:
    stack = app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(stack, HttpCacheMiddleware):
        stack = stack.app
    return stack


def test_the_setting_bounds_a_running_app(
    seeded_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a cache of a few kilobytes, responses are served from it while they fit, and
    the oldest leave as new ones come; the cache never holds more than its size."""
    monkeypatch.setenv("CLAIMLINE_RESPONSE_CACHE_MIB", str(12_000 / MIB))
    monkeypatch.setenv("CLAIMLINE_CACHE_HEADER", "true")
    with TestClient(create_app(seeded_sqlite_url, meta_ttl=3600)) as client:
        first = client.get("/events", params={"limit": 2})
        assert first.headers["claimline-cache"] == "miss"
        assert client.get("/events", params={"limit": 2}).headers["claimline-cache"] == "hit"
        cache = _middleware(client.app).cache
        assert cache is not None and cache.max_bytes == 12_000
        for limit in range(3, 12):
            assert client.get("/events", params={"limit": limit}).status_code == 200
            assert cache.size <= 12_000
        assert client.get("/events", params={"limit": 2}).headers["claimline-cache"] == "miss"


def test_zero_turns_the_cache_off_but_not_the_etags(
    seeded_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMLINE_RESPONSE_CACHE_MIB", "0")
    monkeypatch.setenv("CLAIMLINE_CACHE_HEADER", "true")
    with TestClient(create_app(seeded_sqlite_url, meta_ttl=3600)) as client:
        first = client.get("/events", params={"limit": 2})
        again = client.get("/events", params={"limit": 2})
        assert again.headers["claimline-cache"] == "miss" and _middleware(client.app).cache is None
        tagged = client.get(
            "/events", params={"limit": 2}, headers={"If-None-Match": first.headers["etag"]}
        )
        assert tagged.status_code == 304
