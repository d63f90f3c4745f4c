"""Fixtures: every database test runs on a fresh SQLite file and a fresh PostgreSQL database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT, normalize_database_url
from app.db import make_engine

SEEDS_DIR = PROJECT_ROOT / "seeds"
POSTGRES_ADMIN_URL = normalize_database_url(
    os.environ.get("CLAIMLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
)


@cache
def postgres_unavailable_reason() -> str | None:
    """None when the test PostgreSQL answers; otherwise why not."""
    engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string()} unreachable: {exc}"
    finally:
        engine.dispose()
    return None


def require(needed: str, reason: str | None, hint: str = "") -> None:
    """Skip a test whose tool is missing (`reason` says what is wrong), with `hint` on what
    to install; under CI=true fail instead, since .ci/run installs or starts every tool."""
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true requires {needed}: {reason}", pytrace=False)
    pytest.skip(f"{hint}: {reason}" if hint else reason)


def _require_postgres() -> None:
    require(
        "PostgreSQL",
        postgres_unavailable_reason(),
        "no PostgreSQL on this machine (set CLAIMLINE_TEST_POSTGRES_URL)",
    )


@contextmanager
def fresh_postgres_database(options: str = "") -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; `options` are CREATE DATABASE's."""
    _require_postgres()
    name = f"claimline_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" {options}'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine's connections run inside the block, transaction
    control aside (the server's SQLite connections begin one at each checkout, app/db.py).
    On SQLite the fast /events route runs its statement on the driver's cursor, past
    SQLAlchemy's events, so SQLite traces new connections itself (after their connect-time
    PRAGMAs)."""
    statements: list[str] = []
    if engine.dialect.name == "sqlite":

        def keep(statement: str) -> None:
            if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                statements.append(statement)

        def trace(raw: Any, _record: Any) -> None:
            raw.set_trace_callback(keep)

        engine.dispose()  # connections already pooled would go untraced
        event.listen(engine, "connect", trace)
        try:
            yield statements
        finally:
            event.remove(engine, "connect", trace)
            engine.dispose()
        return

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'claimline.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of the real seeds that a test may break."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, target, ignore=shutil.ignore_patterns("_proposed"))
    return target


@contextmanager
def module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Engine]]:
    """A migrated database of the kind the fixture's param names (dropped afterwards), and
    an engine on it."""
    from app import migrate

    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('module') / 'claimline.db'}"
        else:
            url = stack.enter_context(fresh_postgres_database())
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            yield url, engine
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def seeded_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated and loaded with the real seeds by the real code, once a session:
    tests that need such a database get a copy of it rather than a migration and a load."""
    from app import migrate
    from app.loader import load_dataset, validate_seeds

    path = tmp_path_factory.mktemp("seeded") / "claimline.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        load_dataset(engine, validate_seeds(SEEDS_DIR))
    finally:
        engine.dispose()  # the last connection's close checkpoints the WAL into the file
    assert not path.with_name(f"{path.name}-wal").exists(), "the copies would miss the WAL"
    return path


def copy_seeded_sqlite(template: Path, url: str) -> str:
    """`url`'s SQLite file becomes a copy of `template`; returns `url`."""
    target = Path(str(make_url(url).database))
    assert not target.exists(), f"{target} exists; a copy would replace its data"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return url


@pytest.fixture
def seeded_sqlite_url(sqlite_url: str, seeded_sqlite_file: Path) -> str:
    """A SQLite database of the test's own, holding the real seeds."""
    return copy_seeded_sqlite(seeded_sqlite_file, sqlite_url)


@pytest.fixture
def seeded_url(request: pytest.FixtureRequest, database_url: str) -> str:
    """`database_url`, holding the real seeds, for a test that may change it: on SQLite a
    copy of `seeded_sqlite_file`, on PostgreSQL migrated and loaded for the test."""
    if make_url(database_url).get_backend_name() == "sqlite":
        return copy_seeded_sqlite(request.getfixturevalue("seeded_sqlite_file"), database_url)
    return migrate_and_load(database_url)


def migrate_and_load(url: str, seeds: Path = SEEDS_DIR) -> str:
    """`url` migrated and loaded from `seeds` by the real code; returns `url`."""
    from app import migrate
    from app.loader import load_dataset, validate_seeds

    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        load_dataset(engine, validate_seeds(seeds))
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database holding the real seeds, shared by one module's read-only tests; on SQLite a
    copy of `seeded_sqlite_file`."""
    from app.loader import load_dataset, validate_seeds

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('module') / 'claimline.db'}"
        yield copy_seeded_sqlite(request.getfixturevalue("seeded_sqlite_file"), url)
        return
    with module_database(request, tmp_path_factory) as (url, engine):
        load_dataset(engine, validate_seeds(SEEDS_DIR))
        engine.dispose()  # no pooled connection stays open during the tests
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def generated_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of 2,000 generated events (seed 3), shared by one module's read-only
    tests: generating it per test cost most of their time."""
    from bench.generate import generate

    with module_database(request, tmp_path_factory) as (url, engine):
        generate(engine, 2000, seed=3)
        engine.dispose()
        yield url


@pytest.fixture(scope="module")
def generated_engine(generated_url: str) -> Iterator[Engine]:
    engine = make_engine(generated_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def loaded_engine(loaded_url: str) -> Iterator[Engine]:
    engine = make_engine(loaded_url)
    yield engine
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    database_url: str,
    *extra: str,
    env: dict[str, str] | None = None,
    base_env: dict[str, str] | None = None,
    cwd: Path = PROJECT_ROOT,
    log_path: Path | None = None,
    timeout: float = 30,
) -> Iterator[str]:
    """`claimline serve` in a subprocess on a free loopback port; yields its base URL.
    `base_env` replaces os.environ under `env`; `log_path` keeps the server's output."""
    port = free_port()
    env = dict(
        os.environ if base_env is None else base_env, DATABASE_URL=database_url, **(env or {})
    )
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
        *extra,
    ]
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w+b") if log_path else tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"server did not become ready:\n{log.read().decode()}")
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def seeded_sqlite_server(
    tmp_path_factory: pytest.TempPathFactory, seeded_sqlite_file: Path
) -> Iterator[str]:
    """One server for the session on its own copy of the seeded SQLite file: the API only
    reads, so the modules share it rather than each start one."""
    url = f"sqlite:///{tmp_path_factory.mktemp('served') / 'claimline.db'}"
    with running_server(copy_seeded_sqlite(seeded_sqlite_file, url)) as base:
        yield base


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, loaded_url: str) -> Iterator[str]:
    """A server on the real seeds: on SQLite the session's, on PostgreSQL one on `loaded_url`."""
    if make_url(loaded_url).get_backend_name() == "sqlite":
        yield request.getfixturevalue("seeded_sqlite_server")
        return
    with running_server(loaded_url) as base:
        yield base


@pytest.fixture(scope="module")
def api(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=10) as client:
        yield client


def page_rows(client: httpx.Client, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of a listing, following `next_cursor` to the last page."""
    params, rows = dict(params), []
    while True:
        body = client.get(path, params=params).json()
        rows += body["data"]
        if body["next_cursor"] is None:
            return rows
        params["cursor"] = body["next_cursor"]


def page_ids(client: httpx.Client, path: str, params: dict[str, Any]) -> list[str]:
    """Every row id of a listing, following `next_cursor` to the last page."""
    return [row["id"] for row in page_rows(client, path, params)]


# The fast loop (`pytest -m "not slow"`) keeps every endpoint on SQLite and leaves to the
# full suite: PostgreSQL, generated data, the gates, fuzzing, the packaging builds, and the
# exhaustive comparisons and long loops marked below or in their modules.
_SLOW_FIXTURES = {"generated_url", "generated_engine", "generated", "postgres_url"}
_SLOW_MODULES = {"test_gates", "test_fuzz", "test_generate", "test_parallel_steps"}
# Exhaustive comparisons left to the full suite (every filter and pair on every listing).
_SLOW_TESTS = {"test_every_path_answers_as_the_general_path_on_the_seeds"}
# Comparisons parametrized by a filter spec: the quick loop keeps the `within` specs (one per
# source: events, actor, claimant, each with both dates), the full suite every spec.
_SPEC_SAMPLED = {"test_fast_path_equals_general_path_on_the_seeds": "spec"}


def _spec_for_the_full_suite(item: pytest.Item) -> bool:
    argname = _SPEC_SAMPLED.get(getattr(item, "originalname", ""))
    params = getattr(item, "callspec", None)
    spec = params.params.get(argname) if argname and params else None
    return isinstance(spec, dict) and not spec.get("within")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(item, "callspec", None)
        on_postgres = params is not None and "postgresql" in params.params.values()
        if (
            on_postgres
            or _SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
            or "generated" in item.name
            or getattr(item, "originalname", item.name) in _SLOW_TESTS
            or _spec_for_the_full_suite(item)
            or (
                item.module is not None and item.module.__name__.rsplit(".", 1)[-1] in _SLOW_MODULES
            )
        ):
            item.add_marker(pytest.mark.slow)
