"""Readers while loads swap the data between two versions: every response is a success, and
each holds one version only (its events' titles and claims all from the same one)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.db import make_engine
from app.loader import load_dataset, validate_seeds
from tests.conftest import running_server
from tests.faulttools import V2_SUFFIX, prepare

READERS = 3
LOADS = 8
# In the second version this claim is gone, from this event.
REMOVED_CLAIM = "c000-earlier-assessments-moscow-asked"
ITS_EVENT = "us-intel-dprk-proposed-troops"
PATHS = (
    "/events?limit=500",
    f"/events/{ITS_EVENT}",
    "/claims?limit=500&document=000_d40e8277d782d5f4",
)


def _version_of(path: str, body: Any) -> int:
    """0 or 1: the one version a response shows; fails on a mix."""
    if path.startswith("/claims"):
        return int(REMOVED_CLAIM not in {c["id"] for c in body["data"]})
    events = body["data"] if path.startswith("/events?") else [body]
    changed = {e["title"].endswith(V2_SUFFIX) for e in events}
    assert len(changed) == 1, f"{path}: titles of both versions"
    v2 = changed == {True}
    claims = {c["id"] for e in events if e["id"] == ITS_EVENT for c in e["claims"]}
    assert claims, f"{path}: no claims on {ITS_EVENT}"
    assert (REMOVED_CLAIM not in claims) == v2, (
        f"{path}: titles of one version, claims of the other"
    )
    return int(v2)


@pytest.mark.slow
def test_readers_see_one_version_per_response_during_loads(
    database_url: str, tmp_path: Path
) -> None:
    versions = prepare(database_url, tmp_path)
    datasets = [validate_seeds(s) for s in versions.seeds]
    stop = threading.Event()
    failures: list[str] = []
    seen: dict[int, int] = {0: 0, 1: 0}
    lock = threading.Lock()

    def read(base: str, offset: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            i = offset
            while not stop.is_set():
                path = PATHS[i % len(PATHS)]
                i += 1
                response = client.get(path)
                try:
                    assert response.status_code == 200, (
                        f"{path}: {response.status_code} {response.text[:300]}"
                    )
                    version = _version_of(path, response.json())
                except AssertionError as exc:
                    failures.append(str(exc))
                    continue
                with lock:
                    seen[version] += 1

    # No response cache, and the data version re-read on every request: each response is
    # built from the database as the load leaves it.
    env = {
        "CLAIMLINE_RESPONSE_CACHE_MIB": "0",
        "CLAIMLINE_META_TTL": "0",
        "CLAIMLINE_SERVE_SEEDS": "none",
    }
    with running_server(database_url, env=env) as base:
        readers = [threading.Thread(target=read, args=(base, n)) for n in range(READERS)]
        for thread in readers:
            thread.start()
        engine = make_engine(database_url)
        try:
            for n in range(LOADS):
                load_dataset(engine, datasets[(n + 1) % 2])
                time.sleep(0.05)
        finally:
            stop.set()
            for thread in readers:
                thread.join()
            engine.dispose()
    assert not failures, failures[:5]
    assert seen[0] and seen[1], seen
