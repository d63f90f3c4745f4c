"""`claimline generate` data is valid, and the fast overlap query agrees with brute force on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, func, inspect, select

from app import dataset_meta, migrate
from app.db import make_engine
from app.derived import hedge_mask_mismatches, known_first_mismatches
from app.main import create_app
from app.models import (
    DERIVED_TABLES,
    TABLES_IN_LOAD_ORDER,
    actor_events_table,
    claims_table,
    dataset_meta_table,
    documents_table,
    event_actors_table,
    events_table,
)
from bench.generate import BATCH_EVENTS, FINISHING_CONNECTIONS, Progress, generate
from tests.conftest import module_database, page_ids

N = 3000


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def generated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Engine]]:
    """The URL of, and an engine on, a database of N generated events, shared by the
    module's tests that only read it: generating it for each test was most of their time."""
    with module_database(request, tmp_path_factory) as (url, engine):
        counts = generate(engine, N, seed=7)
        assert counts["events"] == N and counts["actors"] == 50
        assert counts["claims"] >= N
        yield url, engine


def test_generated_data_is_consistent(generated: tuple[str, Engine]) -> None:
    _, engine = generated
    with engine.connect() as conn:
        rows = conn.execute(
            select(claims_table.c.quote, claims_table.c.quote_start, claims_table.c.quote_end,
                   documents_table.c.text, claims_table.c.known_from, documents_table.c.published_latest)
            .join(documents_table, documents_table.c.id == claims_table.c.document_id)
        ).all()  # fmt: skip
        precisions = set(conn.execute(select(events_table.c.date_precision).distinct()).scalars())
        meta = dataset_meta.read(conn)
    assert all(text[start:end] == quote for quote, start, end, text, _, _ in rows)
    assert all(known == published for _, _, _, _, known, published in rows)
    assert precisions == {"day", "month", "season", "year", "range"}
    assert meta.spans is not None and set(meta.spans) == precisions and meta.spans["year"] == 365


def test_actor_events_know_each_events_first_claim(generated: tuple[str, Engine]) -> None:
    _, engine = generated
    with engine.connect() as conn:
        assert known_first_mismatches(conn) == 0
        assert hedge_mask_mismatches(conn) == 0
        assert conn.execute(select(func.count()).select_from(actor_events_table)).scalar()


def test_generate_refuses_a_loaded_database(generated: tuple[str, Engine]) -> None:
    _, engine = generated
    with pytest.raises(ValueError, match="not empty"):
        generate(engine, 10)


@pytest.mark.parametrize(
    ("start", "end"),
    [("2024-06-01", "2024-06-30"), ("2023-12-15", "2024-01-10"), ("2022-01", "2022-06")],
)
def test_overlap_query_matches_brute_force(
    generated: tuple[str, Engine], start: str, end: str
) -> None:
    database_url, engine = generated
    with engine.connect() as conn:
        actor_events = set(conn.execute(
            select(event_actors_table.c.event_id).where(event_actors_table.c.actor_id.in_(["rus", "rus-army", "rus-intel", "rus-leader", "rus-officials"]))
        ).scalars())  # fmt: skip
        events = conn.execute(
            select(events_table.c.id, events_table.c.date_earliest, events_table.c.date_latest)
        ).all()
    lo = date.fromisoformat(start if len(start) == 10 else start + "-01")
    hi = date.fromisoformat(end) if len(end) == 10 else date(2022, 6, 30)
    expected = sorted(
        (e, i) for i, e, latest in events if i in actor_events and latest >= lo and e <= hi
    )
    with TestClient(create_app(database_url)) as client:
        params = {"actor": "Russia", "from": start, "to": end, "limit": 37}
        found = page_ids(client, "/events", params)
    assert found == [i for _, i in expected]
    assert len(found) > 10  # a real page boundary is crossed only on the wider windows


def test_claims_are_grouped_into_documents(generated: tuple[str, Engine]) -> None:
    _, engine = generated
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(documents_table)).scalar_one() > N // 20
        )


def _schema(conn: Connection) -> list[tuple[Any, ...]]:
    """Every table, index and constraint as the database states it (on PostgreSQL, with
    whether the constraint has been checked against the rows)."""
    if conn.dialect.name == "sqlite":
        # ANALYZE's statistics tables aside.
        sql = "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%'"
        return sorted(tuple(row) for row in conn.exec_driver_sql(sql))
    indexes = conn.exec_driver_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    )
    constraints = conn.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
        "WHERE connamespace = current_schema()::regnamespace"
    )
    tables = conn.exec_driver_sql(
        "SELECT 'table', tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    return sorted(tuple(row) for row in [*indexes, *constraints, *tables])


def test_generated_rows_satisfy_every_key(database_url: str) -> None:
    """The bulk fill suspends foreign-key checks for speed (SQLite: foreign_keys=OFF;
    PostgreSQL: constraints dropped, then added back unchecked and validated), and drops the
    indexes and (PostgreSQL) the COPYed tables' primary keys, built after the fill. The rows
    must hold and every index and constraint must be back, checked, as migrations made it."""
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    expected = sum(len(t.foreign_key_constraints) for t in [*TABLES_IN_LOAD_ORDER, *DERIVED_TABLES])
    try:
        with engine.connect() as conn:
            migrated = _schema(conn)
        generate(engine, 1500, seed=5)
        with engine.connect() as conn:
            assert _schema(conn) == migrated
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            found = sum(len(inspect(conn).get_foreign_keys(t.name))
                        for t in [*TABLES_IN_LOAD_ORDER, *DERIVED_TABLES])  # fmt: skip
            assert found == expected
            tables = [*TABLES_IN_LOAD_ORDER, *DERIVED_TABLES]
            keys = {t.name: inspect(conn).get_pk_constraint(t.name)["constrained_columns"]
                    for t in tables}  # fmt: skip
            assert keys == {t.name: [c.name for c in t.primary_key] for t in tables}
    finally:
        engine.dispose()


def test_generate_reports_its_progress(database_url: str) -> None:
    """The hook behind `claimline generate`'s bar: events written batch by batch up to the
    total, then every finishing step by name, started and done, none left running."""
    n = 2 * BATCH_EVENTS + 100  # two producers: at least two batches each
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    reports: list[Progress] = []
    seconds: dict[str, float] = {}
    try:
        generate(engine, n, seed=2, steps=seconds, progress=reports.append)
    finally:
        engine.dispose()
    rows = [r for r in reports if not r.total_steps]
    assert [r.events for r in rows] == sorted({r.events for r in rows})
    assert len(rows) >= 4 and rows[-1].events == n and {r.total_events for r in reports} == {n}
    finishing = reports[len(rows) :]
    assert {r.total_steps for r in finishing} == {len(seconds)} and len(seconds) > 10
    assert [r.steps_done for r in finishing] == sorted(r.steps_done for r in finishing)
    assert {name for r in finishing for name in r.running} == set(seconds)
    assert max(len(r.running) for r in finishing) <= (
        FINISHING_CONNECTIONS if database_url.startswith("postgresql") else 1
    )
    assert finishing[-1] == Progress(n, n, len(seconds), len(seconds), ())


@pytest.mark.parametrize(("claimant", "family"), [("kor", "kor"), ("usa-intel", "usa-intel")])
def test_claims_by_claimant_match_brute_force(
    generated: tuple[str, Engine], claimant: str, family: str
) -> None:
    """The per-claimant index scans page through exactly the claimant's claims (sub-actors
    included) in timeline order."""
    database_url, engine = generated
    with engine.connect() as conn:
        rows = conn.execute(
            select(claims_table.c.id, claims_table.c.claimant_id, events_table.c.date_earliest)
            .join(events_table, events_table.c.id == claims_table.c.event_id)
        ).all()  # fmt: skip
    expected = sorted((d, i) for i, who, d in rows if who == family or who.startswith(family + "-"))
    with TestClient(create_app(database_url)) as client:
        found = page_ids(client, "/claims", {"claimant": claimant, "limit": 41})
    assert found == [i for _, i in expected] and len(found) > 41


@pytest.mark.parametrize(
    "failing", ["_fill_running_counts", "_number_search_words", "_check_table"]
)
def test_a_failed_finishing_step_leaves_the_database_empty_and_migrated(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """On PostgreSQL the rows are committed before the finishing steps run over several
    connections. A step that fails, early (while keys and indexes are being built beside
    it) or late (once the foreign keys are back unchecked), must leave no rows and every
    index and checked constraint the migrations made, so that the load can be run again."""
    import bench.generate

    real = getattr(bench.generate, failing)

    def fails_on_the_server(conn: Connection, **kwargs: Any) -> None:
        real(conn, **kwargs)
        conn.exec_driver_sql("SELECT 1 / 0")  # a real error from the database

    migrate.upgrade(postgres_url)
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            migrated = _schema(conn)
        with monkeypatch.context() as patched:
            patched.setattr(bench.generate, failing, fails_on_the_server)
            with pytest.raises(Exception, match="division by zero"):
                generate(engine, 600, seed=3)
        with engine.connect() as conn:
            assert _schema(conn) == migrated
            for table in [*TABLES_IN_LOAD_ORDER, *DERIVED_TABLES, dataset_meta_table]:
                assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
        assert generate(engine, 600, seed=3)["events"] == 600
    finally:
        engine.dispose()
