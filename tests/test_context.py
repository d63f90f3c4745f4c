"""Background events (`context: true` in the seeds, `"context"` in the output) and the
`context=exclude|only` filter: the curators' marks, the loader's checks, every listing that
takes /events' filters, the fast paths against the general path, the migration and the
generated data, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from app import dataset_meta, migrate
from app.cli import main
from app.db import make_engine
from app.edtf import parse_edtf
from app.loader import SeedError, load_dataset, validate_seeds
from app.main import create_app
from app.models import events_table
from tests.conftest import SEEDS_DIR, migrate_and_load
from tests.seedtools import CONTEXT_EVENTS, edit, find, read

EVENTS_002 = "events/002_dc97aa6148c96c29.yaml"


@pytest.fixture(scope="module")
def client(loaded_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(loaded_url)) as c:
        yield c


@pytest.fixture(scope="module")
def general(loaded_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(loaded_url, fast_paths=False)) as c:
        yield c


def _ids(client: TestClient, path: str = "/events", **params: Any) -> list[str]:
    response = client.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


# The seeds: the curators' judgement, and the rule that every judgement can be checked by.


def test_the_seeds_mark_the_background_events_each_with_a_reason() -> None:
    events = [e for path in sorted((SEEDS_DIR / "events").glob("*.yaml")) for e in read(path)]
    marked = {e["id"]: e for e in events if e.get("context")}
    assert set(marked) == set(CONTEXT_EVENTS)
    assert all(len(e["context_reason"].split()) >= 8 for e in marked.values())
    assert not [e["id"] for e in events if "context_reason" in e and not e.get("context")]
    # The rule's mechanical half: an interval of more than a year is a pattern or a
    # standing state, never one happening of the story.
    long = {e["id"] for e in events if _days(e["date"]) > 366}
    assert long == {"kim-pledges-to-improve-nuclear-programme", "kim-putin-summits-recent-years"}
    assert long <= set(marked)


def _days(edtf: str) -> int:
    parsed = parse_edtf(edtf)
    return (parsed.latest - parsed.earliest).days


def _set_event(seeds: Path, event_id: str, **fields: object) -> None:
    edit(seeds / EVENTS_002, lambda events: find(events, event_id).update(fields))


def _problems(seeds: Path) -> list[str]:
    with pytest.raises(SeedError) as caught:
        validate_seeds(seeds)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"context": "yes"}, "context: Input should be a valid boolean"),
        ({"context": 1}, "context: Input should be a valid boolean"),
        ({"context": None}, "context: Input should be a valid boolean"),
        (
            {"context": True, "context_reason": None},
            "context_reason: Value error, required with `context: true`",
        ),
        (
            {"context": True, "context_reason": "  "},
            "context_reason: Value error, required with `context: true`",
        ),
        (
            {"context": False},
            "context_reason: Value error, only for an event marked `context: true`",
        ),
    ],
    ids=["string", "number", "null", "no-reason", "blank-reason", "reason-without-context"],
)
def test_the_loader_names_the_file_record_and_field_of_a_bad_context(
    seeds_copy: Path, fields: dict[str, object], problem: str
) -> None:
    _set_event(seeds_copy, "kim-putin-summits-recent-years", **fields)
    found = _problems(seeds_copy)
    expected = f"seeds/{EVENTS_002}:kim-putin-summits-recent-years:{problem}"
    assert [line for line in found if line.startswith(expected)] != [], found
    assert len(found) == 1, found


def test_fix_keeps_the_context_lines_as_written(
    seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`validate --fix` writes a claim's missing offset in a document whose events are
    background; the events file, context lines and all, stays byte for byte."""
    events_before = (seeds_copy / EVENTS_002).read_bytes()
    claims = seeds_copy / "claims" / "002_dc97aa6148c96c29.yaml"
    edit(claims, lambda d: find(d["claims"], "c002-kim-putin-several-summits").pop("offset"))
    assert main(["validate", "--fix", str(seeds_copy)]) == 0
    assert "c002-kim-putin-several-summits: offset" in capsys.readouterr().out
    assert (seeds_copy / EVENTS_002).read_bytes() == events_before
    rows = validate_seeds(seeds_copy).tables["events"]
    assert {r["id"] for r in rows if r["context"]} == set(CONTEXT_EVENTS)


# The API, on both databases.


def test_context_only_lists_the_background_in_timeline_order(client: TestClient) -> None:
    response = client.get("/events", params={"context": "only", "limit": 500})
    assert [e["id"] for e in response.json()["data"]] == CONTEXT_EVENTS
    assert all(e["context"] is True for e in response.json()["data"])
    assert response.json()["filters"]["context"] == "only"


def test_context_exclude_is_the_complement_and_the_default_is_everything(
    client: TestClient,
) -> None:
    everything = client.get("/events", params={"limit": 500}).json()
    assert everything["filters"]["context"] is None
    assert len(everything["data"]) == 41
    flagged = [e["id"] for e in everything["data"] if e["context"]]
    assert flagged == CONTEXT_EVENTS
    news = _ids(client, context="exclude")
    assert news == [e["id"] for e in everything["data"] if e["id"] not in CONTEXT_EVENTS]
    assert len(news) == 35


def test_news_first_for_north_korea(client: TestClient) -> None:
    """The README's first example: North Korea's events without the background start with
    troop news, not with 2011 and 2019."""
    assert _ids(client, actor="DPRK", limit=2) == CONTEXT_EVENTS[:2]
    assert _ids(client, actor="DPRK", context="exclude", limit=2) == [
        "dprk-instructors-in-occupied-ukraine", "dprk-deployment-to-russia-2024",
    ]  # fmt: skip
    assert _ids(client, actor="DPRK", context="only") == [
        "kim-pledges-to-improve-nuclear-programme", "kim-putin-summit-vladivostok-2019",
        "kim-putin-summits-recent-years", "dprk-russia-defence-treaty-ratified",
        "west-sanctions-on-dprk-and-russia",
    ]  # fmt: skip
    assert len(_ids(client, actor="DPRK", context="exclude")) == 38 - 5


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Overlap: the 2011-2025 and 2019-2025 intervals reach into the range.
        ({"from": "2024-08", "to": "2024-12"}, [
            "kim-pledges-to-improve-nuclear-programme", "kim-putin-summits-recent-years",
            "ukr-kursk-incursion-2024-08", "dprk-russia-defence-treaty-ratified",
        ]),
        ({"from": "2024-08", "to": "2024-12", "date_match": "within"}, [
            "ukr-kursk-incursion-2024-08", "dprk-russia-defence-treaty-ratified",
        ]),
        ({"actor": "rus", "type": "summit"}, [
            "kim-putin-summit-vladivostok-2019", "kim-putin-summits-recent-years",
        ]),
        ({"claimant": "thanh-nien"}, ["ukr-kursk-incursion-2024-08"]),
        ({"known_as_of": "2024-12-31"}, ["ukr-kursk-incursion-2024-08"]),
        ({"location": "russia"}, ["kim-putin-summit-vladivostok-2019", "ukr-kursk-incursion-2024-08"]),
        ({"q": "Koursk"}, ["ukr-kursk-incursion-2024-08"]),
        ({"document": "000_d40e8277d782d5f4"}, ["ukr-kursk-incursion-2024-08"]),
    ],
    ids=["overlap", "within", "actor-type", "claimant", "known", "location", "search", "document"],
)  # fmt: skip
def test_context_only_combines_with_every_kind_of_filter(
    client: TestClient, general: TestClient, params: dict[str, str], expected: list[str]
) -> None:
    assert _ids(client, context="only", **params) == expected
    both = _ids(client, **params)
    assert _ids(client, context="exclude", **params) == [i for i in both if i not in expected]
    for context in ("only", "exclude"):
        assert _ids(general, context=context, **params) == _ids(client, context=context, **params)


def test_timeline_claims_figures_and_facets_select_alike(client: TestClient) -> None:
    timeline = client.get("/timeline", params={"context": "only"}).json()
    items = [item for group in timeline["groups"] for item in group["events"]]
    assert [i["id"] for i in items] == CONTEXT_EVENTS
    assert all(i["context"] is True for i in items)
    assert timeline["filters"]["context"] == "only"

    claims = client.get("/claims", params={"context": "only", "limit": 500}).json()["data"]
    assert [c["id"] for c in claims] == [
        "c002-kim-pledged-to-improve-nuclear", "c002-caption-kim-putin-vladivostok-2019",
        "c002-kim-putin-several-summits", "c000-ukr-troops-hold-kursk-areas-since-summer",
        "c002-ukraine-seized-kursk-territory-in-august",
        "c002-defence-agreement-ratified-november", "c002-both-heavily-sanctioned-by-west",
    ]  # fmt: skip
    assert {c["event"]["context"] for c in claims} == {True}
    news_claims = client.get("/claims", params={"context": "exclude", "limit": 500}).json()
    assert len(news_claims["data"]) == 116 - 7
    assert {c["event"]["context"] for c in news_claims["data"]} == {False}

    # No background claim states a figure: every figure is news.
    assert client.get("/figures/quantities", params={"context": "only"}).json()["data"] == []
    everything = client.get("/figures", params={"limit": 500}).json()["data"]
    news = client.get("/figures", params={"context": "exclude", "limit": 500}).json()["data"]
    assert news == everything and len(news) == 22

    facets = client.get("/events/facets", params={"context": "only"}).json()
    assert facets["total"] == 6
    assert facets["facets"]["type"] == [
        {"value": "summit", "count": 2}, {"value": "agreement", "count": 1},
        {"value": "combat", "count": 1}, {"value": "diplomatic_reaction", "count": 1},
        {"value": "statement", "count": 1},
    ]  # fmt: skip
    assert [y["value"] for y in facets["facets"]["year"]] == [f"{y}" for y in range(2011, 2026)]
    dprk = client.get("/events/facets", params={"actor": "DPRK", "context": "exclude"}).json()
    assert dprk["total"] == 33 == len(_ids(client, actor="DPRK", context="exclude"))


def test_exports_carry_and_filter_context(client: TestClient) -> None:
    csv = client.get("/events", params={"context": "only", "format": "csv"})
    header, *rows = csv.text.splitlines()
    assert header.split(",")[:3] == ["event_id", "event_type", "event_context"]
    assert {row.split(",")[0] for row in rows} == set(CONTEXT_EVENTS)
    assert {row.split(",")[2] for row in rows} == {"true"}
    assert "claimline-events-context-only.csv" in csv.headers["content-disposition"]
    geo = client.get("/events", params={"context": "only", "format": "geojson"}).json()
    assert [(f["id"], f["properties"]["context"]) for f in geo["features"]] == [
        ("kim-putin-summit-vladivostok-2019", True), ("ukr-kursk-incursion-2024-08", True),
    ]  # fmt: skip
    ndjson = client.get("/events", params={"context": "exclude", "format": "ndjson"})
    assert len(ndjson.text.splitlines()) == 35
    timeline = client.get("/timeline", params={"context": "exclude", "format": "timelinejs"})
    assert "background left out" in timeline.json()["title"]["text"]["text"]


def test_one_event_says_whether_it_is_background(client: TestClient) -> None:
    assert client.get("/events/kim-putin-summit-vladivostok-2019").json()["context"] is True
    assert client.get("/events/dprk-casualties-2024-12").json()["context"] is False


@pytest.mark.parametrize("path", ["/events", "/timeline", "/claims", "/events/facets", "/figures"])
def test_a_bad_context_value_is_a_422_naming_the_allowed_ones(
    client: TestClient, path: str
) -> None:
    response = client.get(path, params={"context": "include"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["errors"] == [{
        "name": "context", "location": "query", "reason": "Input should be 'exclude' or 'only'",
        "value": "include",
    }]  # fmt: skip


def test_the_page_filters_by_context_and_marks_the_background(client: TestClient) -> None:
    page = client.get("/ui", params={"context": "only"})
    assert page.status_code == 200
    assert page.text.count('<article class="event"') == 6
    assert page.text.count('<span class="context">background</span>') == 6
    refused = client.get("/ui", params={"context": "include"})
    assert refused.status_code == 422
    assert "context: &#39;include&#39; is not one of exclude, only" in refused.text


# The schema and the generated data.


def _context_ids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        stmt = select(events_table.c.id).where(events_table.c.context).order_by("id")
        return list(conn.execute(stmt).scalars())


def test_migration_0018_asks_for_a_load_and_a_rebuild(database_url: str) -> None:
    """Going back past 0018 and up again loses the curators' marks, which only the seeds
    hold: the upgrade leaves the data version renewed (no kept ETag confirms a body of the
    old shape), the derived tables stale and the seeds digest stale, so that `serve` loads
    the seeds again; the load puts the marks back."""
    migrate_and_load(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            before = dataset_meta.read(conn)
        migrate.downgrade(database_url, "0017")
        migrate.upgrade(database_url)
        assert _context_ids(engine) == []
        with engine.connect() as conn:
            after = dataset_meta.read(conn)
            digest = dataset_meta.seeds_digest(conn)
        assert after.version != before.version and not after.derived
        dataset = validate_seeds(SEEDS_DIR)
        assert digest != dataset.digest()
        load_dataset(engine, dataset)
        assert _context_ids(engine) == sorted(CONTEXT_EVENTS)
        with engine.connect() as conn:
            assert dataset_meta.read(conn).derived
    finally:
        engine.dispose()


def test_generated_events_of_a_whole_year_are_background(generated_engine: Engine) -> None:
    with generated_engine.connect() as conn:
        counts = dict(
            conn.execute(
                select(events_table.c.context, func.count()).group_by(events_table.c.context)
            ).all()
        )
        years = conn.execute(
            select(func.count()).where(events_table.c.date_precision == "year")
        ).scalar()
        mismatched = conn.execute(
            select(func.count()).where(
                events_table.c.context != (events_table.c.date_precision == "year")
            )
        ).scalar()
    assert counts[True] == years and counts[True] + counts[False] == 2000
    assert 50 < counts[True] < 200 and mismatched == 0
