"""CORS, HEAD, OPTIONS, 405 and trailing slashes on every route (app/api/conventions.py), on
real servers, through every path a response can take: the fast /events route, the general
routes, the response cache, 304s, errors and 500s."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from app.api.fast_events import FastEventsMiddleware
from app.api.http_cache import CACHED_PREFIXES
from app.main import create_app
from tests.conftest import running_server
from tests.test_api_errors import assert_problem

# A real row for each path parameter; a new parameter fails the listing below until it has one.
ITEM_IDS = {"event_id": "dprk-casualties-2024-12", "actor_id": "dprk",
            "document_id": "000_d40e8277d782d5f4"}  # fmt: skip
ORIGIN = "https://frontend.example"
OTHER_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ALLOW = "GET, HEAD, OPTIONS"


def _every_route() -> list[str]:
    """Every route the app serves, with real ids for its path parameters: the API's (from
    the OpenAPI document, which lists each with only a GET) and Starlette's own (the docs)."""
    app = create_app("sqlite://")
    spec = app.openapi()["paths"]
    assert all(set(operations) == {"get"} for operations in spec.values())
    # `/` only redirects a browser to the page (tests/test_ui.py checks it).
    paths = [*spec, *(r.path for r in app.routes if isinstance(r, Route) and r.path != "/")]
    return [re.sub(r"\{(\w+)\}", lambda m: ITEM_IDS[m.group(1)], path) for path in paths]


ROUTES = _every_route()
# Compared between two answers to one request: everything but the connection's own.
SAME_HEADERS = ("content-type", "content-length", "etag", "cache-control", "link", "vary")


def _same_headers(a: httpx.Response, b: httpx.Response) -> None:
    for name in SAME_HEADERS:
        assert a.headers.get(name) == b.headers.get(name), name


def test_the_route_list_is_whole() -> None:
    for path in ("/events", "/events/facets", "/events/dprk-casualties-2024-12", "/healthz",
                 "/readyz", "/docs", "/redoc", "/openapi.json"):  # fmt: skip
        assert path in ROUTES


@pytest.mark.parametrize("path", ROUTES)
def test_head_is_get_without_the_body(api: httpx.Client, path: str) -> None:
    get, head = api.get(path), api.head(path)
    assert (get.status_code, head.status_code, head.content) == (200, 200, b"")
    # The body as sent: httpx asks for compression and decodes `content`.
    assert int(head.headers["content-length"]) == get.num_bytes_downloaded
    _same_headers(head, get)
    if path.startswith(CACHED_PREFIXES):
        assert head.headers["etag"]
        again = api.head(path, headers={"If-None-Match": head.headers["etag"]})
        assert (again.status_code, again.headers["etag"]) == (304, head.headers["etag"])


@pytest.mark.parametrize("path", ROUTES)
def test_a_trailing_slash_answers_as_the_path_without(api: httpx.Client, path: str) -> None:
    plain = api.get(path)
    for slashed in (f"{path}/", f"{path}//"):
        response = api.get(slashed, follow_redirects=False)
        assert (response.status_code, response.content) == (200, plain.content)
        _same_headers(response, plain)


def test_a_trailing_slash_keeps_the_query_and_the_next_link(api: httpx.Client) -> None:
    params: dict[str, str | int] = {"actor": "DPRK", "limit": 2}
    plain = api.get("/events", params=params)
    slashed = api.get("/events/", params=params, follow_redirects=False)
    assert (slashed.status_code, slashed.content) == (200, plain.content)
    assert slashed.headers["link"] == plain.headers["link"]
    assert len(slashed.json()["data"]) == 2
    assert api.get("/events/", params={"actr": "DPRK"}).status_code == 400


@pytest.mark.parametrize("path", ROUTES)
def test_other_methods_are_405_problems_with_allow(api: httpx.Client, path: str) -> None:
    for method in OTHER_METHODS:
        response = api.request(method, path)
        body = assert_problem(response, 405, f"{method} is not allowed on {path}")
        assert response.headers["allow"] == ALLOW
        assert body["type"] == "https://claimline.example/problems/method-not-allowed"
    # Not a preflight (no Origin): what the resource supports.
    options = api.options(path)
    assert (options.status_code, options.headers["allow"], options.content) == (204, ALLOW, b"")


@pytest.mark.parametrize("path", ROUTES)
def test_cors_on_every_route(api: httpx.Client, path: str) -> None:
    response = api.get(path, headers={"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = "ETag, Link, Retry-After, Content-Disposition"
    assert response.headers["access-control-expose-headers"] == exposed
    preflight = api.options(path, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match",
    })  # fmt: skip
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == ALLOW
    assert "If-None-Match" in preflight.headers["access-control-allow-headers"].split(", ")
    assert int(preflight.headers["access-control-max-age"]) > 0


def test_a_refused_preflight_is_a_problem(api: httpx.Client) -> None:
    response = api.options("/events", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "DELETE",
        "Access-Control-Request-Headers": "x-token",
    })  # fmt: skip
    assert_problem(response, 400, "Disallowed CORS method, headers")


@pytest.fixture
def listed_origins_server(seeded_url: str) -> Iterator[str]:
    env = {"CLAIMLINE_CORS_ORIGINS": f"{ORIGIN}, http://localhost:5173",
           "CLAIMLINE_CACHE_HEADER": "true"}  # fmt: skip
    with running_server(seeded_url, env=env) as base:
        yield base


def test_listed_origins_and_the_cache(listed_origins_server: str) -> None:
    """With a list, the allowed origin is echoed and every answer varies by Origin, fresh,
    from the cache or 304, so a shared cache never hands one origin's answer to another."""
    with httpx.Client(base_url=listed_origins_server) as client:
        url = "/events?actor=DPRK&limit=3"
        miss = client.get(url, headers={"Origin": ORIGIN})
        hit = client.get(url, headers={"Origin": "http://localhost:5173"})
        tag = {"If-None-Match": miss.headers["etag"]}
        not_modified = client.get(url, headers={"Origin": ORIGIN, **tag})
        head = client.head(url, headers={"Origin": ORIGIN, **tag})
        assert [r.headers["claimline-cache"] for r in (miss, hit)] == ["miss", "hit"]
        assert (not_modified.status_code, head.status_code) == (304, 304)
        assert hit.content == miss.content
        for response, origin in ((miss, ORIGIN), (hit, "http://localhost:5173"),
                                 (not_modified, ORIGIN), (head, ORIGIN)):  # fmt: skip
            assert response.headers["access-control-allow-origin"] == origin
            assert "Origin" in response.headers["vary"]
            assert "Claimline-Cache" in response.headers["access-control-expose-headers"]
        for headers in ({"Origin": "https://elsewhere.example"}, {}):
            response = client.get(url, headers=headers)
            assert response.status_code == 200 and response.content == miss.content
            assert "access-control-allow-origin" not in response.headers
            assert "Origin" in response.headers["vary"]
        refused = client.options(url, headers={
            "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"})  # fmt: skip
        assert_problem(refused, 400, "Disallowed CORS origin")
        assert "access-control-allow-origin" not in refused.headers
        allowed = client.options(url, headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match"})  # fmt: skip
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ORIGIN


def test_cors_on_the_fast_route_and_on_500s(seeded_sqlite_url: str) -> None:
    """The fast /events route answers alone (the general routes behind it refuse), and a
    route that fails answers 500 past the app's middleware: both carry CORS headers."""
    app = create_app(seeded_sqlite_url)

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    headers = {"Origin": ORIGIN}
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/healthz")  # builds the middleware stack
        stack = app.middleware_stack
        while not isinstance(stack, FastEventsMiddleware):
            stack = stack.app  # type: ignore[union-attr]

        async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
            raise AssertionError(f"the general path answered {scope['path']}")

        stack.app = refuse
        for path in ("/events?actor=DPRK&limit=2", "/events/?actor=DPRK&limit=2"):
            fast = client.get(path, headers=headers)
            assert fast.status_code == 200 and len(fast.json()["data"]) == 2
            assert fast.headers["access-control-allow-origin"] == "*"
            head = client.head(path, headers=headers)
            assert head.content == b"" and head.headers["etag"] == fast.headers["etag"]
        failed = client.get("/boom", headers=headers)
        assert_problem(failed, 500, "internal error")
        assert failed.headers["access-control-allow-origin"] == "*"
        failed_head = client.head("/boom/", headers=headers)
        assert (failed_head.status_code, failed_head.content) == (500, b"")
