"""The fast path of /events (derived tables, pre-rendered JSON) gives byte for byte what the
general path gives, on the seeds and on generated data, on both databases."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, delete, func, select, text, update

from app import dataset_meta, derived, migrate, queries, rendered_pages, search
from app.actor_index import ActorIndex
from app.assemble import build_events
from app.db import make_engine
from app.filters import TimelineFilter
from app.loader import load_dataset, validate_seeds
from app.main import create_app
from app.models import (
    actor_events_table,
    claim_conflicts_table,
    claims_table,
    dataset_meta_table,
    event_json_table,
    running_counts_table,
    search_entries_table,
)
from app.vocab import HEDGE_BITS, Hedge
from bench.generate import generate
from tests.conftest import SEEDS_DIR, recorded_statements, running_server
from tests.seedtools import edit, find

FILTERS: list[dict[str, Any]] = [
    {},
    {"actor": "dprk"},
    {"actor": "rus-army"},
    {"actor": "ukr", "from": date(2024, 10, 1), "to": date(2024, 12, 31)},
    {"actor": "rus", "from": date(2024, 6, 1), "to": date(2024, 6, 30)},
    {"actor": "rus", "from": date(2023, 12, 15), "to": date(2024, 1, 10), "within": True},
    {"from": date(2024, 6, 1), "to": date(2024, 6, 30)},
    {"from": date(2024, 11, 1)},
    {"to": date(2024, 10, 31)},
    {"from": date(2024, 1, 1), "to": date(2024, 12, 31), "within": True},
    {"actor": "kor", "from": date(2022, 1, 1), "to": date(2022, 3, 31)},
    {"claimant": "kor"},
    {"claimant": "kor", "from": date(2024, 10, 1), "to": date(2024, 12, 31)},
    {"claimant": "usa", "from": date(2024, 6, 1), "to": date(2024, 6, 30)},
    {"claimant": "rus", "from": date(2023, 12, 15), "to": date(2024, 1, 10), "within": True},
    {"claimant": "ukr", "to": date(2024, 10, 31)},
    # Types are read beside the keys of events and actor_events.
    {"actor": "dprk", "types": ("deployment", "combat")},
    {"actor": "rus", "from": date(2024, 4, 1), "to": date(2024, 6, 30), "types": ("statement",)},
    {"from": date(2024, 10, 1), "to": date(2024, 12, 31), "types": ("casualties",)},
    {
        "types": ("analysis", "statement"),
        "within": True,
        "from": date(2024, 1, 1),
        "to": date(2024, 12, 31),
    },
]
# A document's claims: read whole, several on one event.
DOCUMENT_FILTERS: list[dict[str, Any]] = [
    {"document": "002_dc97aa6148c96c29"},
    {"document": "000_d40e8277d782d5f4", "from": date(2024, 10, 1), "to": date(2024, 10, 31)},
    {"document": "004_6af0ef2c71c73676", "from": date(2024, 1, 1), "within": True},
    {"document": "002_dc97aa6148c96c29", "types": ("statement", "deployment")},
]
# A relaying outlet's events from claim_via; a source's from its claims and claim_via
# both, an event found by both kept once.
RELAYED_FILTERS: list[dict[str, Any]] = [
    {"via": "afp"},
    {"via": "nyt", "from": date(2024, 10, 1), "to": date(2024, 12, 31)},
    {"via": "kor-lawmakers", "types": ("deployment", "casualties")},
    {"source": "kor"},
    {"source": "nis", "from": date(2024, 10, 1), "within": True},
    {"source": "usa", "to": date(2024, 12, 31), "types": ("statement", "deployment")},
]
# An actor's events with a claim of a hedge: actor_events.hedge_mask, claims patched.
HEDGED_FILTERS: list[dict[str, Any]] = [
    {"actor": "dprk", "hedges": ("reported",)},
    {"actor": "rus", "from": date(2024, 10, 1), "to": date(2024, 12, 31),
     "hedges": ("estimated", "confirmed")},
    {"actor": "ukr", "hedges": ("asserted",), "types": ("casualties", "combat")},
]  # fmt: skip
# An actor's events with a claim public on `known_as_of`: actor_events.known_first, the
# claims not yet public left out of each body.
KNOWN_FILTERS: list[dict[str, Any]] = [
    {"actor": "dprk", "known_as_of": date(2024, 10, 25)},
    {"actor": "rus", "known_as_of": date(2024, 12, 31), "from": date(2024, 10, 1)},
    {"actor": "dprk", "known_as_of": date(2024, 11, 15), "types": ("casualties", "deployment"),
     "to": date(2024, 12, 31)},
]  # fmt: skip
# Events by place, with no actor: the events' own location_key.
PLACED_FILTERS: list[dict[str, Any]] = [
    {"locations": ("kursk",)},
    {"locations": ("russia", "pyongyang"), "from": date(2024, 10, 1), "to": date(2024, 12, 31)},
    {"locations": ("kursk oblast",), "types": ("deployment", "combat"), "within": True,
     "from": date(2024, 1, 1)},
]  # fmt: skip
# Types are read from the claims beside the claimant's dates (claims.event_type).
TYPED_CLAIMANT_FILTERS: list[dict[str, Any]] = [
    {"claimant": "kor", "types": ("deployment",)},
    {"claimant": "ukr", "from": date(2023, 12, 1), "to": date(2024, 12, 31),
     "types": ("deployment", "training")},
    {"claimant": "usa", "from": date(2024, 10, 1), "within": True,
     "types": ("statement", "intelligence_assessment")},
]  # fmt: skip


def _filter(conn: Connection, spec: dict[str, Any]) -> TimelineFilter:
    index = ActorIndex.load(conn)
    meta = dataset_meta.read(conn)
    assert meta.spans is not None
    actors = (index.resolve(spec["actor"]),) if "actor" in spec else ()
    claimants = (index.resolve(spec["claimant"]),) if "claimant" in spec else ()
    via = (index.resolve(spec["via"]),) if "via" in spec else ()
    sources = (index.resolve(spec["source"]),) if "source" in spec else ()
    documents = (spec["document"],) if "document" in spec else ()
    return TimelineFilter(
        actors=actors, claimants=claimants, via=via, sources=sources, documents=documents,
        date_from=spec.get("from"), date_to=spec.get("to"),
        within=spec.get("within", False), types=spec.get("types", ()),
        hedges=spec.get("hedges", ()), known_as_of=spec.get("known_as_of"),
        locations=tuple(search.phrase_key(p) for p in spec.get("locations", ())),
        descending=spec.get("descending", False), spans=tuple(sorted(meta.spans.items())), fresh=meta.derived, fast=True,
    )  # fmt: skip


def _pages_agree(conn: Connection, spec: dict[str, Any], limit: int) -> int:
    """Walk every page both ways; return the number of events seen."""
    f = _filter(conn, spec)
    assert rendered_pages.PAGE.applies(f)
    index = ActorIndex.load(conn)
    after: tuple[date, str] | None = None
    seen = 0
    while True:
        fast = rendered_pages.page(conn, f, limit, after)
        slow = queries.page_events(conn, f, limit, after)
        assert [(r[0], r[1]) for r in fast] == [(r.date_earliest, r.id) for r in slow], spec
        general = orjson.dumps(build_events(conn, index, f, slow[:limit]))
        assert b"[" + b",".join(r[2] for r in fast[:limit]) + b"]" == general, spec
        seen += len(fast[:limit])
        if len(fast) <= limit:
            return seen
        after = (fast[limit - 1][0], fast[limit - 1][1])


@pytest.fixture
def seeded(engine: Engine, seeded_url: str) -> Engine:
    """`engine`'s database holding the real seeds (on SQLite, a copy of one load)."""
    return engine


@pytest.fixture
def generated(engine: Engine, database_url: str) -> Engine:
    """A database of its own, for the tests that rebuild the derived tables or mark them
    stale; the tests that only read use conftest's module-scoped `generated_engine` (the
    same data)."""
    migrate.upgrade(database_url)
    generate(engine, 2000, seed=3)
    return engine


# Each of them newest first too (`order=desc`): every scan and merge read backwards.
SEED_SPECS = FILTERS + DOCUMENT_FILTERS + RELAYED_FILTERS + HEDGED_FILTERS + PLACED_FILTERS
SEED_SPECS += KNOWN_FILTERS + TYPED_CLAIMANT_FILTERS
SEED_SPECS += [{**spec, "descending": True} for spec in SEED_SPECS]


@pytest.mark.parametrize("spec", SEED_SPECS, ids=str)
def test_fast_path_equals_general_path_on_the_seeds(seeded: Engine, spec: dict[str, Any]) -> None:
    with seeded.connect() as conn:
        for limit in (1, 7, 50):
            seen = _pages_agree(conn, spec, limit)
            assert seen or {k: v for k, v in spec.items() if k != "descending"} in FILTERS


def test_fast_path_equals_general_path_on_generated_data(generated_engine: Engine) -> None:
    with generated_engine.connect() as conn:
        totals = [_pages_agree(conn, spec, 97) for spec in FILTERS]
        newest_first = [_pages_agree(conn, {**spec, "descending": True}, 97) for spec in FILTERS]
        assert newest_first == totals
        # A generated claimant with its sub-actors, with one type and with two.
        for types in (("statement",), ("combat", "casualties")):
            for within, descending in ((False, False), (True, False), (False, True)):
                spec = {"claimant": "kor", "types": types, "within": within,
                        "from": date(2023, 1, 1), "to": date(2024, 6, 30),
                        "descending": descending}  # fmt: skip
                assert _pages_agree(conn, spec, 23)
        # An outlet and a source with their sub-actors, each with dates and a type.
        for key, value in (("via", "afp"), ("via", "reuters"), ("source", "kor")):
            for descending in (False, True):
                spec = {key: value, "from": date(2023, 1, 1), "to": date(2024, 6, 30),
                        "descending": descending}  # fmt: skip
                assert _pages_agree(conn, spec, 23)
                assert _pages_agree(conn, {**spec, "types": ("combat", "statement")}, 11)
        # A place, with dates overlapping and within, each way.
        for within, descending in ((False, False), (True, False), (False, True)):
            spec = {"locations": ("kursk oblast",), "from": date(2023, 1, 1),
                    "to": date(2024, 6, 30), "within": within, "descending": descending}  # fmt: skip
            assert _pages_agree(conn, spec, 37)
        # An actor's events as known on two days, each way.
        for known in (date(2023, 6, 30), date(2024, 6, 15)):
            for descending in (False, True):
                spec = {"actor": "dprk", "known_as_of": known, "from": date(2023, 1, 1),
                        "to": date(2024, 6, 30), "descending": descending}  # fmt: skip
                assert _pages_agree(conn, spec, 29)
        # An actor's events of a rare hedge and of two.
        for hedges in (("speculative",), ("alleged", "confirmed")):
            for descending in (False, True):
                spec = {"actor": "dprk", "hedges": hedges, "from": date(2023, 1, 1),
                        "to": date(2024, 6, 30), "descending": descending}  # fmt: skip
                assert _pages_agree(conn, spec, 31)
        # The documents with the most claims, and one claimed on several events.
        busiest = conn.execute(
            select(claims_table.c.document_id)
            .group_by(claims_table.c.document_id)
            .order_by(func.count().desc(), claims_table.c.document_id)
            .limit(3)
        ).scalars()
        for doc in busiest:
            for limit in (1, 3):
                assert _pages_agree(conn, {"document": doc}, limit)
                assert _pages_agree(conn, {"document": doc, "descending": True}, limit)
    assert totals[0] == 2000 and all(totals), totals


def test_generator_renders_equal_the_loaders_rebuild(generated: Engine) -> None:
    """The generator renders in its producer processes and lists each event's actor_events
    rows there; derived.rebuild renders from the database through the general path. Both
    must store the same rows."""
    with generated.begin() as conn:
        bodies = {k: v for k, v in conn.execute(select(event_json_table))}
        links = {tuple(r) for r in conn.execute(select(actor_events_table))}
        running = {tuple(r) for r in conn.execute(select(running_counts_table))}
        entries = _search_entries(conn)
        disputes = {tuple(r) for r in conn.execute(select(claim_conflicts_table))}
        assert derived.rebuild(conn) == 2000
        assert {tuple(r) for r in conn.execute(select(claim_conflicts_table))} == disputes
        assert len(disputes) > 100
        assert {k: v for k, v in conn.execute(select(event_json_table))} == bodies
        assert {tuple(r) for r in conn.execute(select(actor_events_table))} == links
        assert {tuple(r) for r in conn.execute(select(running_counts_table))} == running
        assert len(running) > 2000
        assert _search_entries(conn) == entries and len(entries) > 2000
        conn.rollback()


def _actor_events_by_sql(conn: Connection) -> set[tuple[Any, ...]]:
    """actor_events as its definition says, from the normalised tables in SQL: each event
    under every ancestor of each of its actors, with its actors' and its claimants'
    ancestors, distinct and sorted by code point, its claims' first known_from and the bits
    of its claims' hedges."""
    listed = conn.execute(text(
        "SELECT DISTINCT up.ancestor_id, e.date_precision, e.date_earliest, e.id, "
        "e.date_latest, e.type FROM event_actors AS ea "
        "JOIN actor_ancestors AS up ON up.actor_id = ea.actor_id "
        "JOIN events AS e ON e.id = ea.event_id"
    )).all()  # fmt: skip
    known_first = dict(
        conn.execute(text("SELECT event_id, min(known_from) FROM claims GROUP BY event_id")).all()
    )
    hedges: dict[str, set[str]] = {}
    for event_id, hedge in conn.execute(text("SELECT event_id, hedge FROM claims")):
        hedges.setdefault(event_id, set()).add(hedge)
    ups: dict[str, dict[str, set[str]]] = {"actors": {}, "claimants": {}}
    for kind, sql in (
        ("actors", "SELECT ea.event_id, up.ancestor_id FROM event_actors AS ea "
                   "JOIN actor_ancestors AS up ON up.actor_id = ea.actor_id"),
        ("claimants", "SELECT c.event_id, up.ancestor_id FROM claims AS c "
                      "JOIN actor_ancestors AS up ON up.actor_id = c.claimant_id"),
    ):  # fmt: skip
        for event_id, ancestor_id in conn.execute(text(sql)):
            ups[kind].setdefault(event_id, set()).add(ancestor_id)
    return {
        (*(str(v) for v in row), ",".join(sorted(ups["actors"][row[3]])),
         ",".join(sorted(ups["claimants"].get(row[3], set()))), str(known_first.get(row[3])),
         str(sum(HEDGE_BITS[Hedge(h)] for h in hedges.get(row[3], ()))))
        for row in listed
    }  # fmt: skip


def _stored_actor_events(conn: Connection) -> set[tuple[Any, ...]]:
    return {tuple(str(v) for v in row) for row in conn.execute(select(actor_events_table))}


def test_actor_events_follow_their_definition_on_the_seeds(seeded: Engine) -> None:
    """derived.rebuild (the loader's path) lists actor_events in Python, as the generator's
    producers do; the SQL definition is the independent check."""
    with seeded.connect() as conn:
        expected = _actor_events_by_sql(conn)
        assert len(expected) > 20
        assert _stored_actor_events(conn) == expected


def test_actor_events_follow_their_definition_on_generated_data(generated_engine: Engine) -> None:
    with generated_engine.connect() as conn:
        expected = _actor_events_by_sql(conn)
        assert len(expected) > 4000
        assert _stored_actor_events(conn) == expected


def _search_entries(conn: Any) -> set[tuple[Any, ...]]:
    """What each search entry indexes, by event and claim (ids are just row numbers), with
    its lexemes on PostgreSQL (the generator's producers make them there)."""
    entries = search_entries_table
    return {(r.event_id, r.claim_id, r.known_from, r.tsv) for r in conn.execute(select(entries))}


def test_a_load_that_changes_data_re_renders(seeded: Engine, seeds_copy: Any) -> None:
    path = seeds_copy / "events" / "shared.yaml"
    text = path.read_text()
    title = next(line for line in text.splitlines() if line.strip().startswith("title:"))
    path.write_text(text.replace(title, title.rstrip() + " (edited Xyzzyword)", 1))
    everything = TimelineFilter(search=("xyzzyword",))
    with seeded.connect() as conn:
        assert queries.page_events(conn, everything, 10, None) == []
    load_dataset(seeded, validate_seeds(seeds_copy))
    with seeded.connect() as conn:
        assert dataset_meta.read(conn).derived
        bodies = [orjson.loads(b) for b in conn.execute(select(event_json_table.c.body)).scalars()]
        found = queries.page_events(conn, everything, 10, None)
    assert sum(e["title"].endswith(" (edited Xyzzyword)") for e in bodies) == 1
    assert [row.title for row in found] == [title.split(":", 1)[1].strip() + " (edited Xyzzyword)"]


def test_stale_derived_tables_are_not_used(seeded: Engine, database_url: str) -> None:
    """A database migrated from before the derived tables has none: the general path serves."""
    with seeded.begin() as conn:
        conn.execute(delete(event_json_table))
        conn.execute(
            update(dataset_meta_table)
            .where(dataset_meta_table.c.key == dataset_meta.DERIVED)
            .values(value="older")
        )
        assert not dataset_meta.read(conn).derived
    with TestClient(create_app(database_url)) as client:
        body = client.get("/events", params={"actor": "DPRK", "limit": 500}).json()
    assert len(body["data"]) > 20
    # and the next load rebuilds them, although the data did not change
    load_dataset(seeded, validate_seeds(SEEDS_DIR))
    with seeded.connect() as conn:
        assert dataset_meta.read(conn).derived
        assert len(conn.execute(select(event_json_table.c.event_id)).all()) == 41


URLS = [
    "/events",
    "/events?actor=DPRK",
    "/events?actor=dprk&limit=3",
    "/events?actor=Cor%C3%A9e%20du%20Nord&from=2024-10&to=2024-12-31",
    "/events?actor=ukr&from=2024-11-01&date_match=within",
    "/events?from=2024&to=2024&limit=7",
    "/events?to=2024-10-31&limit=2",
    "/events?limit=500",
    # everything below is the general route's to answer, errors included
    "/events?actor=DPRK&actor=RUS",
    "/events?actor=DPRKK",
    "/events?actor=",
    "/events?limit=0",
    "/events?limit=501",
    "/events?limit=050",
    "/events?limit=abc",
    "/events?from=2024-13",
    "/events?from=2025&to=2024",
    "/events?date_match=sideways",
    "/events?cursor=nonsense",
    "/events?claimant=KOR",
    "/events?claimant=kor&from=2024-10&to=2024-12&limit=2",
    "/events?claimant=NIS&date_match=within&from=2024",
    "/events?claimant=Cor%C3%A9e%20du%20Sud&limit=3",
    "/events?claimant=KOR&actor=DPRK",
    "/events?claimant=KOR&claimant=UKR",
    "/events?claimant=KORR",
    "/events?document=002_dc97aa6148c96c29&limit=2",
    "/events?document=000_d40e8277d782d5f4&from=2024-10&to=2024-10",
    "/events?document=000_d40e8277d782d5f4&from=2030",
    "/events?document=nope",
    "/events?document=",
    "/events?document=002_dc97aa6148c96c29&document=000_d40e8277d782d5f4",
    "/events?document=002_dc97aa6148c96c29&claimant=KOR",
    "/events?document=002_dc97aa6148c96c29&type=statement",
    "/events?claimant=KOR&type=deployment&type=statement&limit=2",
    "/events?claimant=UKR&type=casualties&from=2024-10&to=2024-12",
    "/events?via=AFP",
    "/events?via=nyt&from=2024-10&to=2024-12&limit=2",
    "/events?via=yonhap&order=desc&limit=1",
    "/events?via=AFP&via=nyt",
    "/events?via=AFP&claimant=KOR",
    "/events?source=KOR&limit=3",
    "/events?source=usa&type=statement&date_match=within&from=2024",
    "/events?source=NIS&hedge=reported",
    "/events?actor=DPRK&hedge=reported",
    "/events?actor=rus&hedge=estimated&hedge=confirmed&from=2024-10&limit=2",
    "/events?actor=ukr&hedge=asserted&order=desc&date_match=within&from=2024",
    "/events?hedge=reported",
    "/events?claimant=KOR&hedge=reported",
    "/events?actor=DPRK&hedge=rumoured",
    "/events?location=Kursk",
    "/events?location=Kursk&from=2024-10&to=2024-12&limit=2",
    "/events?location=Russia&location=Pyongyang&order=desc&limit=3",
    "/events?location=Kursk&type=deployment&date_match=within&from=2024",
    "/events?location=Kursk&actor=DPRK",
    "/events?location=%21%21",
    "/events?actor=DPRK&known_as_of=2024-10-25",
    "/events?actor=dprk&known_as_of=2024-12-31&from=2024-10&order=desc&limit=2",
    "/events?actor=DPRK&known_as_of=2024-10-25&hedge=reported",
    "/events?actor=DPRK&known_as_of=1999-01-01",
    "/events?known_as_of=2024-10-31",
    "/events?type=deployment&actor=dprk",
    "/events?actor=dprk&q=Koursk",
    "/events?q=%2A%2A%2A",
    "/events?frm=2024",
]


def _follow(client: TestClient, url: str) -> list[tuple[int, bytes, str | None, str]]:
    out = []
    while True:
        response = client.get(url)
        out.append((response.status_code, response.content, response.headers.get("link"),
                    response.headers["content-type"]))  # fmt: skip
        if response.status_code != 200 or "link" not in response.headers:
            return out
        url = response.headers["link"].split(">")[0][1:]


def test_the_fast_route_answers_exactly_as_the_fastapi_route(
    seeded: Engine, database_url: str
) -> None:
    with (
        TestClient(create_app(database_url)) as fast,
        TestClient(create_app(database_url, fast_paths=False)) as general,
    ):
        for url in URLS:
            assert _follow(fast, url) == _follow(general, url), url


def test_the_fast_route_runs_one_statement(seeded: Engine, database_url: str) -> None:
    with TestClient(create_app(database_url, meta_ttl=3600)) as client:
        engine = client.app.state.claimline.engine  # type: ignore[attr-defined]
        with recorded_statements(engine) as statements:
            # The first request after start: the fast route reads the version and loads
            # the actor index itself, then runs its one statement.
            response = client.get("/events?actor=DPRK&from=2024-10&to=2024-12&limit=4")
        assert response.status_code == 200 and len(response.json()["data"]) == 4
        page = [
            s for s in statements if "dataset_meta" not in s and not s.startswith("SELECT actor")
        ]
        assert len(page) == 1 and "event_json" in page[0], statements
        with recorded_statements(engine) as statements:
            response = client.get("/events?actor=DPRK&from=2024-10&to=2024-12&limit=5")
        assert response.status_code == 200 and len(response.json()["data"]) == 5
        assert len(statements) == 1 and "event_json" in statements[0]
        # An outlet's page reads claim_via; a source's, its claims and claim_via.
        for url in ("/events?via=nyt&limit=1", "/events?source=KOR&from=2024-10&limit=2"):
            with recorded_statements(engine) as statements:
                response = client.get(url)
            assert response.status_code == 200 and len(response.json()["data"]) >= 1, url
            assert len(statements) == 1 and "FROM claim_via" in statements[0], url


def test_the_fast_route_answers_when_the_data_version_expires_mid_request(
    seeded: Engine, database_url: str
) -> None:
    """With a TTL of 0 the data version has always expired again by the time the route
    runs; the route must use the version the HTTP-cache middleware has just read."""
    with TestClient(create_app(database_url, meta_ttl=0)) as client:
        engine = client.app.state.claimline.engine  # type: ignore[attr-defined]
        for limit in (3, 4, 5):  # each a new URL, not answered from the response cache
            with recorded_statements(engine) as statements:
                response = client.get(f"/events?actor=DPRK&from=2024-10&to=2024-12&limit={limit}")
            assert response.status_code == 200 and len(response.json()["data"]) == limit
            assert "etag" in response.headers
            page = [
                s
                for s in statements
                if "dataset_meta" not in s and not s.startswith("SELECT actor")
            ]
            assert len(page) == 1 and "event_json" in page[0], statements


def test_serve_rebuilds_stale_derived_tables(seeded: Engine, database_url: str) -> None:
    with seeded.begin() as conn:
        conn.execute(delete(event_json_table))
        conn.execute(delete(actor_events_table))
        conn.execute(
            delete(dataset_meta_table).where(dataset_meta_table.c.key == dataset_meta.DERIVED)
        )
    with running_server(database_url) as base:
        body = httpx.get(f"{base}/events", params={"actor": "DPRK", "limit": 3}).json()
    assert len(body["data"]) == 3
    with seeded.connect() as conn:
        assert dataset_meta.read(conn).derived
        assert len(conn.execute(select(event_json_table.c.event_id)).all()) == 41


# Event-level filters only: every claim matched and visible, so /events and /timeline may
# use the stored bodies (rendered_pages.stored_bodies). Several pages each, cursors included.
STORED_URLS = [
    "/events?type=statement&limit=3",
    "/events?type=deployment&type=casualties&limit=2",
    "/events?actor=DPRK&actor=RUS&limit=4",
    "/events?actor=dprk&type=deployment",
    "/events?q=soldats&limit=2",
    "/events?q=Koursk&actor=dprk",
    "/events?q=troupes&from=2024-11&to=2025-01",
    "/events?actor=rus&actor=ukr&from=2024-10&to=2024-12&date_match=within&limit=3",
    "/timeline?limit=4",
    "/timeline?q=soldats&limit=3",
    "/timeline?actor=DPRK&actor=RUS&type=statement",
]


def _stored_and_built(url: str, urls: list[str]) -> None:
    """Each URL answered from the stored bodies, then, with fast paths off, built by the
    general path: the same bytes, links and statuses."""
    with TestClient(create_app(url, meta_ttl=0)) as client:
        app_engine = client.app.state.claimline.engine  # type: ignore[attr-defined]
        with recorded_statements(app_engine) as statements:
            stored = {u: _follow(client, u) for u in urls}
        assert any("event_json" in s for s in statements)
        assert not any("figures" in s for s in statements), "built, not stored"
    with TestClient(create_app(url, fast_paths=False, meta_ttl=0)) as client:
        app_engine = client.app.state.claimline.engine  # type: ignore[attr-defined]
        with recorded_statements(app_engine) as statements:
            built = {u: _follow(client, u) for u in urls}
        assert not any("event_json" in s for s in statements)
    for u in urls:
        assert stored[u] == built[u], u
        assert all(status == 200 for status, *_ in stored[u]), u
    events = [
        e for u in urls for page in stored[u] for e in json.loads(page[1]).get("data", [])
    ] + [
        e for u in urls for page in stored[u]
        for g in json.loads(page[1]).get("groups", []) for e in g["events"]
    ]  # fmt: skip
    assert len(events) > 20


def test_stored_bodies_equal_built_events_on_the_seeds(seeded: Engine, database_url: str) -> None:
    _stored_and_built(database_url, STORED_URLS)


def test_stored_bodies_equal_built_events_on_generated_data(
    generated: Engine, database_url: str
) -> None:
    urls = [
        "/events?q=casualties&limit=40",
        "/events?q=soldiers&actor=dprk&from=2024&to=2025&limit=30",
        "/events?actor=dprk&actor=kor&type=statement&limit=60",
        "/events?type=casualties&from=2023-06&to=2023-09&date_match=within&limit=45",
        "/timeline?actor=kor&from=2025-01&to=2025-02&limit=80",
    ]
    _stored_and_built(database_url, urls)


def test_a_failing_fast_statement_is_a_problem_not_a_500(
    seeded: Engine, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """On SQLite the fast route runs its statement on the driver's cursor, where errors are
    sqlite3's own, not SQLAlchemy's: they must still hand the request to the general route.
    A table missing from a migrated database is a fault, not an outage: a 500 problem whose
    request id is in the log, with no SQL in the body."""
    with TestClient(create_app(database_url, meta_ttl=3600), raise_server_exceptions=False) as c:
        assert c.get("/events?actor=DPRK&limit=2").status_code == 200  # the version is cached
        with seeded.begin() as conn:
            conn.execute(text("DROP TABLE event_json"))
        response = c.get("/events?actor=DPRK&limit=3")
    assert response.status_code == 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/internal-error")
    assert body["request_id"] in body["detail"] and len(body["request_id"]) == 32
    assert "event_json" not in response.text and "SELECT" not in response.text
    logged = [r for r in caplog.records if body["request_id"] in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None


def test_the_echoed_filters_follow_a_reload(sqlite_url: str, seeds_copy: Path) -> None:
    """The fast route keeps each filter's echoed JSON (per data version and resolved
    filter): after a load that renames an actor, the same URL echoes the new name."""
    migrate.upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        load_dataset(engine, validate_seeds(seeds_copy))
        url = "/events?actor=DPRK&limit=2"
        with TestClient(create_app(sqlite_url, meta_ttl=0)) as client:
            client.get("/events?limit=1")  # the general route loads the actor index
            before = client.get(url).json()["filters"]["actor"][0]["actor"]["name"]
            edit(seeds_copy / "actors.yaml", lambda actors: find(actors, "dprk").update(
                name="Democratic People's Republic of Korea"
            ))  # fmt: skip
            load_dataset(engine, validate_seeds(seeds_copy))
            client.get("/events?limit=1")  # the general route loads the new actor index
            after = client.get(url).json()["filters"]["actor"][0]["actor"]["name"]
    finally:
        engine.dispose()
    assert (before, after) == ("North Korea", "Democratic People's Republic of Korea")


def _seed_bodies(engine: Engine) -> list[bytes]:
    with engine.connect() as conn:
        return [b for (b,) in conn.execute(select(event_json_table.c.body))]


def _subsets(every: list[str]) -> list[frozenset[str]]:
    """None, all, and three interleaved thirds."""
    return [frozenset(), frozenset(every)] + [frozenset(every[i::3]) for i in range(3)]


def _json_ids(ids: frozenset[str]) -> frozenset[bytes]:
    """As the bodies spell them: ids are JSON strings there."""
    return frozenset(orjson.dumps(i)[1:-1] for i in ids)


def _patches_agree(
    bodies: list[bytes],
    sets: list[frozenset[str]],
    patch: Callable[[bytes, frozenset[str]], bytes],
    parsed: Callable[[bytes, frozenset[str]], bytes],
    matches: Callable[[Any, frozenset[str]], bool],
) -> None:
    """For every body and set, the byte patch gives the bytes the parsed patch gives, and
    flags each claim as `matches` says; some body is patched with a claim left matched."""
    patched_some = False
    for chosen in sets:
        for body in bodies:
            got = patch(body, chosen)
            assert got == parsed(body, chosen)
            flags = [c["matched"] for c in orjson.loads(got)["claims"]]
            assert flags == [matches(c, chosen) for c in orjson.loads(body)["claims"]]
            patched_some |= got != body and True in flags
    assert patched_some


@pytest.mark.parametrize("key", ["claimant", "document"])
def test_matched_flags_patched_as_bytes_equal_the_parsed_patch(seeded: Engine, key: str) -> None:
    """The byte patch of a claimant's or a document's page gives the bytes the parsed patch
    gives, for every stored body and set of ids, including sets that match none or all."""
    bodies = _seed_bodies(seeded)
    every = sorted({c[key]["id"] for b in bodies for c in orjson.loads(b)["claims"]})
    _patches_agree(
        bodies, _subsets(every),
        lambda body, ids: rendered_pages._with_matched(body, _json_ids(ids), key),
        lambda body, ids: rendered_pages._with_matched_parsed(body, _json_ids(ids), key),
        lambda claim, ids: claim[key]["id"] in ids,
    )  # fmt: skip


@pytest.mark.parametrize("or_claimant", [False, True], ids=["via", "source"])
def test_relayed_matched_flags_patched_as_bytes_equal_the_parsed_patch(
    seeded: Engine, or_claimant: bool
) -> None:
    """The same for a relaying outlet's page (`via`) and a source's (claimant or outlet)."""
    bodies = _seed_bodies(seeded)
    claims = [c for b in bodies for c in orjson.loads(b)["claims"]]
    every = sorted(
        {v["id"] for c in claims for v in c["via"]} | {c["claimant"]["id"] for c in claims}
    )

    def named(claim: Any) -> set[str]:
        return {v["id"] for v in claim["via"]} | (
            {claim["claimant"]["id"]} if or_claimant else set()
        )

    _patches_agree(
        bodies, _subsets(every),
        lambda body, ids: rendered_pages._with_matched_via(body, _json_ids(ids), or_claimant),
        lambda body, ids: rendered_pages._with_matched_via_parsed(
            body, _json_ids(ids), or_claimant
        ),
        lambda claim, ids: bool(named(claim) & ids),
    )  # fmt: skip


def test_hedge_matched_flags_patched_as_bytes_equal_the_parsed_patch(seeded: Engine) -> None:
    """The same for an actor's page under `hedge`."""

    def encoded(hedges: frozenset[str]) -> frozenset[bytes]:
        return frozenset(h.encode() for h in hedges)

    _patches_agree(
        _seed_bodies(seeded), _subsets(sorted(Hedge)),
        lambda body, hedges: rendered_pages._with_matched_hedge(body, encoded(hedges)),
        lambda body, hedges: rendered_pages._with_matched_hedge_parsed(body, encoded(hedges)),
        lambda claim, hedges: claim["hedge"] in hedges,
    )  # fmt: skip


def test_bodies_as_known_on_a_day_equal_the_general_patch(seeded: Engine) -> None:
    """The fast route's `known_as_of` bodies equal stored_bodies' patch (the claims public
    on the day, matched, support and disputes counted again) on every seed body and on
    days before, within and after the corpus; bodies with nothing hidden are kept as is."""
    bodies = _seed_bodies(seeded)
    kept = cut = 0
    for day in ("2024-01-01", "2024-10-25", "2024-12-20", "2030-01-01"):
        for body in bodies:
            claims = orjson.loads(body)["claims"]
            shown = {c["id"]: True for c in claims if c["known_from"] <= day}
            got = rendered_pages._as_known(body, day.encode())
            assert got == rendered_pages._patched(body, shown, True)
            kept += got is body
            cut += len(shown) < len(claims)
    assert kept and cut
