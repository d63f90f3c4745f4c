"""`claimline serve` on a fresh database, with several workers, readiness when not ready, and
seeds edited since the last load."""

from __future__ import annotations

import contextlib
import os
import ssl
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app import migrate
from app.db import make_engine
from app.main import create_app
from bench.generate import generate
from tests.conftest import free_port, migrate_and_load, running_server
from tests.seedtools import edit


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


EVENT = "dprk-troops-arrive-in-russia"  # the first event of seeds/events/shared.yaml


def _load_then_edit(url: str, seeds: Path) -> None:
    """`url` loaded from `seeds` (so recording their digest), then the seeds edited."""
    migrate_and_load(url, seeds)
    edit(seeds / "events" / "shared.yaml", lambda events: events[0].update(title="Edited"))


def _title(base: str) -> str:
    return str(httpx.get(f"{base}/events/{EVENT}").json()["title"])


def test_serve_loads_seeds_edited_since_the_last_load(
    database_url: str, seeds_copy: Path, tmp_path: Path
) -> None:
    """Before: serve loaded only into an empty database, and served the old data silently."""
    _load_then_edit(database_url, seeds_copy)
    env, log = {"CLAIMLINE_SEEDS_DIR": str(seeds_copy)}, tmp_path / "serve.log"
    with running_server(database_url, env=env, log_path=log) as base:
        assert _title(base) == "Edited"
    said = log.read_text()
    assert f"the seeds in {seeds_copy} differ from the data loaded: loading them" in said
    assert "events: 41 in seeds, 0 inserted, 1 updated, 0 removed" in said
    # Loaded, they match: the next start loads nothing.
    with running_server(database_url, env=env, log_path=log) as base:
        assert _title(base) == "Edited"
    assert "differ" not in log.read_text()


def test_check_refuses_to_start_and_none_serves_as_it_is(seeds_copy: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'own.db'}"
    _load_then_edit(url, seeds_copy)
    env = dict(os.environ, DATABASE_URL=url, CLAIMLINE_SEEDS_DIR=str(seeds_copy),
               CLAIMLINE_SERVE_SEEDS="check")  # fmt: skip
    refused = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(free_port())], env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr == (
        f"the seeds in {seeds_copy} differ from the data loaded: run `claimline load` (or set "
        "CLAIMLINE_SERVE_SEEDS=load to load them on start)\n"
    )
    env = {"CLAIMLINE_SEEDS_DIR": str(seeds_copy), "CLAIMLINE_SERVE_SEEDS": "none"}
    log = tmp_path / "serve.log"
    with running_server(url, env=env, log_path=log) as base:
        assert _title(base) != "Edited"
    assert "CLAIMLINE_SERVE_SEEDS=none: serving the database as it is" in log.read_text()


def test_generated_data_is_served_as_it_is(tmp_path: Path) -> None:
    """No seeds digest: the data was loaded by other means, which serve never replaces."""
    url = f"sqlite:///{tmp_path / 'generated.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        generate(engine, 120, seed=5)
    finally:
        engine.dispose()
    log = tmp_path / "serve.log"
    with running_server(url, log_path=log) as base:
        events = httpx.get(f"{base}/events", params={"limit": 500}).json()["data"]
        assert len(events) == 120
    assert "records no seeds it was loaded from" in log.read_text()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc (Linux)")
def test_serve_runs_on_asyncios_event_loop(seeded_sqlite_url: str) -> None:
    """uvloop served some connections hundreds of milliseconds late while the loop answered
    /events inline (docs/benchmarks.md): the server process never loads it."""
    with running_server(seeded_sqlite_url) as base:
        port = base.rsplit(":", 1)[1].encode()
        assert httpx.get(f"{base}/events", params={"actor": "DPRK"}).status_code == 200
        servers = [
            p for p in Path("/proc").iterdir()
            if p.name.isdigit() and _cmdline(p)[-4:-2] == [b"--port", port]
        ]  # fmt: skip
        assert len(servers) == 1
        maps = (servers[0] / "maps").read_text()
        assert "/asyncio/" in maps or "_asyncio" in maps
        assert "uvloop" not in maps


def _cmdline(proc: Path) -> list[bytes]:
    with contextlib.suppress(OSError):
        return (proc / "cmdline").read_bytes().split(b"\0")[:-1]
    return []
