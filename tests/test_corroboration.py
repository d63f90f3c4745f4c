"""Who corroborates an event and whether it is contested: the `support`, `contested` and
`contested_by` of each event, and the `min_claimants=` and `contested=` filters, on the
seeds and on both databases, as known on a day, and the fast paths against the general one."""

from __future__ import annotations

import io
from csv import DictReader
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, text

from app import corroboration
from app.db import make_engine
from app.main import create_app
from app.models import claim_conflicts_table, dataset_meta_table
from tests import seedtools
from tests.conftest import migrate_and_load, page_ids, page_rows

CONTESTED = [
    "dprk-deployment-to-russia-2024",
    "us-confirms-dprk-troops-in-russia",
    "us-intel-dprk-proposed-troops",
]
# Asserted by two claimants or more, in timeline order.
TWO_OR_MORE = [
    "ukr-kursk-incursion-2024-08", "dprk-deployment-to-russia-2024",
    "dprk-russia-kursk-counterattacks", "dprk-troops-arrive-in-russia",
    "dprk-expected-gains-from-russia", "dprk-troops-training-in-russia",
    "kor-considers-arming-ukraine", "kyiv-allies-see-dprk-deployment-as-escalation",
    "zelensky-urges-allies-to-deter-dprk", "deu-summons-dprk-charge-daffaires",
    "dprk-arms-deliveries-to-russia", "dprk-troops-in-russia-2024-10-23",
    "dprk-troops-may-deploy-to-ukraine-front", "russian-losses-us-estimate-2024-10",
    "us-confirms-dprk-troops-in-russia", "us-intel-dprk-proposed-troops",
    "dprk-casualties-2024-12", "dprk-additional-troops-to-russia-2025",
    "dprk-troops-back-in-combat-kursk-2025-02", "dprk-casualties-2025-02",
    "dprk-troops-kursk-performance-assessment",
]  # fmt: skip


def _event(api: httpx.Client, event_id: str, **params: Any) -> dict[str, Any]:
    (event,) = [e for e in page_rows(api, "/events", params) if e["id"] == event_id]
    return event


def test_support_counts_asserting_claimants_documents_and_outlets(api: httpx.Client) -> None:
    deployment = api.get("/events/dprk-deployment-to-russia-2024").json()
    # Eight claimants assert it; North Korea's denial and Russia's "neither confirms nor
    # denies" (and a headline's) support nothing. Outlets: the lawmakers the NIS's figures
    # came via, and the publishers of documents 000 and 002 (001 and 004 have none).
    assert deployment["support"] == {"claimants": 8, "documents": 4, "outlets": 3}
    # South Korea and Ukraine, in one Thanh Nien article, both via AFP.
    casualties = api.get("/events/dprk-casualties-2024-12").json()
    assert casualties["support"] == {"claimants": 2, "documents": 1, "outlets": 2}
    troops = api.get("/events/dprk-troops-in-russia-2024-10-23").json()
    assert troops["support"] == {"claimants": 3, "documents": 3, "outlets": 2}
    # The two Western officials' readings are denials: they leave the US claimants.
    proposed = api.get("/events/us-intel-dprk-proposed-troops").json()
    assert proposed["support"] == {"claimants": 2, "documents": 1, "outlets": 2}


def test_the_contested_events_and_why(api: httpx.Client) -> None:
    assert page_ids(api, "/events", {"contested": "true", "limit": 2}) == CONTESTED
    everything = page_ids(api, "/events", {"limit": 500})
    uncontested = page_ids(api, "/events", {"contested": "false", "limit": 7})
    assert uncontested == [i for i in everything if i not in CONTESTED]
    confirmed = api.get("/events/us-confirms-dprk-troops-in-russia").json()
    assert confirmed["contested"] is True
    assert confirmed["contested_by"] == [
        {"kind": "denial", "claim_ids": ["c004-us-has-not-confirmed-troops", claim],
         "quantity": None, "known_from": "2024-11-24"}
        for claim in ("c001-austin-evidence-dprk-troops-in-russia",
                      "c001-us-first-acknowledge-dprk-troops",
                      "c003-austin-confirms-seoul-information")
    ]  # fmt: skip
    deployment = api.get("/events/dprk-deployment-to-russia-2024").json()
    disputes = deployment["contested_by"]
    # North Korea's denial against each of the 12 assertions by others; the NIS's own
    # 10,000 then 12,000 pledged is a revision, not a dispute, and "at least 10,000" and
    # "up to 12,000" sent overlap.
    assert len(disputes) == 12
    assert {d["kind"] for d in disputes} == {"denial"}
    assert {d["claim_ids"][0] for d in disputes} == {"c000-dprk-initially-denied-sending-troops"}
    assert [d["known_from"] for d in disputes].count("2025-02-27") == 3
    # "More than 1,000" (South Korea) and "more than 3,000" (Ukraine) both hold from 3,000
    # up: two estimates side by side, not a contradiction. Nor is euronews's "thousands".
    for event_id in ("dprk-casualties-2024-12", "dprk-casualties-2025-02"):
        event = api.get(f"/events/{event_id}").json()
        assert (event["contested"], event["contested_by"]) == (False, []), event_id


def test_min_claimants(api: httpx.Client) -> None:
    assert page_ids(api, "/events", {"min_claimants": 2, "limit": 9}) == TWO_OR_MORE
    assert page_ids(api, "/events", {"min_claimants": 4}) == [
        "dprk-deployment-to-russia-2024", "dprk-expected-gains-from-russia",
        "dprk-troops-training-in-russia",
    ]  # fmt: skip
    assert page_ids(api, "/events", {"min_claimants": 1, "limit": 500}) == page_ids(
        api, "/events", {"limit": 500}
    )
    assert page_ids(api, "/events", {"min_claimants": 9}) == []
    both = page_ids(api, "/events", {"min_claimants": 3, "contested": "false"})
    assert both == [
        "dprk-troops-arrive-in-russia", "dprk-expected-gains-from-russia",
        "dprk-troops-training-in-russia", "dprk-troops-in-russia-2024-10-23",
        "dprk-troops-may-deploy-to-ukraine-front", "dprk-additional-troops-to-russia-2025",
    ]  # fmt: skip
    body = api.get("/events", params={"min_claimants": 2, "contested": "yes"}).json()
    assert (body["filters"]["min_claimants"], body["filters"]["contested"]) == (2, True)


def test_as_known_on_a_day(api: httpx.Client) -> None:
    # On 1 December 2024 North Korea's denial (24 December) was not out yet: the deployment
    # was asserted by four claimants in two documents, and no one disputed it.
    day = {"known_as_of": "2024-12-01"}
    deployment = _event(api, "dprk-deployment-to-russia-2024", **day, type="deployment")
    assert deployment["support"] == {"claimants": 4, "documents": 2, "outlets": 1}
    assert (deployment["contested"], deployment["contested_by"]) == (False, [])
    assert page_ids(api, "/events", {**day, "contested": "true"}) == [
        "us-confirms-dprk-troops-in-russia"
    ]
    assert "dprk-deployment-to-russia-2024" in page_ids(
        api, "/events", {**day, "contested": "false", "limit": 500}
    )
    # On 23 October only document 001 was out.
    assert page_ids(api, "/events", {"known_as_of": "2024-10-23", "min_claimants": 3}) == [
        "dprk-deployment-to-russia-2024", "dprk-troops-training-in-russia",
    ]  # fmt: skip
    # Austin's "role undetermined" neither confirms nor denies: Kyiv alone asserts that the
    # troops may go to the front.
    assert page_ids(api, "/events", {"known_as_of": "2024-10-23", "min_claimants": 2}) == [
        "dprk-deployment-to-russia-2024", "dprk-troops-training-in-russia",
        "kyiv-allies-see-dprk-deployment-as-escalation", "zelensky-urges-allies-to-deter-dprk",
        "deu-summons-dprk-charge-daffaires", "dprk-arms-deliveries-to-russia",
        "us-confirms-dprk-troops-in-russia",
    ]  # fmt: skip


def test_timeline_and_the_other_listings_take_them(api: httpx.Client) -> None:
    events = {e["id"]: e for e in page_rows(api, "/events", {"contested": "true"})}
    timeline = api.get("/timeline", params={"contested": "true"}).json()
    items = [item for group in timeline["groups"] for item in group["events"]]
    assert [item["id"] for item in items] == CONTESTED
    for item in items:
        for key in ("support", "contested", "contested_by"):
            assert item[key] == events[item["id"]][key], (item["id"], key)
    claims = page_rows(api, "/claims", {"contested": "true", "limit": 50})
    assert {c["event"]["id"] for c in claims} == set(CONTESTED) and len(claims) == 24
    figures = page_rows(api, "/figures", {"contested": "true"})
    assert {f["event"]["id"] for f in figures} == {"dprk-deployment-to-russia-2024"}
    assert len(figures) == 7
    facets = api.get("/events/facets", params={"min_claimants": 2, "facet": "type"}).json()
    assert facets["total"] == len(TWO_OR_MORE)
    page = api.get("/ui", params={"contested": "true"}).text
    assert all(i in page for i in CONTESTED) and "dprk-casualties-2024-12" not in page
    csv = api.get("/events", params={"contested": "true", "format": "csv"})
    rows = list(DictReader(io.StringIO(csv.text)))
    assert {(r["event_id"], r["event_claimants"], r["event_contested"]) for r in rows} == {
        ("dprk-deployment-to-russia-2024", "8", "true"),
        ("us-confirms-dprk-troops-in-russia", "2", "true"),
        ("us-intel-dprk-proposed-troops", "2", "true"),
    }


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("min_claimants", "0", "greater than or equal to 1"),
        ("min_claimants", "-2", "digits only"),
        ("min_claimants", "1001", "less than or equal to 1000"),
        ("min_claimants", "two", "digits only"),
        ("min_claimants", "1.5", "digits only"),
        ("min_claimants", "1_0", "digits only"),
        ("contested", "maybe", "use true or false"),
    ],
)
def test_bad_values_are_422(api: httpx.Client, name: str, value: str, reason: str) -> None:
    for path in ("/events", "/timeline", "/claims", "/figures", "/events/facets"):
        response = api.get(path, params={name: value})
        assert response.status_code == 422, (path, name, value)
        assert response.headers["content-type"].startswith("application/problem+json")
        (error,) = response.json()["errors"]
        assert error["name"] == name and reason in error["reason"], error
    # The page reads its links with the API's own validation.
    page = api.get("/ui", params={name: value})
    assert page.status_code == 422 and f"{name}: " in page.text


def test_fast_paths_answer_as_the_general_path(loaded_url: str) -> None:
    """The stored bodies patched for `known_as_of` recount support and disputes; the other
    fast paths decline the new filters."""
    requests: list[dict[str, str]] = [
        {"known_as_of": "2024-12-01"}, {"known_as_of": "2024-10-23", "actor": "DPRK"},
        {"known_as_of": "2024-12-01", "claimant": "KOR"}, {"contested": "true"},
        {"contested": "false", "actor": "DPRK"}, {"min_claimants": "3", "claimant": "KOR"},
        {"min_claimants": "2", "known_as_of": "2024-11-30", "actor": "kor"},
        {"contested": "true", "known_as_of": "2024-12-01", "type": "deployment"},
        {"contested": "false", "q": "troupes", "known_as_of": "2024-12-24"},
    ]  # fmt: skip
    with (
        TestClient(create_app(loaded_url)) as fast,
        TestClient(create_app(loaded_url, fast_paths=False)) as general,
    ):
        for params in requests:
            for path in ("/events", "/timeline", "/claims", "/events/facets"):
                expected = general.get(path, params=params)
                assert expected.status_code == 200, (path, params)
                assert fast.get(path, params=params).content == expected.content, (path, params)


# claim_conflicts as its definition says, in SQL: pairs of an event's claims by different
# claimants where the first denies and the second asserts, or both assert and a figure of
# the first ends below one of the second of the same quantity and unit.
_DISPUTES_BY_SQL = """
SELECT a.event_id, a.id, b.id, 'denial', '',
       CASE WHEN a.known_from > b.known_from THEN a.known_from ELSE b.known_from END
FROM claims AS a JOIN claims AS b ON b.event_id = a.event_id AND b.claimant_id <> a.claimant_id
WHERE a.stance = 'denies' AND b.stance = 'asserts'
UNION
SELECT a.event_id, a.id, b.id, 'figures', fa.quantity,
       CASE WHEN a.known_from > b.known_from THEN a.known_from ELSE b.known_from END
FROM claims AS a JOIN claims AS b ON b.event_id = a.event_id AND b.claimant_id <> a.claimant_id
JOIN figures AS fa ON fa.claim_id = a.id
JOIN figures AS fb ON fb.claim_id = b.id AND fb.quantity = fa.quantity AND fb.unit = fa.unit
WHERE a.stance = 'asserts' AND b.stance = 'asserts' AND fa.high < fb.low
"""


def _disputes(engine: Engine) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    with engine.connect() as conn:
        stored = conn.execute(select(claim_conflicts_table)).all()
        by_sql = conn.execute(text(_DISPUTES_BY_SQL)).all()
    return {tuple(map(str, r)) for r in stored}, {tuple(map(str, r)) for r in by_sql}


def test_claim_conflicts_follow_their_definition(loaded_engine: Engine) -> None:
    stored, by_sql = _disputes(loaded_engine)
    assert stored == by_sql and len(stored) == 21


def test_generated_claim_conflicts_follow_their_definition(generated_engine: Engine) -> None:
    stored, by_sql = _disputes(generated_engine)
    assert stored == by_sql and len(stored) > 100


def test_stale_disputes_are_not_read(seeded_sqlite_url: str) -> None:
    """`contested` reads a derived table: while it is stale, a 503 rather than a guess;
    `min_claimants` counts the claims themselves and still answers."""
    engine = make_engine(seeded_sqlite_url)
    with engine.begin() as conn:
        conn.execute(
            delete(dataset_meta_table).where(dataset_meta_table.c.key == "derived_version")
        )
    engine.dispose()
    with TestClient(create_app(seeded_sqlite_url)) as client:
        stale = client.get("/events", params={"contested": "true"})
        assert stale.status_code == 503 and stale.json()["type"].endswith("derived-tables-stale")
        fresh = client.get("/events", params={"min_claimants": 4})
        assert [e["id"] for e in fresh.json()["data"]] == [
            "dprk-deployment-to-russia-2024", "dprk-expected-gains-from-russia",
            "dprk-troops-training-in-russia",
        ]  # fmt: skip


def test_figures_that_do_not_meet_contest_an_event(database_url: str, seeds_copy: Path) -> None:
    """South Korea's casualty figure made exactly 1,000: Ukraine's "more than 3,000" no
    longer meets it, and the December casualties are contested from the day both were out."""

    def exactly_1000(data: Any) -> None:
        claim = seedtools.find(data["claims"], "c000-kor-over-1000-casualties")
        claim["figures"][0].update({"qualifier": "exact", "low": 1000, "high": 1000})

    seedtools.edit(seeds_copy / "claims" / "000_d40e8277d782d5f4.yaml", exactly_1000)
    url = migrate_and_load(database_url, seeds_copy)
    with TestClient(create_app(url)) as client:
        event = client.get("/events/dprk-casualties-2024-12").json()
        assert event["contested_by"] == [{
            "kind": "figures", "claim_ids": ["c000-kor-over-1000-casualties",
                                             "c000-ukr-over-3000-casualties"],
            "quantity": "troops_killed_or_wounded", "known_from": "2024-12-24",
        }]  # fmt: skip
        ids = [e["id"] for e in client.get("/events", params={"contested": "true"}).json()["data"]]
        assert ids == [*CONTESTED, "dprk-casualties-2024-12"]
        before = client.get("/events", params={"contested": "true", "known_as_of": "2024-12-23"})
        assert "dprk-casualties-2024-12" not in before.text


def _claim(claim_id: str, claimant: str, stance: str = "asserts", *figures: Any) -> Any:
    return {
        "id": claim_id, "claimant": {"id": claimant}, "stance": stance, "known_from": claim_id,
        "via": [], "document": {"id": "d", "outlet": None},
        "figures": [{"quantity": "q", "unit": u, "low": lo, "high": hi} for lo, hi, u in figures],
    }  # fmt: skip


def test_which_pairs_dispute() -> None:
    def disputes(*claims: Any) -> list[tuple[str, str, str]]:
        return [(d.kind, d.a, d.b) for d in corroboration.conflicts(claims)]

    # A null bound is open: "more than 1,000" meets "up to 2,000" and "more than 3,000",
    # which do not meet each other.
    more_than_1000 = _claim("1", "a", "asserts", (1000, None, "s"))
    up_to_2000 = _claim("2", "b", "asserts", (None, 2000, "s"))
    more_than_3000 = _claim("3", "c", "asserts", (3000, None, "s"))
    assert disputes(more_than_1000, up_to_2000) == disputes(more_than_1000, more_than_3000) == []
    assert disputes(more_than_1000, more_than_3000, up_to_2000) == [("figures", "2", "3")]
    # Ranges that touch meet; ranges apart dispute, the lower first.
    assert disputes(_claim("1", "a", "asserts", (10, 20, "s")),
                    _claim("2", "b", "asserts", (20, 30, "s"))) == []  # fmt: skip
    assert disputes(_claim("2", "b", "asserts", (21, 30, "s")),
                    _claim("1", "a", "asserts", (10, 20, "s"))) == [("figures", "1", "2")]  # fmt: skip
    # Another unit, or the same claimant revising itself: no dispute.
    assert disputes(_claim("1", "a", "asserts", (10, 10, "s")),
                    _claim("2", "b", "asserts", (90, 90, "b"))) == []  # fmt: skip
    assert disputes(_claim("1", "a", "asserts", (10, 10, "s")),
                    _claim("2", "a", "asserts", (90, 90, "s")), _claim("3", "a", "denies")) == []  # fmt: skip
    # A denial disputes another's assertion, not a "neither" nor another denial; the figures
    # of a denial are what it denies.
    assert disputes(_claim("1", "a", "denies", (1, 1, "s")), _claim("2", "b", "neither"),
                    _claim("3", "c", "denies"), _claim("4", "d", "asserts", (9, 9, "s"))) == [
        ("denial", "1", "4"), ("denial", "3", "4"),
    ]  # fmt: skip
    support = corroboration.support(
        [_claim("1", "a"), _claim("2", "a"), _claim("3", "b", "denies")]
    )
    assert support == {"claimants": 1, "documents": 1, "outlets": 0}
