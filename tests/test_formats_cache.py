"""The representations of one URL and the response cache: each format has its own cache
entry and ETag (and each coding of it), a 304 confirms only the representation it tagged,
the fast /events route never answers an export with JSON, and exports stream uncapped."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app

URL = "/events?actor=DPRK"  # the fast route's kind of request
CSV = {"Accept": "text/csv", "Accept-Encoding": "identity"}
JSON = {"Accept": "application/json", "Accept-Encoding": "identity"}


@pytest.fixture
def client(seeded_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("CLAIMLINE_CACHE_HEADER", "true")
    with TestClient(create_app(seeded_url, meta_ttl=3600)) as client:
        yield client


def test_json_then_csv_then_json_for_one_url(client: TestClient) -> None:
    first = client.get(URL, headers=JSON)
    assert first.headers["content-type"] == "application/json"
    assert first.headers["claimline-cache"] == "miss"
    as_csv = client.get(URL, headers=CSV)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["claimline-cache"] == "miss"
    assert as_csv.text.startswith("event_id,event_type,")
    assert as_csv.headers["etag"] != first.headers["etag"]
    again = client.get(URL, headers=JSON)
    assert again.headers["claimline-cache"] == "hit"
    assert (again.content, again.headers["etag"]) == (first.content, first.headers["etag"])
    csv_again = client.get(URL, headers=CSV)
    assert csv_again.headers["claimline-cache"] == "hit"
    assert csv_again.content == as_csv.content
    assert csv_again.headers["etag"] == as_csv.headers["etag"]
    for response in (first, as_csv, again, csv_again):
        vary = [v.strip().lower() for v in response.headers["vary"].split(",")]
        assert {"accept", "accept-encoding"} <= set(vary)
    # format= names the same representation under its own URL.
    by_format = client.get(f"{URL}&format=csv", headers=JSON)
    assert by_format.content == as_csv.content
    assert by_format.headers["content-disposition"] == (
        'attachment; filename="claimline-events-actor-dprk.csv"'
    )


def test_each_representation_gets_its_own_304(client: TestClient) -> None:
    as_json = client.get(URL, headers=JSON)
    as_csv = client.get(URL, headers=CSV)
    csv_tag, json_tag = as_csv.headers["etag"], as_json.headers["etag"]
    not_modified = client.get(URL, headers={**CSV, "If-None-Match": csv_tag})
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert not_modified.headers["etag"] == csv_tag
    assert "accept" in [v.strip().lower() for v in not_modified.headers["vary"].split(",")]
    # The CSV tag confirms nothing of the JSON, and the other way round.
    other = client.get(URL, headers={**JSON, "If-None-Match": csv_tag})
    assert other.status_code == 200 and other.content == as_json.content
    other = client.get(URL, headers={**CSV, "If-None-Match": json_tag})
    assert other.status_code == 200 and other.content == as_csv.content
    assert client.get(URL, headers={**JSON, "If-None-Match": json_tag}).status_code == 304
    # An Accept naming no supported type is JSON, tag and all.
    xml = client.get(URL, headers={"Accept": "application/xml", "Accept-Encoding": "identity"})
    assert xml.headers["etag"] == json_tag and xml.content == as_json.content


def test_compressed_exports_are_representations_of_their_own(client: TestClient) -> None:
    identity = client.get(URL, headers=CSV)
    tag = identity.headers["etag"]
    zipped = client.get(URL, headers={**CSV, "Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == identity.content  # httpx decodes it
    assert zipped.headers["etag"] == tag[:-1] + '-gzip"'
    hit = client.get(URL, headers={**CSV, "Accept-Encoding": "gzip"})
    assert hit.headers["claimline-cache"] == "hit" and hit.content == identity.content
    assert client.get(URL, headers={**CSV, "Accept-Encoding": "gzip",
                                    "If-None-Match": zipped.headers["etag"]}).status_code == 304  # fmt: skip
    # The gzip tag of the CSV is not the gzip tag of the JSON.
    json_zipped = client.get(URL, headers={**JSON, "Accept-Encoding": "gzip"})
    assert json_zipped.headers["etag"] != zipped.headers["etag"]
    assert json.loads(json_zipped.content)["data"]


def test_the_fast_route_steps_aside_for_an_export(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No response cache: the fast route itself sees the CSV request, and leaves it to the
    general route."""
    monkeypatch.setenv("CLAIMLINE_RESPONSE_CACHE_MIB", "0")
    with TestClient(create_app(seeded_url)) as client:
        as_json = client.get(URL, headers=JSON)
        for headers in (
            CSV,
            {"Accept": "application/x-ndjson"},
            {"Accept": "application/geo+json"},
        ):
            response = client.get(URL, headers=headers)
            assert response.headers["content-type"].split(";")[0] == headers["Accept"]
        lines = client.get(URL, headers={"Accept": "application/x-ndjson"}).text.splitlines()
        assert [json.loads(line) for line in lines][:50] == as_json.json()["data"]
        assert client.get(URL, headers=JSON).content == as_json.content


def test_exports_stream_every_event_past_a_page(generated_url: str) -> None:
    """2,000 events: far past the listing's 500 a page, in one streamed response."""
    with TestClient(create_app(generated_url)) as client:
        response = client.get("/events?format=ndjson")
        assert "content-length" not in response.headers  # sent as it is made
        lines = response.text.splitlines()
        assert len(lines) == 2000
        ids = [json.loads(line)["id"] for line in lines]
        assert len(set(ids)) == 2000
        rows = csv.DictReader(io.StringIO(client.get("/events?format=csv").text))
        assert list(dict.fromkeys(row["event_id"] for row in rows)) == ids
        features = client.get("/events?format=geojson").json()["features"]
        assert len(features) == sum(1 for line in lines if json.loads(line)["location"])
