"""/events/facets: every count is what the same filters plus that value select in /events."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select

from app import dataset_meta, facets, migrate
from app.actor_index import ActorIndex
from app.facets import FACETS, count_facets
from app.filters import TimelineFilter
from app.main import create_app
from app.models import claims_table, event_actors_table, events_table
from bench.generate import generate
from tests.conftest import page_ids, page_rows

REQUESTS = [
    {},
    {"actor": "DPRK"},
    {"from": "2024-10", "to": "2024-12"},
    {"from": "2024-11-01", "to": "2024-12-31", "date_match": "within"},
    {"hedge": "estimated"},
    {"known_as_of": "2024-10-25"},
    {"claimant": "KOR", "actor": "Russia"},
    {"type": "casualties", "via": "AFP"},
]
# The /events parameter that selects one value of each facet.
PARAM = {"type": "type", "actor": "actor", "claimant": "claimant"}


@pytest.mark.parametrize(
    "params", REQUESTS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "all"
)
def test_each_count_is_what_adding_the_value_selects(
    api: httpx.Client, params: dict[str, str]
) -> None:
    response = api.get("/events/facets", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    events = page_rows(api, "/events", {**params, "limit": 500})
    assert body["total"] == len(events) > 0
    assert set(body["facets"]) == {"type", "year", "actor", "claimant"}
    for facet, param in PARAM.items():
        items = body["facets"][facet]
        assert [i["count"] for i in items] == sorted((i["count"] for i in items), reverse=True)
        if param in params:
            continue  # a second value of a repeated parameter means "or", not "and"
        for item in items:
            ids = page_ids(api, "/events", {**params, param: item["value"], "limit": 500})
            assert item["count"] == len(ids) > 0, (facet, item)
            if facet != "type":
                assert item["actor"]["id"] == item["value"]
        # every value with a match is listed: the type counts partition the total
    assert sum(i["count"] for i in body["facets"]["type"]) == body["total"]
    within = params.get("date_match") == "within"
    years: Counter[str] = Counter()
    for event in events:
        first, last = (int(event["date"][k][:4]) for k in ("earliest", "latest"))
        if not within or first == last:
            years.update(f"{y:04d}" for y in range(first, last + 1))
    assert {i["value"]: i["count"] for i in body["facets"]["year"]} == years


@pytest.mark.parametrize(
    "params",
    [
        {"to": "9999-12-20"},
        {"type": "combat", "to": "9999-06-20"},
        {"actor": "DPRK", "from": "0001-01-25", "to": "9999-12-20"},
        {"actor": "DPRK", "to": "0001-01-05"},
        {"from": "9999-12-15"},
    ],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()),
)
def test_the_calendars_ends(api: httpx.Client, params: dict[str, str]) -> None:
    """Ranges ending in the first or last month of the calendar: no year before 1 or after
    9999 is looked for."""
    response = api.get("/events/facets", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == len(page_rows(api, "/events", {**params, "limit": 500}))


def test_only_the_requested_facets(api: httpx.Client) -> None:
    body = api.get("/events/facets", params={"facet": ["claimant", "type", "claimant"]}).json()
    assert list(body["facets"]) == ["claimant", "type"]
    assert body["filters"]["actor"] == []


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"facet": "outlet"}, 422, "'type', 'year', 'actor' or 'claimant'"),
        ({"limit": "5"}, 400, "unknown query parameter(s) 'limit'"),
        ({"actor": "DPRKK"}, 422, "did you mean 'dprk'"),
        ({"from": "2025", "to": "2024"}, 422, "is after"),
    ],
)
def test_bad_requests_are_problems(
    api: httpx.Client, params: dict[str, str], status: int, fragment: str
) -> None:
    response = api.get("/events/facets", params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.json()["detail"]


def test_counts_match_brute_force_on_generated_data(engine: Engine, database_url: str) -> None:
    """Generated data has every precision, so the per-precision date bounds are exercised."""
    migrate.upgrade(database_url)
    generate(engine, 2000, seed=11)
    lo, hi = date(2023, 11, 1), date(2024, 10, 31)
    with engine.connect() as conn:
        index = ActorIndex.load(conn)
        events = conn.execute(select(events_table)).all()
        involved: dict[str, set[str]] = {}
        for event_id, actor_id in conn.execute(
            select(event_actors_table.c.event_id, event_actors_table.c.actor_id)
        ):
            involved.setdefault(event_id, set()).update(index.ancestors(actor_id))
        claimed: dict[str, set[str]] = {}
        for event_id, claimant_id, hedge in conn.execute(
            select(claims_table.c.event_id, claims_table.c.claimant_id, claims_table.c.hedge)
        ):
            if hedge != "alleged":
                claimed.setdefault(event_id, set()).update(index.ancestors(claimant_id))
    matched = [
        e for e in events
        if "rus" in involved.get(e.id, set()) and e.date_latest >= lo and e.date_earliest <= hi
        and e.id in claimed
    ]  # fmt: skip
    expected_actor = Counter(a for e in matched for a in involved[e.id])
    expected_claimant = Counter(a for e in matched for a in claimed[e.id])
    params = {"actor": "rus", "from": "2023-11", "to": "2024-10",
              "hedge": [h for h in ("confirmed", "asserted", "estimated", "reported", "expected",
                                    "speculative")]}  # fmt: skip
    with TestClient(create_app(database_url)) as client:
        body = client.get("/events/facets", params=params).json()
    assert body["total"] == len(matched) > 50
    assert {i["value"]: i["count"] for i in body["facets"]["type"]} == Counter(
        e.type for e in matched
    )
    assert {i["value"]: i["count"] for i in body["facets"]["actor"]} == expected_actor
    assert {i["value"]: i["count"] for i in body["facets"]["claimant"]} == expected_claimant


# Filters for the derived paths. `running`: the total, types and years are counted by day
# from running_counts (at most one actor scope, overlapping dates, types). The actor and
# claimant counts: "day", every event's, by day; "pair", one actor scope's, of every type,
# by month from the pair series, with the range's partial months read from actor_events;
# "listed", the events are some actors' in a date range (no search, claim filter or
# knowledge time), read from the actors' actor_events rows; "aggregated", the matching
# events are selected and their facets aggregated (and so are the total, types and years).
DERIVED_CASES: list[tuple[dict[str, Any], bool, str]] = [
    ({}, True, "day"),
    ({"actor": ("rus",), "date_from": date(2024, 2, 1), "date_to": date(2024, 2, 29)}, True,
     "pair"),
    # On year boundaries, the events under way across them are counted by day.
    ({"date_from": date(2023, 1, 1), "date_to": date(2023, 12, 31)}, True, "day"),
    ({"actor": ("kor",), "date_from": date(2024, 1, 1), "date_to": date(2024, 12, 31),
      "types": ("combat", "denial")}, True, "listed"),
    # Winter seasons and 60-day ranges cross the year boundaries into 2023 and 2025.
    ({"date_from": date(2024, 1, 10), "date_to": date(2024, 12, 20)}, True, "day"),
    ({"actor": ("kor",), "date_from": date(2025, 1, 1), "date_to": date(2025, 1, 1)}, True,
     "pair"),
    ({"actor": ("ukr-army",), "date_from": date(2023, 6, 15)}, True, "pair"),
    ({"actor": ("usa",), "date_to": date(2022, 9, 30), "types": ("combat", "statement")}, True,
     "listed"),
    ({"types": ("denial",), "date_from": date(2024, 12, 1), "date_to": date(2025, 2, 1)}, True,
     "day"),
    # A sub-actor repeated beside its parent adds nothing: one scope.
    ({"actor": ("rus", "rus-army"), "date_from": date(2022, 3, 1)}, True, "pair"),
    # Partial months at both ends, and both ends in one month: the whole months' part is
    # then the events under way across the month's start.
    ({"actor": ("rus",), "date_from": date(2024, 6, 10), "date_to": date(2024, 7, 20)}, True,
     "pair"),
    ({"actor": ("dprk",), "date_from": date(2024, 3, 5), "date_to": date(2024, 3, 25)}, True,
     "pair"),
    ({"actor": ("kor-intel",), "date_to": date(2023, 2, 14)}, True, "pair"),
    # Each end moves to the nearer month boundary: here both to the later one, and below
    # `from` to the next month's first day and `to` back to the month end before it.
    ({"actor": ("rus",), "date_from": date(2023, 9, 20), "date_to": date(2023, 9, 27)}, True,
     "pair"),
    ({"actor": ("ukr",), "date_from": date(2024, 5, 28), "date_to": date(2024, 8, 3)}, True,
     "pair"),
    ({"actor": ("usa-army",), "date_from": date(2023, 4, 30)}, True, "pair"),
    ({"actor": ("usa",), "date_from": date(2024, 1, 1), "date_to": date(2024, 12, 31)}, True,
     "pair"),
    # Unrelated actors: an event of both is listed twice and counted once.
    ({"actor": ("rus", "kor-intel"), "date_from": date(2023, 6, 1)}, False, "listed"),
    ({"actor": ("rus", "ukr"), "date_from": date(2024, 1, 1), "types": ("combat",)}, False,
     "listed"),
    ({"actor": ("ukr",), "date_from": date(2024, 1, 1), "date_to": date(2024, 6, 30),
      "within": True}, False, "listed"),
    ({"actor": ("rus",), "date_from": date(2024, 1, 1), "search": ("casualties", "heavy")},
     False, "aggregated"),
    ({"actor": ("usa",), "date_from": date(2024, 1, 1), "known_as_of": date(2024, 6, 1)},
     False, "aggregated"),
    ({"date_from": date(2024, 1, 1), "known_as_of": date(2024, 6, 1)}, False, "aggregated"),
]  # fmt: skip


over_derived_cases = pytest.mark.parametrize(
    ("params", "running", "mode"), DERIVED_CASES, ids=[str(i) for i in range(len(DERIVED_CASES))]
)


def _general_and_fast(
    conn: Connection, params: dict[str, Any]
) -> tuple[ActorIndex, TimelineFilter, TimelineFilter]:
    """The case's filters for the general path, and the same with fast paths on."""
    index = ActorIndex.load(conn)
    meta = dataset_meta.read(conn)
    assert meta.derived and meta.spans is not None
    rest = {k: v for k, v in params.items() if k != "actor"}
    f = TimelineFilter(
        actors=tuple(index.resolve(a) for a in params.get("actor", ())),
        spans=tuple(sorted(meta.spans.items())),
        **rest,
    )
    return index, f, replace(f, fresh=True, fast=True)


@over_derived_cases
def test_derived_paths_count_as_the_general_path(
    generated_engine: Engine, params: dict[str, Any], running: bool, mode: str
) -> None:
    """With fresh derived tables, counts come from running_counts, from the actors'
    actor_events rows, or from the matching events rolled up through actor_ancestors;
    with fast paths off, from events and the actor index. Same counts. Which way is
    declared to serve each case is checked on the capabilities, not on the SQL."""
    with generated_engine.connect() as conn:
        index, f, fast_f = _general_and_fast(conn, params)
        assert facets.BY_DAY.applies(fast_f) == running
        assert facets.BY_PAIR.applies(fast_f) == (mode == "pair")
        assert facets.LISTED.applies(fast_f) == (mode == "listed" or (mode == "pair"))
        if mode == "day":
            assert not f.actors
        general = count_facets(conn, index, f, FACETS)
        for names in (FACETS, ("type", "year"), ("actor",), ("claimant",)):
            fast = count_facets(conn, index, fast_f, names)
            assert fast["total"] == general["total"] > 0
            assert fast["facets"] == {name: general["facets"][name] for name in names}
    # The cases with years outside the range reached by crossing events really have some.
    reached = {date(2024, 12, 20): {"2023", "2025"}, date(2023, 12, 31): {"2022", "2024"}}
    assert {i["value"] for i in general["facets"]["year"]} >= reached.get(
        params.get("date_to"), set()
    )


@over_derived_cases
def test_every_strategy_counts_as_the_aggregate(
    generated_engine: Engine, params: dict[str, Any], running: bool, mode: str
) -> None:
    """Each strategy that applies, asked alone for everything it can count, agrees with
    the plain aggregate over the general path's filters (the oracle)."""
    with generated_engine.connect() as conn:
        index, f, fast_f = _general_and_fast(conn, params)
        applied = [s for s in facets.STRATEGIES if s.applies(fast_f)]
        assert applied[-1] is facets.AGGREGATE
        assert (applied[0].capability is facets.BY_DAY) == running
        assert (len(applied) == 1) == (mode == "aggregated")
        for strategy in applied:
            gives = strategy.gives(fast_f)
            assert gives and gives <= facets.EVERYTHING
            got = strategy.count(conn, index, fast_f, gives)
            assert got == facets.AGGREGATE.count(conn, index, f, gives), type(strategy).__name__
            assert got["total"] if "total" in gives else any(got.values())
