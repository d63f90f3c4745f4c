"""One error shape (RFC 9457 problem+json) on every endpoint; no request gets a 500."""

from __future__ import annotations

import httpx
import pytest

LISTINGS = ["/events", "/timeline", "/claims"]
ITEMS = ["/events/no-such-event", "/actors/no-such-actor", "/documents/no-such-document"]
ALL_ENDPOINTS = [*LISTINGS, "/events/dprk-casualties-2024-12", "/actors", "/actors/dprk",
                 "/documents", "/documents/000_d40e8277d782d5f4", "/healthz", "/readyz"]  # fmt: skip


def assert_problem(response: httpx.Response, status: int, *fragments: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://claimline.example/problems/")
    assert body["title"] and body["detail"]
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]
    return dict(body)


@pytest.mark.parametrize("path", ALL_ENDPOINTS)
def test_unknown_query_parameter_is_400(api: httpx.Client, path: str) -> None:
    assert_problem(api.get(path, params={"actr": "DPRK"}), 400, "unknown query parameter(s) 'actr'")


@pytest.mark.parametrize("path", ITEMS)
def test_missing_item_is_404_problem(api: httpx.Client, path: str) -> None:
    assert_problem(api.get(path), 404, "no-such-")


def test_unknown_route_and_method(api: httpx.Client) -> None:
    assert_problem(api.get("/nowhere"), 404, "/nowhere")
    assert_problem(api.post("/events"), 405)


@pytest.mark.parametrize("path", LISTINGS)
@pytest.mark.parametrize(
    ("params", "status", "fragments"),
    [
        ({"actor": "DPRKK"}, 422, ["unknown actor 'DPRKK'", "did you mean 'dprk' (North Korea)?"]),
        ({"claimant": "Zelenksy"}, 422, ["unknown actor 'Zelenksy'", "'zelensky'"]),
        ({"via": "Agence Frence Presse"}, 422, ["'afp' (Agence France-Presse)"]),
        ({"source": "zzzz"}, 422, ["unknown actor 'zzzz'", "see /actors"]),
        ({"type": "invasion"}, 422, ["type.0", "'deployment'"]),
        ({"hedge": "rumoured"}, 422, ["hedge.0", "'alleged'"]),
        ({"from": "2024-13"}, 422, ["'2024-13' is not a date"]),
        ({"to": "23 octobre"}, 422, ["is not a date"]),
        ({"from": "2024-12", "to": "2024-10"}, 422, ["`from` (2024-12) is after `to` (2024-10)"]),
        ({"from": "2024-10/2024-12"}, 422, ["is not a date"]),
        ({"date_match": "inside"}, 422, ["date_match", "'overlap' or 'within'"]),
        ({"known_as_of": "yesterday"}, 422, ["known_as_of"]),
        ({"known_as_of": "0"}, 422, ["'0' is not a day: use YYYY-MM-DD"]),
        ({"limit": "0"}, 422, ["limit", "greater than or equal to 1"]),
        ({"limit": "501"}, 422, ["limit", "less than or equal to 500"]),
        ({"limit": "ten"}, 422, ["limit"]),
        ({"cursor": "not-a-cursor"}, 422, ["`cursor` is not a cursor this listing issued"]),
        ({"cursor": "WyJ4Il0"}, 422, ["`cursor` is not a cursor"]),
        ({"document": "nope"}, 422, ["unknown document 'nope'"]),
    ],
)  # fmt: skip
def test_bad_parameters(
    api: httpx.Client, path: str, params: dict[str, str], status: int, fragments: list[str]
) -> None:
    body = assert_problem(api.get(path, params=params), status, *fragments)
    errors = body["errors"]
    assert isinstance(errors, list) and errors[0]["location"] == "query"


def test_suggestions_are_machine_readable(api: httpx.Client) -> None:
    body = assert_problem(api.get("/events", params={"actor": "Coree du Nrod"}), 422)
    assert body["errors"][0]["suggestions"][0] == "dprk"  # type: ignore[index]


def test_cursor_of_another_listing_is_rejected(api: httpx.Client) -> None:
    token = api.get("/claims", params={"limit": 1}).json()["next_cursor"]
    assert_problem(api.get("/events", params={"cursor": token}), 422, "`cursor`")


@pytest.mark.parametrize(
    "params",
    [
        {"actor": "\x00"}, {"actor": "' OR 1=1 --"}, {"actor": "x" * 5000}, {"q": "%"},
        {"from": "0000-01-01"}, {"from": "9999-12-31"}, {"to": "99999"}, {"to": "0000"},
        {"to": "9999-24"}, {"known_as_of": "0"}, {"known_as_of": "1"}, {"cursor": "%%%"},
        {"cursor": "eyJ"}, {"known_as_of": "2024-02-30"}, {"document": "'; DROP TABLE claims; --"},
    ],
)  # fmt: skip
def test_hostile_input_never_500(api: httpx.Client, params: dict[str, str]) -> None:
    for path in ["/events", "/claims", "/timeline", "/actors"]:
        response = api.get(path, params=params)
        assert response.status_code < 500, (path, params, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
