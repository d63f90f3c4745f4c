"""`claimline serve` on a fresh database, with several workers, and readiness when not ready."""

from __future__ import annotations

import contextlib
import ssl
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from app import migrate
from app.main import create_app
from tests.conftest import running_server


# Worker processes start slowest; the quick loop serves a fresh database with one, below.
@pytest.mark.slow
def test_serve_migrates_loads_and_runs_two_workers(database_url: str) -> None:
    with running_server(database_url, "--workers", "2") as base:
        ready = httpx.get(f"{base}/readyz").json()
        assert ready == {
            "status": "ok",
            "checks": {"schema": migrate.head_revision(), "documents": 5},
        }
        for _ in range(20):
            response = httpx.get(f"{base}/events", params={"actor": "DPRK", "limit": 1})
            assert response.status_code == 200
        assert len(httpx.get(f"{base}/events", params={"limit": 500}).json()["data"]) == 41


def test_readyz_is_503_until_migrated_and_loaded(sqlite_url: str) -> None:
    with TestClient(create_app(sqlite_url)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == f"schema at None, expected {migrate.head_revision()}"
        events = client.get("/events")
        # Not migrated: the service is not ready (503, retry later), not broken (500).
        assert (events.status_code, events.json()["type"], events.headers["retry-after"]) == (
            503, "https://claimline.example/problems/not-ready", "5")  # fmt: skip
        migrate.upgrade(sqlite_url)
        response = client.get("/readyz")
        assert (response.status_code, response.json()["detail"]) == (
            503,
            "no data loaded; run `claimline load`",
        )
        assert client.get("/healthz").status_code == 200


def test_clients_hanging_up_mid_request_do_not_leak_connections(sqlite_url: str) -> None:
    """Regression: a connection closed by a dependency's teardown leaked whenever the client
    disconnected first; after ~50 such requests the pool was empty and the server hung."""

    # One SSL context for the many clients (their URLs are plain HTTP): httpx would build one
    # per client, which takes longer than the request and so spreads the requests out.
    context = ssl.create_default_context()

    def hang_up() -> None:
        with contextlib.suppress(httpx.TimeoutException):
            httpx.get(f"{base}/timeline", params={"limit": 500}, timeout=0.05, verify=context)

    # One worker thread, so that most of these requests are queued when their client leaves.
    with running_server(
        sqlite_url, env={"CLAIMLINE_THREADS": "1", "CLAIMLINE_RESPONSE_CACHE_MIB": "0"}
    ) as base:
        for _ in range(3):
            with ThreadPoolExecutor(max_workers=40) as pool:
                list(pool.map(lambda _: hang_up(), range(40)))
        time.sleep(1)
        response = httpx.get(f"{base}/events", params={"limit": 1}, timeout=10)
        assert response.status_code == 200
