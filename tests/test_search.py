"""`q=`: full-text search over event titles, summaries and quotes, on both databases.

The expected results come from reading every event's texts through /events and splitting
them here, independently of the indexes the service searches."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app import migrate, search
from app.main import create_app
from app.models import claims_table, event_actors_table, events_table
from bench.generate import generate
from tests.conftest import page_ids, page_rows


def _words(text: str) -> set[str]:
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )
    return set(re.findall(r"[^\W_]+", folded))


def _holds(text: str, query: list[str]) -> bool:
    words = _words(text)
    return all(
        any(w.startswith(t[:-1]) for w in words) if t.endswith("*") else t in words for t in query
    )


def _expected(events: list[dict[str, Any]], query: list[str], known: str | None) -> list[str]:
    """Ids, in timeline order, of events with one text holding every word."""
    out = []
    for event in events:
        texts = [event["title"] + " " + event["summary"]]
        texts += [c["quote"] for c in event["claims"] if known is None or c["known_from"] <= known]
        if any(_holds(t, query) for t in texts):
            out.append(event["id"])
    return out


@pytest.fixture(scope="module")
def everything(api: httpx.Client) -> list[dict[str, Any]]:
    return page_rows(api, "/events", {"limit": 500})


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("Koursk", ["koursk"]),
        ("KOURSK", ["koursk"]),
        ("coréenne", ["coreenne"]),
        ("coreenne", ["coreenne"]),
        ("Kim Jong-un", ["kim", "jong", "un"]),
        ("sud-coréen*", ["sud", "coreen*"]),
        ("soldats Koursk", ["soldats", "koursk"]),
        ("1 000", ["1", "000"]),
        # Digits joined by punctuation are words apart, as in every other text: PostgreSQL's
        # own parser read '(1950-1953)' as '1950' and '-1953', and '3.000' as one number.
        ("1953", ["1953"]),
        ("3.000", ["3", "000"]),
        ('"NEAR(troupes OR', ["near", "troupes", "or"]),  # FTS syntax is just words here
        ("zzzunknownword", ["zzzunknownword"]),
    ],
)
def test_search_finds_every_event_with_a_text_holding_every_word(
    api: httpx.Client, everything: list[dict[str, Any]], q: str, words: list[str]
) -> None:
    response = api.get("/events", params={"q": q, "limit": 500})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["filters"]["q"] == words
    assert [e["id"] for e in body["data"]] == _expected(everything, words, None)


def test_common_searches_find_something(api: httpx.Client) -> None:
    """Guards the parametrised test above against passing on empty results everywhere."""
    for q in ("Koursk", "coréenne", "sud-coréen*", "Kim Jong-un", "1 000", "1953", "3.000"):
        assert api.get("/events", params={"q": q}).json()["data"], q


def test_words_must_share_one_text(api: httpx.Client, everything: list[dict[str, Any]]) -> None:
    """An event whose title has one word and a quote the other is not a match."""
    event = next(e for e in everything if e["claims"])
    title_only = next(
        iter(_words(event["title"]) - _words(" ".join(c["quote"] for c in event["claims"])))
    )
    quote_only = next(
        iter(_words(event["claims"][0]["quote"]) - _words(event["title"] + " " + event["summary"]))
    )
    ids = page_ids(api, "/events", {"q": f"{title_only} {quote_only}", "limit": 500})
    assert event["id"] not in ids
    assert event["id"] in page_ids(api, "/events", {"q": title_only, "limit": 500})
    assert event["id"] in page_ids(api, "/events", {"q": quote_only, "limit": 500})


def test_quotes_not_yet_published_are_not_searched(
    api: httpx.Client, everything: list[dict[str, Any]]
) -> None:
    known = "2024-10-25"
    params = {"q": "Koursk", "known_as_of": known, "limit": 500}
    ids = page_ids(api, "/events", params)
    visible = {e["id"] for e in everything if any(c["known_from"] <= known for c in e["claims"])}
    assert ids == [i for i in _expected(everything, ["koursk"], known) if i in visible]
    assert ids != _expected(everything, ["koursk"], None)  # the date hid something


def test_search_combines_with_the_other_filters(
    api: httpx.Client, everything: list[dict[str, Any]]
) -> None:
    params = {"q": "troupes", "actor": "DPRK", "from": "2024-10", "limit": 3}
    ids = page_ids(api, "/events", params)
    by_filters = page_ids(api, "/events", {"actor": "DPRK", "from": "2024-10", "limit": 500})
    expected = [i for i in _expected(everything, ["troupes"], None) if i in by_filters]
    assert ids == expected and len(ids) > 3  # several pages of 3
    no_page = {k: v for k, v in params.items() if k != "limit"}
    assert api.get("/events/facets", params=no_page).json()["total"] == len(expected)
    claims = api.get("/claims", params={**no_page, "limit": 500}).json()
    assert claims["next"] is None
    assert {c["event"]["id"] for c in claims["data"]} == set(expected)


def test_claims_by_claimant_with_search(
    api: httpx.Client, everything: list[dict[str, Any]]
) -> None:
    """/claims?claimant= alone has its own plan; q must still apply to it."""
    with_q = page_ids(api, "/claims", {"claimant": "KOR", "q": "Koursk", "limit": 500})
    events = set(_expected(everything, ["koursk"], None))
    expected = [c["id"] for c in api.get("/claims", params={"claimant": "KOR", "limit": 500}).json()["data"]
                if c["event"]["id"] in events]  # fmt: skip
    assert with_q == expected
    assert len(with_q) < len(page_ids(api, "/claims", {"claimant": "KOR", "limit": 500}))


@pytest.mark.parametrize(
    ("q", "fragment"),
    [
        ("", "no words to search for"),
        ("*** ---", "no words to search for"),
        (" ".join(["mot"] * 17), "at most 16 words"),
        ("a" * 65, "at most 64 characters"),
        ("x" * 501, "at most 500 characters"),
    ],
)
def test_bad_searches_are_problems(api: httpx.Client, q: str, fragment: str) -> None:
    for path in ("/events", "/events/facets", "/claims", "/timeline"):
        response = api.get(path, params={"q": q})
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert fragment in problem["detail"] and problem["errors"][0]["name"] == "q"


def test_terms() -> None:
    assert search.terms("L'armée sud-coréenne, 10 000 soldats*") == (
        "l", "armee", "sud", "coreenne", "10", "000", "soldats*",
    )  # fmt: skip
    with pytest.raises(search.SearchError):
        search.terms("¿?")


@pytest.mark.parametrize(
    ("lo", "hi", "at_least"),
    [
        (date(2023, 1, 1), date(2024, 12, 31), 41),
        # Mid-year: the year's events (from 1 January) come first in timeline order, and
        # the reading starts with them, not a year before `from`.
        (date(2024, 6, 1), date(2024, 7, 31), 3),
    ],
)
def test_search_on_generated_data_matches_brute_force(
    engine: Engine, database_url: str, lo: date, hi: date, at_least: int
) -> None:
    """Thousands of entries, every date precision, and an actor and a window combined."""
    migrate.upgrade(database_url)
    generate(engine, 1500, seed=5)
    with engine.connect() as conn:
        rus = set(conn.execute(
            select(event_actors_table.c.event_id).where(event_actors_table.c.actor_id.like("rus%"))
        ).scalars())  # fmt: skip
        quotes: dict[str, list[str]] = {}
        for event_id, quote in conn.execute(select(claims_table.c.event_id, claims_table.c.quote)):
            quotes.setdefault(event_id, []).append(quote)
        events = conn.execute(
            select(events_table.c.id, events_table.c.date_earliest, events_table.c.date_latest)
            .order_by(events_table.c.date_earliest, events_table.c.id)
        ).all()  # fmt: skip
    expected = [
        e.id for e in events
        if e.id in rus and e.date_latest >= lo and e.date_earliest <= hi
        and any(_holds(q, ["casualties", "heavy"]) for q in quotes[e.id])
    ]  # fmt: skip
    params = {"actor": "rus", "from": lo.isoformat(), "to": hi.isoformat(),
              "q": "Casualties HEAVY", "limit": 40}  # fmt: skip
    with TestClient(create_app(database_url)) as client:
        assert page_ids(client, "/events", params) == expected
    assert len(expected) >= at_least
    assert any(e.date_earliest < lo for e in events if e.id in expected) or lo.month == 1


# Searches over the generated data (every precision, thousands of entries), paged with
# small limits so that pages and cursors fall anywhere: among one day's events, between
# precisions, before and after `from`.
# "synthetic" is in every event's title: that search is the whole timeline.
GENERATED_SEARCHES = [
    ({"q": "synthetic", "limit": 97}, 2000),
    ({"q": "heavy casualties", "limit": 9}, 800),
    ({"q": "casualties", "from": "2024-06-01", "to": "2024-07-31", "limit": 7}, 30),
    ({"q": "casualties", "from": "2024-06-01", "to": "2024-07-31", "date_match": "within",
      "limit": 7}, 18),
    ({"q": "casualt*", "actor": "rus", "to": "2023-03-31", "limit": 5}, 50),
    ({"q": "casualties", "from": "2025-02", "known_as_of": "2025-03-01", "limit": 2}, 5),
    ({"q": "synthetic", "from": "2023", "to": "2023", "type": "casualties", "limit": 11}, 35),
]  # fmt: skip


@pytest.mark.parametrize(("params", "at_least"), GENERATED_SEARCHES)
def test_search_pages_are_the_listing_filtered_by_the_words(
    generated_url: str, params: dict[str, Any], at_least: int
) -> None:
    """The same filters without `q` (a listing that reads no search index), kept where one
    of the event's texts holds every word: the same events in the same order."""
    words = list(search.terms(params["q"]))
    others = {k: v for k, v in params.items() if k not in ("q", "limit")}
    with TestClient(create_app(generated_url)) as client:
        listing = page_rows(client, "/events", {**others, "limit": 500})
        expected = _expected(listing, words, params.get("known_as_of"))
        assert page_ids(client, "/events", params) == expected
    assert len(expected) >= at_least
