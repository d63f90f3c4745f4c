"""The export formats of the listings, each read back by a real parser of its format (the
csv module and pandas, json, geojson, feedparser), on both databases, with exact rows for a
few filters. tests/test_formats_cache.py has the representation/cache interplay,
tests/test_formats_timelinejs.py TimelineJS3 itself."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import feedparser
import geojson
import httpx
import pandas as pd
import pytest

from app.api.formats import Format, from_accept
from app.api.formats.csv import COLUMNS, neutralise, rows
from tests.conftest import page_rows
from tests.stamptools import fixed_text

CASUALTIES = [
    # event, claim, claimant, figure position, quantity, low, high, qualifier
    ("russian-losses-us-estimate-2024-10", "c003-kirby-about-1200-casualties-a-day", "john-kirby", "1", "russian_casualties_per_day", "1200", "1200", "about"),
    ("russian-losses-us-estimate-2024-10", "c003-us-russia-lost-about-530000", "usa", "1", "russian_losses_total", "530000", "530000", "about"),
    ("dprk-casualties-2024-12", "c000-kor-over-1000-casualties", "kor", "1", "troops_killed_or_wounded", "1000", "", "more_than"),
    ("dprk-casualties-2024-12", "c000-ukr-over-3000-casualties", "ukr", "1", "troops_killed_or_wounded", "3000", "", "more_than"),
    ("dprk-casualties-2025-02", "c002-kor-first-wave-heavy-casualties", "kor", "", "", "", "", ""),
    ("dprk-casualties-2025-02", "c002-standfirst-thousands-killed-or-wounded", "euronews", "1", "troops_killed_or_wounded", "1000", "", "vague"),
    ("dprk-casualties-2025-02", "c002-thousands-killed-or-wounded-in-kursk", "euronews", "1", "troops_killed_or_wounded", "1000", "", "vague"),
]  # fmt: skip
KEYS = ("event_id", "claim_id", "claimant_id", "figure_position", "figure_quantity",
        "figure_low", "figure_high", "figure_qualifier")  # fmt: skip


def _csv(api: httpx.Client, params: dict[str, Any]) -> tuple[httpx.Response, list[dict[str, str]]]:
    response = api.get("/events", params={**params, "format": "csv"})
    assert response.status_code == 200, response.text
    return response, list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_csv_rows_of_the_casualty_events(api: httpx.Client) -> None:
    response, parsed = _csv(api, {"type": "casualties"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8; header=present"
    assert response.headers["content-disposition"] == (
        'attachment; filename="claimline-events-type-casualties.csv"'
    )
    assert [tuple(row[k] for k in KEYS) for row in parsed] == CASUALTIES
    assert list(parsed[0]) == list(COLUMNS)
    # Actors and relaying outlets: ids and names, `;`-joined, in the same order.
    event = api.get("/events/dprk-casualties-2024-12").json()
    kor = next(row for row in parsed if row["claim_id"] == "c000-kor-over-1000-casualties")
    assert kor["event_actor_ids"] == ";".join(a["id"] for a in event["actors"]) == "dprk-army"
    assert kor["event_actor_names"] == "Korean People's Army"
    claim = next(c for c in event["claims"] if c["id"] == kor["claim_id"])
    assert kor["via_ids"] == ";".join(v["id"] for v in claim["via"])
    assert kor["via_names"] == ";".join(v["name"] for v in claim["via"])
    assert kor["quote"] == claim["quote"] and kor["known_from"] == "2024-12-24"
    assert (kor["event_location"], kor["event_lat"], kor["event_lon"]) == ("Russia", "", "")


def test_csv_reads_into_pandas(api: httpx.Client) -> None:
    response, _ = _csv(api, {"type": "casualties"})
    frame = pd.read_csv(io.BytesIO(response.content), encoding="utf-8")
    assert frame.columns.tolist() == list(COLUMNS)
    assert frame.shape == (7, len(COLUMNS))
    lows = frame["figure_low"].tolist()
    assert lows[:4] == [1200, 530000, 1000, 3000] and pd.isna(lows[4]) and lows[5:] == [1000, 1000]
    by_claimant = frame.groupby("claimant_id")["figure_low"].max().to_dict()
    assert by_claimant["ukr"] == 3000 and by_claimant["kor"] == 1000


def test_csv_under_a_claim_filter_marks_the_matching_claims(api: httpx.Client) -> None:
    _, parsed = _csv(api, {"claimant": "KOR", "from": "2024-10", "to": "2024-10"})
    assert len(parsed) == 40
    assert sorted({row["event_id"] for row in parsed}) == [
        "dprk-deployment-to-russia-2024", "dprk-expected-gains-from-russia",
        "dprk-troops-arrive-in-russia", "dprk-troops-in-russia-2024-10-23",
        "dprk-troops-temporary-withdrawal-from-front", "dprk-troops-training-in-russia",
        "nis-indicators-of-dprk-deployment",
    ]  # fmt: skip
    matched = {row["claimant_id"] for row in parsed if row["matched"] == "true"}
    unmatched = {row["claimant_id"] for row in parsed if row["matched"] == "false"}
    assert matched == {"kor", "kor-nis", "kor-officials"}
    assert not matched & unmatched and "ukr" in unmatched


def test_csv_cells_cannot_run_as_formulas() -> None:
    """OWASP: a text cell starting with = + - @ tab or CR gets a leading quote; numbers
    stay numbers."""
    event: dict[str, Any] = {
        "id": "e", "type": "statement", "context": True, "title": "=HYPERLINK(\"http://x\")",
        "summary": "+1",
        "date": {"edtf": "2024", "earliest": "2024-01-01", "latest": "2024-12-31",
                 "precision": "year"},
        "location": {"name": "@place", "lat": -12.5, "lon": -3.0},
        "actors": [{"id": "a", "name": "-minus"}],
        "support": {"claimants": 1, "documents": 1, "outlets": 0}, "contested": False,
        "claims": [{
            "id": "c", "claimant": {"id": "a", "name": "\tTab"}, "via": [],
            "document": {"id": "d", "title": "\rCR", "url": None}, "known_from": "2024-01-02",
            "claimed_on": None, "stance": "affirms", "hedge": "asserted", "matched": True,
            "quote": "=1+2", "note": None,
            "figures": [{"quantity": "troops_sent", "low": 5, "high": None,
                         "qualifier": "at_least", "unit": "people", "text": "-5"}],
        }],
    }  # fmt: skip
    out = io.StringIO()
    csv.writer(out).writerows(rows(event))
    (row,) = csv.DictReader(io.StringIO(out.getvalue()), fieldnames=COLUMNS)
    assert (row["event_context"], row["event_title"]) == ("true", '\'=HYPERLINK("http://x")')
    assert (row["event_summary"], row["event_location"]) == ("'+1", "'@place")
    assert (row["event_actor_names"], row["claimant_name"]) == ("'-minus", "'\tTab")
    assert (row["document_title"], row["quote"], row["figure_text"]) == ("'\rCR", "'=1+2", "'-5")
    assert (row["event_lat"], row["event_lon"], row["figure_low"]) == ("-12.5", "-3.0", "5")
    assert (row["event_claimants"], row["event_contested"]) == ("1", "false")
    assert neutralise("Kursk") == "Kursk"


def test_ndjson_is_the_events_one_a_line(api: httpx.Client) -> None:
    params = {"actor": "DPRK", "from": "2024-10"}
    response = api.get("/events", params={**params, "format": "ndjson"})
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = response.content.split(b"\n")
    assert lines[-1] == b""
    events = [json.loads(line) for line in lines[:-1]]
    # Every page of the JSON listing, event for event.
    assert events == page_rows(api, "/events", {**params, "limit": 7})
    assert len(events) > 7
    # Accept asks for the same bytes.
    by_accept = api.get("/events", params=params, headers={"Accept": "application/x-ndjson"})
    assert by_accept.content == response.content


def test_ndjson_takes_cursor_and_limit(api: httpx.Client) -> None:
    first = api.get("/events", params={"type": "statement", "limit": 3}).json()
    later = api.get("/events", params={"type": "statement", "limit": 4, "format": "ndjson",
                                       "cursor": first["next_cursor"]})  # fmt: skip
    second = api.get("/events", params={"type": "statement", "limit": 4,
                                        "cursor": first["next_cursor"]}).json()  # fmt: skip
    assert [json.loads(line) for line in later.text.splitlines()] == second["data"]


def test_geojson_is_valid_and_places_the_events(api: httpx.Client) -> None:
    response = api.get("/events", params={"actor": "DPRK", "format": "geojson"})
    assert response.headers["content-type"] == "application/geo+json"
    collection = geojson.loads(response.text)
    assert isinstance(collection, geojson.FeatureCollection) and collection.is_valid
    events = page_rows(api, "/events", {"actor": "DPRK", "limit": 500})
    placed = [e for e in events if e["location"] is not None]
    assert [f["id"] for f in collection["features"]] == [e["id"] for e in placed]
    assert len(placed) < len(events)  # events with no place are left out
    by_id = {f["id"]: f for f in collection["features"]}
    # RFC 7946 order: longitude first.
    assert by_id["kim-putin-summit-vladivostok-2019"]["geometry"] == {
        "type": "Point", "coordinates": [131.89, 43.12]
    }  # fmt: skip
    assert by_id["dprk-casualties-2025-02"]["geometry"]["coordinates"] == [36.2, 51.7]
    # A country has no point: its events are there, unplaced.
    assert by_id["dprk-casualties-2024-12"]["geometry"] is None
    assert by_id["dprk-casualties-2024-12"]["properties"]["place"] == "Russia"
    # Properties: /timeline's compact view of the event.
    timeline = api.get("/timeline", params={"actor": "DPRK", "limit": 500}).json()
    items = {item["id"]: item for g in timeline["groups"] for item in g["events"]}
    for feature in collection["features"]:
        properties = dict(feature["properties"])
        assert properties.pop("place") == next(
            e["location"]["name"] for e in placed if e["id"] == feature["id"]
        )
        assert properties == items[feature["id"]]


def test_timelinejs_dates_follow_their_precision(api: httpx.Client) -> None:
    response = api.get("/timeline", params={"format": "timelinejs"})
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["title"]["unique_id"] == "claimline-title"
    assert body["title"]["text"]["text"] == "<p>Selection: all events</p>"
    slides = {s["unique_id"]: s for s in body["events"]}
    assert len(slides) == len(body["events"]) == len(page_rows(api, "/events", {"limit": 500}))

    def dates(event_id: str) -> tuple[Any, ...]:
        s = slides[event_id]
        return s["start_date"], s.get("end_date"), s["display_date"]

    assert dates("dprk-casualties-2024-12") == (
        {"year": 2024, "month": 12, "day": 24},
        None,
        "24 December 2024",
    )
    assert dates("ukr-kursk-incursion-2024-08") == ({"year": 2024, "month": 8}, None, "August 2024")
    assert dates("kor-considers-arming-ukraine") == (
        {"year": 2024, "month": 10},
        None,
        "about October 2024",
    )
    assert dates("dprk-troops-arrive-in-russia") == (
        {"year": 2024, "month": 9},
        {"year": 2024, "month": 11},
        "Autumn 2024 (some time from 2024-09-01 to 2024-11-30)",
    )
    assert dates("dprk-deployment-to-russia-2024") == (
        {"year": 2024, "month": 9},
        {"year": 2024, "month": 12},
        "September 2024 \u2013 December 2024 (some time from 2024-09-01 to 2024-12-31)",
    )
    assert dates("kim-putin-summit-vladivostok-2019")[1] is None  # fmt: skip
    casualties = slides["dprk-casualties-2024-12"]
    assert casualties["group"] == "casualties"
    text = casualties["text"]["text"]
    assert "<strong>South Korea</strong>" in text and "plus de 1 000" in text
    # Every quote, claimant and summary is escaped: no raw apostrophe or angle bracket
    # comes from the data.
    every = [s["text"]["text"] for s in body["events"]]
    assert any("&#x27;" in t for t in every)
    assert not any("'" in t for t in every)


def test_timelinejs_title_says_the_filters(api: httpx.Client) -> None:
    body = api.get("/timeline", params={"format": "timelinejs", "actor": "Corée du Nord",
                                        "type": "casualties", "from": "2024-12"}).json()  # fmt: skip
    assert body["title"]["text"]["text"] == (
        "<p>Selection: actor North Korea; type casualties; from 2024-12-01</p>"
    )
    assert [s["unique_id"] for s in body["events"]] == [
        "dprk-casualties-2024-12", "dprk-casualties-2025-02"
    ]  # fmt: skip
    placed = api.get("/timeline", params={"format": "timelinejs", "location": "kursk",
                                          "known_as_of": "2024-12-31"}).json()  # fmt: skip
    assert placed["title"]["text"]["text"] == (
        "<p>Selection: location kursk; as known on 2024-12-31</p>"
    )


def test_atom_feed_newest_known_first(api: httpx.Client) -> None:
    response = api.get("/events.atom", params={"actor": "DPRK", "type": "casualties"})
    assert response.headers["content-type"] == "application/atom+xml"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "Claimline: actor North Korea; type casualties"
    base = str(api.base_url).rstrip("/")
    assert [e.id for e in feed.entries] == [
        f"{base}/events/dprk-casualties-2025-02", f"{base}/events/dprk-casualties-2024-12"
    ]  # fmt: skip
    assert [e.updated for e in feed.entries] == [
        "2025-02-27T00:00:00+00:00", "2024-12-24T00:00:00+00:00"
    ]  # fmt: skip
    links = {(link.rel, link.href) for link in feed.entries[1].links}
    assert ("alternate", f"{base}/events/dprk-casualties-2024-12") in links
    assert ("related", f"{base}/documents/000_d40e8277d782d5f4") in links
    assert feed.entries[1].tags[0].term == "casualties"
    # The same feed by format= and by Accept on /events.
    by_format = api.get("/events", params={"actor": "DPRK", "type": "casualties",
                                           "format": "atom"})  # fmt: skip
    by_accept = api.get("/events", params={"actor": "DPRK", "type": "casualties"},
                        headers={"Accept": "application/atom+xml"})  # fmt: skip
    for other in (by_format, by_accept):
        parsed = feedparser.parse(other.content)
        assert not parsed.bozo and [e.id for e in parsed.entries] == [e.id for e in feed.entries]


def test_atom_feed_of_everything_is_ordered_by_what_was_known_when(api: httpx.Client) -> None:
    feed = feedparser.parse(api.get("/events.atom", params={"limit": 5}).content)
    assert not feed.bozo and len(feed.entries) == 5
    events = page_rows(api, "/events", {"limit": 500})
    latest = {e["id"]: max(c["known_from"] for c in e["claims"]) for e in events}
    newest = sorted(latest, key=lambda i: (latest[i], i), reverse=True)[:5]
    assert [e.id.rsplit("/", 1)[1] for e in feed.entries] == newest


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("", Format.json),
        ("*/*", Format.json),
        ("application/json", Format.json),
        ("text/csv", Format.csv),
        ("text/csv;q=0.5, application/json", Format.json),
        ("application/json;q=0.5, text/csv", Format.csv),
        ("text/csv, application/json", Format.json),  # a tie goes to JSON
        ("text/csv, */*;q=0.1", Format.csv),
        ("application/x-ndjson", Format.ndjson),
        ("application/geo+json", Format.geojson),
        ("application/atom+xml", Format.atom),
        ("application/xml", Format.json),  # unsupported: JSON
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", Format.json),
        ("text/csv;q=0", Format.json),
        ("text/csv;q=abc", Format.json),
    ],
)
def test_accept_chooses_the_format(accept: str, chosen: Format) -> None:
    assert from_accept(accept.encode()) is chosen


def test_format_wins_and_bad_formats_are_refused(api: httpx.Client) -> None:
    csv_accept = {"Accept": "text/csv"}
    json_page = api.get("/events", params={"type": "casualties", "format": "json"},
                        headers=csv_accept)  # fmt: skip
    assert json_page.headers["content-type"] == "application/json"
    assert len(json_page.json()["data"]) == 3
    unsupported = api.get("/events", params={"type": "casualties"},
                          headers={"Accept": "application/xml"})  # fmt: skip
    assert unsupported.json()["data"] == json_page.json()["data"]
    for path in ("/events", "/timeline"):
        bad = api.get(path, params={"format": "xlsx"})
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        problem = bad.json()
        assert problem["errors"][0]["name"] == "format"
        for name in ("json", "csv", "ndjson", "timelinejs", "geojson", "atom"):
            assert f"'{name}'" in problem["detail"]
    # A bad filter is a problem document, not a broken download.
    unknown = api.get("/events", params={"format": "csv", "actor": "DPRKK"})
    assert unknown.status_code == 422 and "did you mean 'dprk'" in unknown.json()["detail"]
    assert api.get("/events.atom", params={"format": "csv"}).status_code == 400


def test_openapi_declares_the_formats(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    assert spec["components"]["schemas"]["Format"]["enum"] == [f.value for f in Format]
    for path, types in (("/events", 5), ("/timeline", 5)):
        operation = spec["paths"][path]["get"]
        content = operation["responses"]["200"]["content"]
        assert list(content)[:1] == ["application/json"] and len(content) == types
        assert {"text/csv", "application/x-ndjson", "application/geo+json",
                "application/atom+xml"} <= set(content)  # fmt: skip
        (param,) = [p for p in operation["parameters"] if p["name"] == "format"]
        assert "timelinejs" in param["description"]


def test_openapi_examples_are_real_answers(server: str) -> None:
    """Each export format's example in the OpenAPI document is the server's answer to the
    request in its summary (the host aside)."""
    spec = httpx.get(f"{server}/openapi.json", timeout=10).json()
    content = spec["paths"]["/events"]["get"]["responses"]["200"]["content"]
    for media_type, entry in content.items():
        if media_type == "application/json":
            continue
        example = entry["examples"]["seeds"]
        answer = httpx.get(server + example["summary"].removeprefix("GET "), timeout=10)
        assert answer.headers["content-type"].startswith(media_type)
        text = fixed_text(answer.text.replace(server, "http://127.0.0.1:8000"))
        expected = example["value"]
        assert (json.loads(text) if isinstance(expected, dict) else text) == expected
