"""`order=desc`: every listing newest first, paged by the same keys reversed, so that the
pages of a newest-first listing, joined, are the oldest-first listing reversed, ties and
the per-precision merges included: on the seeds and on generated data, on both databases,
with the fast paths on and off, for each filter and combinations of them. Cursors carry
their direction; a cursor of one order is refused in the other."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine

from app import dataset_meta, migrate, queries, rendered_pages
from app.actor_index import ActorIndex
from app.db import make_engine
from app.filters import TimelineFilter
from app.main import create_app
from bench.generate import generate

Params = list[tuple[str, str]]

# Filters alone and together, each selecting something on the seeds: every listing filter,
# the date window in both match modes (the per-precision merge), and the fast paths' own
# combinations (one actor, one claimant, one document, with dates and types).
SEED_FILTERS: list[Params] = [
    [],
    [("actor", "DPRK")],
    [("actor", "rus"), ("actor", "ukr")],
    [("claimant", "KOR")],
    [("claimant", "ukr"), ("claimant", "usa")],
    [("via", "AFP")],
    [("source", "NIS")],
    [("type", "deployment")],
    [("type", "casualties"), ("type", "combat")],
    [("from", "2024-10")],
    [("to", "2024-12")],
    [("from", "2024-10"), ("to", "2024-12")],
    [("from", "2024-10"), ("to", "2024-12"), ("date_match", "within")],
    [("from", "2024-11-01"), ("date_match", "within")],
    [("known_as_of", "2024-12-31")],
    [("q", "soldats")],
    [("q", "Koursk"), ("from", "2024-10")],
    [("q", "soldats"), ("to", "2024-12-31"), ("date_match", "within")],
    [("q", "sold*"), ("actor", "DPRK")],
    [("hedge", "reported")],
    [("document", "000_d40e8277d782d5f4")],
    [("location", "Kursk")],
    [("actor", "DPRK"), ("from", "2024-10"), ("to", "2025-02")],
    [("actor", "DPRK"), ("from", "2024-10-15"), ("date_match", "within")],
    [("actor", "DPRK"), ("type", "deployment")],
    [("actor", "DPRK"), ("claimant", "KOR")],
    [("actor", "DPRK"), ("known_as_of", "2024-12-31")],
    [("claimant", "KOR"), ("from", "2024-10"), ("to", "2024-12")],
    [("claimant", "KOR"), ("type", "deployment")],
    [("claimant", "KOR"), ("hedge", "reported")],
    [("claimant", "KOR"), ("known_as_of", "2024-12-31")],
    [("document", "002_dc97aa6148c96c29"), ("from", "2024-11")],
    [("source", "usa"), ("location", "Russia")],
]


def _ids(path: str, body: dict[str, Any]) -> list[str]:
    if path == "/timeline":
        return [event["id"] for group in body["groups"] for event in group["events"]]
    if path == "/figures":
        return [f"{row['claim_id']}:{row['position']}" for row in body["data"]]
    return [row["id"] for row in body["data"]]


def _pages(client: TestClient, path: str, params: Params, limit: int) -> Iterator[dict[str, Any]]:
    """Each page of the listing, following `next` (its Link), checking the link as it goes."""
    response = client.get(path, params=[*params, ("limit", str(limit))])
    while True:
        assert response.status_code == 200, (path, params, response.text)
        body = response.json()
        yield body
        if body["next"] is None:
            assert "link" not in response.headers
            return
        assert response.headers["link"] == f'<{body["next"]}>; rel="next"'
        assert ("order=desc" in body["next"]) == (("order", "desc") in params)
        response = client.get(body["next"])


def listed(client: TestClient, path: str, params: Params, limit: int) -> list[str]:
    return [i for body in _pages(client, path, params, limit) for i in _ids(path, body)]


@pytest.fixture(scope="module")
def clients(loaded_url: str) -> Iterator[dict[str, TestClient]]:
    with (
        TestClient(create_app(loaded_url)) as fast,
        TestClient(create_app(loaded_url, fast_paths=False)) as general,
    ):
        yield {"fast": fast, "general": general}


# The quick loop (`-m "not slow"`) keeps these; the full suite runs every sample.
QUICK = (0, 1, 3, 11, 15, 22, 27, 31)


def _name(params: Params) -> str:
    return "&".join(map("=".join, params)) or "-"


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(p, id=_name(p), marks=() if i in QUICK else pytest.mark.slow)
        for i, p in enumerate(SEED_FILTERS)
    ],
)
def test_newest_first_is_oldest_first_reversed(
    clients: dict[str, TestClient], params: Params
) -> None:
    """Pages of 1, 2 and 3 events newest first, fast paths on and off, join to the whole
    oldest-first selection reversed; so do /timeline's (a page of one event is one group:
    a page groups its events by date), /claims' and /figures'."""
    general = clients["general"]
    oldest = listed(general, "/events", params, 500)
    assert oldest, "each sample selects some events"
    desc = [*params, ("order", "desc")]
    for client in clients.values():
        for limit in (1, 2, 3):
            assert listed(client, "/events", desc, limit) == oldest[::-1], limit
        assert listed(client, "/timeline", desc, 1) == oldest[::-1]
        for path in ("/claims", "/figures"):
            expected = listed(general, path, params, 500)[::-1]
            assert listed(client, path, desc, 3) == expected, path


def test_explicit_asc_is_the_default(clients: dict[str, TestClient]) -> None:
    """`order=asc` answers as no `order`; an ascending cursor is as it always was: three
    elements, no direction."""
    client = clients["fast"]
    for path in ("/events", "/timeline", "/claims", "/figures"):
        plain = client.get(path, params={"actor": "DPRK", "limit": 3}).json()
        asc = client.get(path, params={"actor": "DPRK", "limit": 3, "order": "asc"}).json()
        assert {**plain, "next": None} == {**asc, "next": None}
        token = plain["next_cursor"]
        assert len(json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))) == 3


def test_the_seeds_newest_first(clients: dict[str, TestClient]) -> None:
    """Exact values: the DPRK's three newest events and the cursor's reverse step."""
    client = clients["fast"]
    first = client.get("/events", params={"actor": "DPRK", "order": "desc", "limit": 3}).json()
    oldest = listed(client, "/events", [("actor", "DPRK")], 500)
    assert [e["id"] for e in first["data"]] == oldest[:-4:-1]
    dates = [e["date"]["earliest"] for e in first["data"]]
    assert dates == sorted(dates, reverse=True)
    token = first["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    last = first["data"][-1]
    assert decoded == ["events", last["date"]["earliest"], last["id"], "desc"]


@pytest.mark.parametrize("path", ["/events", "/timeline", "/claims", "/figures"])
def test_a_cursor_keeps_its_direction(clients: dict[str, TestClient], path: str) -> None:
    for client in clients.values():
        asc = client.get(path, params={"limit": 2}).json()["next_cursor"]
        desc = client.get(path, params={"limit": 2, "order": "desc"}).json()["next_cursor"]
        for token, order, issued in ((asc, "desc", "asc"), (desc, "asc", "desc")):
            response = client.get(path, params={"cursor": token, "order": order})
            assert response.status_code == 422, (path, order)
            assert response.headers["content-type"] == "application/problem+json"
            detail = response.json()["detail"]
            assert f"issued for order={issued}" in detail and f"asks for order={order}" in detail
        # No `order` is ascending: the fast route steps aside and the general one refuses.
        refused = client.get(path, params={"cursor": desc})
        assert refused.status_code == 422 and "order=desc" in refused.json()["detail"]
        assert client.get(path, params={"cursor": desc, "order": "desc"}).status_code == 200
        assert client.get(path, params={"cursor": asc}).status_code == 200


def test_a_bad_order_lists_the_allowed_values(clients: dict[str, TestClient]) -> None:
    for path in ("/events", "/timeline", "/claims", "/figures", "/events/facets"):
        response = clients["fast"].get(path, params={"order": "newest"})
        assert response.status_code == 422, path
        assert "'asc'" in response.text and "'desc'" in response.text, response.text


def test_counts_are_the_same_in_either_order(clients: dict[str, TestClient]) -> None:
    client = clients["fast"]
    for path in ("/events/facets", "/figures/quantities"):
        for params in ({}, {"actor": "DPRK"}, {"claimant": "KOR", "from": "2024-10"}):
            plain = client.get(path, params=params)
            desc = client.get(path, params={**params, "order": "desc"})
            assert (desc.status_code, desc.content) == (200, plain.content), (path, params)


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "geojson"])
def test_exports_stream_newest_first(clients: dict[str, TestClient], fmt: str) -> None:
    """The exports page through the same queries: newest first, across their own pages
    (a `cursor` and `limit` too)."""
    client = clients["fast"]

    def ids(params: Params) -> list[str]:
        text = client.get("/events", params=[*params, ("format", fmt)]).text
        if fmt == "csv":
            found = [row["event_id"] for row in csv.DictReader(io.StringIO(text))]
        elif fmt == "ndjson":
            found = [json.loads(line)["id"] for line in text.splitlines()]
        else:
            found = [feature["id"] for feature in json.loads(text)["features"]]
        return list(dict.fromkeys(found))

    for params in ([], [("actor", "DPRK")], [("claimant", "KOR"), ("from", "2024-10")]):
        asc = ids(params)
        assert len(asc) > 1
        assert ids([*params, ("order", "desc")]) == asc[::-1]
        # Where every event is written: GeoJSON leaves out the events without a place.
        if fmt != "geojson":
            page = client.get("/events", params=[*params, ("order", "desc"), ("limit", 1)])
            cursor = page.json()["next_cursor"]
            rest = [*params, ("order", "desc"), ("cursor", cursor), ("limit", "2")]
            assert ids(rest) == asc[::-1][1:3]


GENERATED_FILTERS: list[Params] = [
    [],
    [("actor", "dprk")],
    [("actor", "dprk"), ("from", "2024-06"), ("to", "2024-09")],
    [("actor", "kor-intel"), ("from", "2023-01-01"), ("date_match", "within")],
    [("claimant", "kor")],
    [("claimant", "ukr-army"), ("from", "2024-06"), ("to", "2025")],
    [("claimant", "kor"), ("type", "combat")],
    [("from", "2024-06"), ("to", "2024-06-30")],
    [("from", "2024-01"), ("type", "statement")],
    [("q", "soldiers"), ("from", "2024-06")],
    [("q", "casualties"), ("actor", "dprk")],
    [("document", "doc-0-0000001")],
    [("hedge", "reported"), ("from", "2024")],
    [("known_as_of", "2024-06-15"), ("actor", "dprk")],
]


@pytest.mark.parametrize("params", GENERATED_FILTERS, ids=_name)
def test_newest_first_on_generated_data(generated_url: str, params: Params) -> None:
    """Thousands of events of every date precision: the merges of the per-precision scans,
    read backwards, keep every tie in reverse."""
    with (
        TestClient(create_app(generated_url)) as fast,
        TestClient(create_app(generated_url, fast_paths=False)) as general,
    ):
        oldest = listed(general, "/events", params, 500)
        assert oldest
        desc = [*params, ("order", "desc")]
        for client in (fast, general):
            assert listed(client, "/events", desc, 97) == oldest[::-1]
        claims = listed(general, "/claims", params, 500)
        assert listed(fast, "/claims", desc, 89) == claims[::-1]


@pytest.fixture(scope="module")
def generated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('order') / 'generated.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    generate(engine, 2000, seed=3)
    yield engine
    engine.dispose()


def _steps(conn: Connection, read: Callable[[], Any]) -> int:
    """SQLite's virtual-machine steps (in hundreds) that `read` costs: the rows it reads."""
    raw = conn.connection.driver_connection
    assert raw is not None
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0

    raw.set_progress_handler(tick, 100)
    try:
        read()
    finally:
        raw.set_progress_handler(None, 0)
    return count[0]


@pytest.mark.parametrize("spec", [{}, {"actor": "dprk"}, {"claimant": "kor"}], ids=str)
def test_a_deep_page_newest_first_reads_from_its_cursor(
    generated_sqlite: Engine, spec: dict[str, str]
) -> None:
    """Of several upper bounds on an index's column, SQLite's planner takes the first in
    the WHERE clause: newest first with `to`, the cursor must be it, or each page would
    read every entry from `to` down to its cursor. The page next to the oldest costs no
    more than the first, on every path (the fast statement, its general fallbacks)."""
    with generated_sqlite.connect() as conn:
        index, meta = ActorIndex.load(conn), dataset_meta.read(conn)
        assert meta.spans is not None
        f = TimelineFilter(
            actors=(index.resolve(spec["actor"]),) if "actor" in spec else (),
            claimants=(index.resolve(spec["claimant"]),) if "claimant" in spec else (),
            date_from=date(2023, 1, 1), date_to=date(2025, 12, 31), descending=True,
            spans=tuple(sorted(meta.spans.items())), fresh=meta.derived, fast=True,
        )  # fmt: skip
        oldest = queries.page_events(conn, replace(f, descending=False), 10, None)
        deep = queries.event_sort_key(oldest[-1])
        # Each path's page as event ids.
        reads: list[Callable[[TimelineFilter, tuple[date, str] | None], list[str]]] = [
            lambda f, after: [r[1] for r in rendered_pages.page(conn, f, 10, after)],
            lambda f, after: [r.id for r in queries.page_events(conn, f, 10, after)],
            lambda f, after: [
                r.id for r in queries.page_events(conn, replace(f, fast=False), 10, after)
            ],
        ]
        assert rendered_pages.PAGE.applies(f)
        for read in reads:
            assert len(read(f, None)) == 11
            assert read(f, deep) == [r.id for r in oldest[-2::-1]]
            first = _steps(conn, lambda: read(f, None))  # noqa: B023 (called at once)
            last = _steps(conn, lambda: read(f, deep))  # noqa: B023
            assert last <= first + 5, (first, last)
