"""Bounded work per request (CLAIMLINE_STATEMENT_TIMEOUT), the security headers, and no
server banner, each through a real server process."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from app.api.problems import is_outage, timed_out
from app.db import make_engine
from app.work_bounds import bound_work
from tests.conftest import migrate_and_load, running_server

# A statement of millions of steps: far past any bound below, cheap to write.
HEAVY_SQLITE = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000) "
    "SELECT count(*) FROM n"
)


def test_sqlite_statements_stop_past_the_bound(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        bound_work(engine, 0.2)
        started = time.monotonic()
        with pytest.raises(OperationalError) as caught, engine.connect() as conn:
            conn.execute(text(HEAVY_SQLITE))
        assert time.monotonic() - started < 3
        assert is_outage(caught.value) and timed_out(caught.value)  # a 503, not a 500
        # The next checkout has a new deadline: a light statement runs.
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_postgres_statements_stop_past_the_bound(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # a connection opened before the bound
        bound_work(engine, 0.2)
        started = time.monotonic()
        with pytest.raises(OperationalError) as caught, engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 3
        assert getattr(caught.value.orig, "sqlstate", None) == "57014"
        assert is_outage(caught.value) and timed_out(caught.value)
    finally:
        engine.dispose()


def test_zero_leaves_work_unbounded(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        bound_work(engine, 0)
        with engine.connect() as conn:
            assert conn.execute(text(HEAVY_SQLITE.replace("50000000", "200000"))).scalar()
    finally:
        engine.dispose()


def _problem_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/too-much-work")
    assert "CLAIMLINE_STATEMENT_TIMEOUT" in response.json()["detail"]
    assert response.headers["retry-after"]
    assert "SELECT" not in response.text and "Traceback" not in response.text


@pytest.mark.slow
def test_a_request_past_the_bound_on_sqlite_gets_a_503(tmp_path: Path) -> None:
    from bench.generate import generate

    url = f"sqlite:///{tmp_path / 'claimline.db'}"
    from app import migrate

    migrate.upgrade(url)
    engine = make_engine(url)
    generate(engine, 2000, seed=3)
    engine.dispose()
    # A millisecond: a page of 500 events takes far longer; /readyz's statements are too
    # short to ever reach the progress handler.
    env = {"CLAIMLINE_STATEMENT_TIMEOUT": "0.001", "CLAIMLINE_SERVE_SEEDS": "none"}
    pages = ("/events", "/claims", "/timeline")
    with running_server(url, env=env) as base:
        for path in pages:
            _problem_503(httpx.get(f"{base}{path}", params={"limit": 500}, timeout=10))
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    with running_server(url, env={"CLAIMLINE_SERVE_SEEDS": "none"}) as base:
        for path in pages:
            response = httpx.get(f"{base}{path}", params={"limit": 500}, timeout=30)
            assert response.status_code == 200, path


@pytest.mark.slow
def test_a_request_past_the_bound_on_postgres_gets_a_503(postgres_url: str) -> None:
    migrate_and_load(postgres_url)
    env = {"CLAIMLINE_STATEMENT_TIMEOUT": "1"}
    with running_server(postgres_url, env=env) as base:
        assert httpx.get(f"{base}/events", params={"limit": 1}, timeout=10).status_code == 200
        # Another session holds the events table: the request waits on the lock until its
        # statement is cancelled.
        locker = create_engine(postgres_url)
        held, release = threading.Event(), threading.Event()

        def hold() -> None:
            with locker.begin() as conn:
                conn.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
                held.set()
                release.wait(30)

        thread = threading.Thread(target=hold)
        thread.start()
        try:
            assert held.wait(10)
            started = time.monotonic()
            response = httpx.get(f"{base}/events", params={"limit": 2}, timeout=20)
            _problem_503(response)
            assert time.monotonic() - started < 8
        finally:
            release.set()
            thread.join()
            locker.dispose()
        assert httpx.get(f"{base}/events", params={"limit": 2}, timeout=10).status_code == 200


def test_security_headers_and_no_banner(seeded_sqlite_server: str) -> None:
    base = seeded_sqlite_server
    responses = [
        httpx.get(f"{base}/events", params={"limit": 1}),
        httpx.get(f"{base}/nowhere"),
        httpx.post(f"{base}/events"),
        httpx.head(f"{base}/events"),
        httpx.options(f"{base}/events"),
        httpx.get(f"{base}/events", params={"limit": "0"}),
        httpx.get(f"{base}/static/redoc/redoc.standalone.js"),
        httpx.get(f"{base}/openapi.json"),
        httpx.get(f"{base}/events", params={"q": "x" * 9000}),
    ]
    etag = responses[0].headers["etag"]
    responses.append(httpx.get(f"{base}/events", params={"limit": 1},
                               headers={"If-None-Match": etag}))  # fmt: skip
    assert responses[-1].status_code == 304
    for response in responses:
        what = f"{response.request.method} {response.request.url} {response.status_code}"
        assert "server" not in response.headers, what
        assert response.headers["x-content-type-options"] == "nosniff", what
        assert response.headers["referrer-policy"] == "no-referrer", what
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        ), what


def test_html_pages_have_a_strict_policy(seeded_sqlite_server: str) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        response = httpx.get(f"{seeded_sqlite_server}{path}")
        policy = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'none'", path
        assert directives["frame-ancestors"] == "'none'", path
        # Scripts only from the app, or inline with exactly the page's contents.
        sources = directives["script-src"].split()
        assert sources[0] == "'self'", path
        assert all(s.startswith("'sha256-") for s in sources[1:]), path
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, path
        assert response.headers["x-content-type-options"] == "nosniff"


def test_a_500_body_holds_no_trace_sql_or_path(seeded_sqlite_url: str) -> None:
    """The exception's text (SQL, a file path) goes to the log under an id, not to the client."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(seeded_sqlite_url)

    def boom() -> None:
        raise RuntimeError('SELECT * FROM events WHERE id = 1; File "/srv/app/secret.py"')

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "instance", "request_id"}
    for leak in ("SELECT", "secret.py", "/srv", "Traceback", "RuntimeError"):
        assert leak not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.slow
def test_several_workers_answer_without_a_delayed_ack_stall(seeded_sqlite_url: str) -> None:
    """With --workers, uvicorn binds the socket itself, with a protocol number of 0, and
    asyncio then leaves TCP_NODELAY off: each response's body waited behind its head for
    the client's delayed ACK, 40 ms a request on a kept-alive connection."""
    import statistics

    with (
        running_server(seeded_sqlite_url, "--workers", "2") as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        client.get("/healthz")
        times = []
        for _ in range(20):
            started = time.perf_counter()
            assert client.get("/events", params={"limit": 2}).status_code == 200
            times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.02, times
