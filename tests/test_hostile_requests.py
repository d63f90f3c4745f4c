"""A hand-written corpus of hostile and malformed requests, sent to a real server on SQLite
and on PostgreSQL: SQL and search syntax in every parameter, NUL bytes and invalid UTF-8,
over-long values and request heads, emoji and right-to-left text, repeated parameters,
huge and negative limits, forged cursors, impossible dates, unknown parameters, odd Accept
and Accept-Encoding values, every method on every path.

Each answer is either a 200 (the input is valid) or one of the operation's documented 4xx
statuses as problem+json naming no SQL, trace or file; never a 5xx; and the server keeps
answering afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

# Strings that would change a statement built by formatting, or an FTS5 / tsquery
# expression passed through unescaped.
INJECTIONS = (
    "' OR '1'='1", "'; DROP TABLE events; --", '" OR ""="', "1) UNION SELECT * FROM actors --",
    "%' --", "_", "%", "\\", "'", '"', ";", "--", "/*", "*/",
    "NEAR(kim jong)", "kim OR 1", "kim AND NOT jong", '"unbalanced', "title:kim", "{kim jong}",
    "^kim", "kim*jong", "*", "kim & !jong", "kim <-> jong", "kim:*", "!!", "()", "a | b",
    "$1", "%s", "{0}", "?", ":name",
)  # fmt: skip
# Percent-encoded, as a client would send them: NUL, a lone continuation byte, an overlong
# encoding, a UTF-16 surrogate, bytes that are no UTF-8 at all, control characters.
RAW_VALUES = ("%00", "kim%00", "%80", "%c0%af", "%ed%a0%80", "%ff%fe", "%c3%28", "%1b%5b31m",
              "%0d%0aSet-Cookie:%20x=1", "%e2%80%ae", "%f0%9f%a6%84")  # fmt: skip
UNICODE = (
    "🦄",
    "كورسك",
    "\u202edprk",
    "Ḱ̷̢u̵r̶s̷k̸",
    "\ufeffkim",
    "\uff4b\uff49\uff4d",
    "İstanbul",
    "\u200b",
)
LIMITS = ("-1", "0", "501", "99999999999999999999999", "1e3", "NaN", "", "0x10", "1.5",
          "1_0", " 10", "10 ", "+5", "10.0", "\u0661\u0660")  # fmt: skip
DATES = ("2024-02-30", "0000-01-01", "9999-12-31", "2024-13-01", "-0001-01-01", "2024-02-29",
         "2024", "2024-02", "20240229", "2024-2-3", "9999-99-99", "1970-01-01T00:00:00Z")  # fmt: skip
METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "FOO")
EXTRA_PATHS = ("/", "/ui", "/ui/figures", "/docs", "/redoc", "/openapi.json", "/static/redoc/redoc.standalone.js",
               "/nowhere", "/events/", "//events", "/events/%2e%2e/actors", "/static/../app")  # fmt: skip
# Fragments that must never reach a client: a trace, SQL, a file path, a driver's name.
LEAKS = ("Traceback", 'File "', "site-packages", "/work/", "/tmp/", "SELECT ", "FROM ",
         "sqlalchemy", "psycopg", "sqlite3", "IntegrityError", "OperationalError")  # fmt: skip
SECURITY = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


@pytest.fixture(scope="module")
def spec(api: httpx.Client) -> dict[str, Any]:
    return dict(api.get("/openapi.json").json())


@pytest.fixture(scope="module")
def operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, item["get"]) for path, item in spec["paths"].items()]


@pytest.fixture(autouse=True)
def still_up(api: httpx.Client) -> Iterator[None]:
    yield
    assert api.get("/healthz").status_code == 200, "the server stopped answering"


def documented(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"]}


def url_for(path: str, sample_id: str = "x") -> str:
    return (
        path.replace("{event_id}", sample_id)
        .replace("{actor_id}", sample_id)
        .replace("{document_id}", sample_id)
    )


def check(response: httpx.Response, allowed: set[int], what: str, sent: str = "") -> None:
    """A documented status; an error as problem+json that leaks nothing; the headers."""
    status = response.status_code
    assert status < 500, f"{what}: {status} {response.text[:500]}"
    assert status in allowed, f"{what}: {status} not in {sorted(allowed)}: {response.text[:300]}"
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, f"{what}: {name}"
    assert "server" not in response.headers, what
    if status >= 400 and response.request.method != "HEAD":
        assert response.headers["content-type"] == "application/problem+json", what
        body = response.json()
        assert body["status"] == status and body["detail"] and body["type"], what
        leak_free(body, what, sent)


def leak_free(problem: dict[str, Any], what: str, sent: str = "") -> None:
    """The problem's own words hold no trace, SQL or path; what the request sent is echoed
    (`instance`, `value`, quoted in `detail`) and left out of the check."""
    echoed = [str(e.get("value")) for e in problem.get("errors") or [] if e.get("value")]
    echoed += [sent] if sent else []
    own = json.dumps({k: v for k, v in problem.items() if k != "instance"}, ensure_ascii=False)
    for value in echoed:
        own = own.replace(json.dumps(value, ensure_ascii=False)[1:-1], "")
        own = own.replace(json.dumps(repr(value), ensure_ascii=False)[1:-1], "")
    for leak in LEAKS:
        assert leak not in own, f"{what}: the body holds {leak!r}: {own[:500]}"


def get(api: httpx.Client, path: str, query: str = "", **kwargs: Any) -> httpx.Response:
    """`query` is sent as written: percent escapes and all."""
    url = f"{api.base_url}{path}" + (f"?{query}" if query else "")
    return api.send(api.build_request("GET", httpx.URL(url), **kwargs))


def raw(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; the status, headers and body of the answer."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        # The server may answer and close before reading it all.
        with contextlib.suppress(OSError):
            sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def raw_problem(base: str, request: bytes, status: int) -> dict[str, Any]:
    got, headers, body = raw(base, request)
    assert got == status, body[:300]
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-content-type-options"] == "nosniff" and "server" not in headers
    problem: dict[str, Any] = json.loads(body)
    assert problem["status"] == status
    leak_free(problem, f"raw {status}")
    return problem


def test_sql_and_search_syntax_in_every_parameter(
    api: httpx.Client, operations: list[tuple[str, dict[str, Any]]]
) -> None:
    for path, operation in operations:
        allowed = documented(operation)
        for parameter in operation.get("parameters", []):
            name, where = parameter["name"], parameter["in"]
            for value in INJECTIONS:
                what = f"{path} {name}={value!r}"
                if where == "path":
                    response = get(api, path.replace("{" + name + "}", quote(value, safe="")))
                elif where == "header":
                    response = api.get(url_for(path), headers={name: value})
                else:
                    response = api.get(url_for(path), params={name: value})
                check(response, allowed, what, value)


def test_nul_bytes_invalid_utf8_and_control_characters(
    api: httpx.Client, operations: list[tuple[str, dict[str, Any]]]
) -> None:
    for path, operation in operations:
        allowed = documented(operation)
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        for value in RAW_VALUES:
            if "{" in path:
                check(get(api, url_for(path, value)), allowed, f"{path} as {value}")
            for name in names:
                check(get(api, url_for(path), f"{name}={value}"), allowed, f"{path} {name}={value}")
            # In a parameter's name, too: an unknown parameter, whatever its bytes.
            check(get(api, url_for(path), f"{value}=1"), allowed, f"{path} name {value}")


def test_emoji_and_right_to_left_text(
    api: httpx.Client, operations: list[tuple[str, dict[str, Any]]]
) -> None:
    for path, operation in operations:
        allowed = documented(operation)
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            for value in UNICODE:
                response = api.get(url_for(path), params={parameter["name"]: value})
                check(response, allowed, f"{path} {parameter['name']}={value!r}")
    # Found as a search of the word it spells, not as an error.
    assert api.get("/events", params={"q": "\uff4b\uff49\uff4d"}).status_code == 200


def test_over_long_values(api: httpx.Client, operations: list[tuple[str, dict[str, Any]]]) -> None:
    for path, operation in operations:
        allowed = documented(operation)
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            response = api.get(url_for(path), params={parameter["name"]: "k" * 4000})
            check(response, allowed, f"{path} {parameter['name']}=4000 chars")
    assert api.get("/events", params={"q": "kim " * 600}).status_code == 422
    assert api.get("/events/" + "e" * 4000).status_code == 404


def test_a_100_kb_query_string_is_a_414(api: httpx.Client, server: str) -> None:
    response = get(api, "/events", "q=" + "a" * 9000)
    check(response, {414}, "9 KB query")
    assert "8192 bytes" in response.json()["detail"]
    # 100 KB, sent raw (httpx refuses to): refused from the request line alone.
    problem = raw_problem(
        server, b"GET /events?q=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414
    )
    assert "CLAIMLINE_MAX_URL_BYTES" in problem["detail"]
    # Just under the limit, the request is read and answered by the route.
    near = "actor=" + "a" * (8192 - len("/events?actor=") - 10)
    check(get(api, "/events", near), {422}, "just under the limit")


def test_too_large_headers_are_a_431(api: httpx.Client, server: str) -> None:
    check(api.get("/events", headers={"X-Big": "a" * 20_000}), {431}, "one large header")
    many = {f"X-H{i}": "v" * 100 for i in range(200)}
    check(api.get("/events", headers=many), {431}, "many headers")
    # A header that never ends: refused once the head passes the limits, not buffered.
    problem = raw_problem(
        server, b"GET /events HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300_000, 431
    )
    assert "CLAIMLINE_MAX_HEADER_BYTES" in problem["detail"]


def test_malformed_http_is_a_problem_400(server: str) -> None:
    for request in (
        b"GARBAGE\r\n\r\n",
        b"GET /events HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /events HTTP/1.1\r\nHost: x\r\nBad\x00Name: 1\r\n\r\n",
        b"GET /events HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"GET /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ):
        problem = raw_problem(server, request, 400)
        assert problem["type"].endswith("/malformed-request"), request


def test_repeated_parameters(api: httpx.Client) -> None:
    check(api.get("/events", params=[("limit", "1"), ("limit", "2")]), {200, 422}, "limit twice")
    check(api.get("/events", params=[("q", "kim"), ("q", "jong")]), {200, 422}, "q twice")
    ok = api.get("/events", params=[("actor", "dprk")] * 50)
    check(ok, {200}, "actor 50 times")
    refused = api.get("/events", params=[("actor", "dprk")] * 51)
    check(refused, {422}, "actor 51 times")
    assert refused.json()["errors"][0]["name"] == "actor"
    assert "CLAIMLINE_MAX_FILTER_VALUES" in refused.json()["detail"]
    words = api.get("/events", params={"q": " ".join(f"w{i}" for i in range(17))})
    check(words, {422}, "17 words")
    assert "at most 16 words" in words.json()["detail"]


def test_huge_negative_and_malformed_limits(api: httpx.Client) -> None:
    for path in ("/events", "/timeline", "/claims", "/figures"):
        for limit in LIMITS:
            check(api.get(path, params={"limit": limit}), {422}, f"{path} limit={limit!r}")
        check(api.get(path, params={"limit": "500"}), {200}, f"{path} limit=500")


def test_forged_and_truncated_cursors(api: httpx.Client) -> None:
    cursor = api.get("/events", params={"limit": 2}).json()["next_cursor"]
    claims_cursor = api.get("/claims", params={"limit": 2}).json()["next_cursor"]
    forged = [
        cursor[:-1], cursor[:-4], cursor[:5], cursor + "A", cursor[::-1], "A", "====", "%00",
        claims_cursor,  # another listing's cursor
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b'["events", 1, 2]').decode(),
        base64.urlsafe_b64encode(b'["events", "2024-02-30", "x"]').decode(),
        nul_cursor := base64.urlsafe_b64encode(b'["events", "9999-12-31", "\\u0000"]').decode(),
        surrogate := base64.urlsafe_b64encode(b'["events", "2024-01-01", "\\ud800"]').decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        base64.urlsafe_b64encode(json.dumps(["events", "2024-01-01", "x" * 3000]).encode()).decode(),
    ]  # fmt: skip
    for value in forged:
        response = api.get("/events", params={"cursor": value})
        check(response, {200, 422}, f"cursor {value[:40]!r}")
        if value in (cursor[:-4], cursor[:5], "A", claims_cursor, nul_cursor, surrogate):
            assert response.status_code == 422, value
    check(api.get("/events", params={"cursor": cursor}), {200}, "the real cursor")


def test_impossible_and_extreme_dates(api: httpx.Client) -> None:
    for name in ("from", "to", "known_as_of"):
        for value in DATES:
            response = api.get("/events", params={name: value})
            check(response, {200, 422}, f"{name}={value}")
            if value in ("2024-02-30", "2024-13-01", "9999-99-99"):
                assert response.status_code == 422, (name, value)
    for value in ("0000-01-01", "9999-12-31"):
        check(api.get("/events", params={"from": value, "to": value}), {200, 422}, value)


def test_unknown_parameters(
    api: httpx.Client, operations: list[tuple[str, dict[str, Any]]]
) -> None:
    for path, operation in operations:
        for query in ("nope=1", "Actor=dprk", "limit%20=1", "actor[]=dprk", "=1", "&&&", "a"):
            response = get(api, url_for(path), query)
            check(response, documented(operation), f"{path}?{query}")
            if query in ("nope=1", "Actor=dprk"):
                assert response.status_code == 400, (path, query)


ACCEPTS = ("application/xml", "text/html", "*/*;q=0", ";;;", "application/json;q=abc",
           "a" * 2000, "", "*/*, application/problem+json")  # fmt: skip
ENCODINGS = ("gzip;q=abc", "br;q=0, *;q=0", "identity;q=0", "zstd", "x-unknown", ", , ,",
             "gzip;q=1.5", "*", "identity;q=0, *;q=0", "deflate", "gzip" * 500)  # fmt: skip


def test_odd_accept_and_accept_encoding(api: httpx.Client) -> None:
    for path in ("/events", "/events/facets", "/nowhere", "/events?limit=0"):
        for accept in ACCEPTS:
            check(api.get(path, headers={"Accept": accept}), {200, 404, 406, 422}, accept)
        for encoding in ENCODINGS:
            response = api.get(path, headers={"Accept-Encoding": encoding})
            check(response, {200, 404, 406, 422}, f"{path} Accept-Encoding {encoding!r}")


def test_every_method_on_every_path(
    api: httpx.Client, operations: list[tuple[str, dict[str, Any]]]
) -> None:
    paths = [url_for(path, "nope") for path, _ in operations] + list(EXTRA_PATHS)
    for path in paths:
        for method in METHODS:
            response = api.request(method, path, headers={"Content-Type": "application/json"},
                                   content=b'{"id": "x"}' if method in ("POST", "PUT") else None)  # fmt: skip
            what = f"{method} {path}"
            if method in ("GET", "HEAD", "OPTIONS"):
                # / sends a browser to the page for people (/ui); httpx sends "//events" as
                # a request for / (uvicorn answers the raw path 404).
                redirects = {302} if path in ("/", "//events") else set()
                check(response, {200, 204, 404, 422} | redirects, what)
            else:
                # FOO is no HTTP method at all: the server's parser refuses it (400).
                check(response, {400, 404, 405} if method == "FOO" else {404, 405}, what)
                if response.status_code == 405:
                    assert "POST" not in response.headers["allow"], what
    # CONNECT's authority form is not an origin's request line.
    raw_problem(api.base_url.join("/").__str__(), b"CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n", 400)
