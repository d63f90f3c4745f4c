"""The loader's finishing steps: order, real concurrency, and what a failure does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from app.db import make_engine
from bench.parallel_steps import Step, run_in_parallel, run_serially


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def _create(name: str) -> Step:
    return Step(f"create {name}", lambda conn: conn.execute(text(f"CREATE TABLE {name} (x int)")))


def test_serial_steps_run_in_dependency_order_then_list_order(sqlite_engine: Engine) -> None:
    ran: list[str] = []

    def step(name: str, *after: str) -> Step:
        return Step(name, lambda _conn: ran.append(name), frozenset(after))

    with sqlite_engine.begin() as conn:
        seconds = run_serially(conn, [step("c", "b"), step("a"), step("b", "a"), step("d")])
    # "c" is first in the list but waits for "b", which waits for "a".
    assert ran == ["a", "b", "c", "d"]
    assert set(seconds) == {"a", "b", "c", "d"}


def test_each_parallel_step_commits_before_the_steps_after_it(pg_engine: Engine) -> None:
    """A step `after` another runs on whichever connection is free, so it sees only what
    the other committed."""
    counted: list[int] = []

    def fill(conn: Connection) -> None:
        conn.execute(text("INSERT INTO t SELECT generate_series(1, 5)"))

    def count(conn: Connection) -> None:
        counted.append(conn.execute(text("SELECT count(*) FROM t")).scalar_one())

    steps = [
        Step("count", count, frozenset({"fill"})),
        Step("fill", fill, frozenset({"create t"})),
        _create("t"),
    ]
    run_in_parallel(pg_engine, steps, connections=2)
    assert counted == [5]


def test_parallel_steps_really_run_at_once(pg_engine: Engine) -> None:
    """Each of two steps waits, inside its transaction, for the other to be running: with
    the steps one after the other the barrier would time out."""
    meeting = threading.Barrier(2, timeout=10)
    backends: list[int] = []

    def meet(conn: Connection) -> None:
        backends.append(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        meeting.wait()

    run_in_parallel(pg_engine, [Step("one", meet), Step("two", meet)], connections=2)
    assert len(set(backends)) == 2


def test_the_prelude_runs_in_each_steps_transaction(pg_engine: Engine) -> None:
    seen: list[tuple[str, str]] = []

    def show(conn: Connection) -> None:
        memory = conn.execute(text("SHOW maintenance_work_mem")).scalar_one()
        workers = conn.execute(text("SHOW max_parallel_maintenance_workers")).scalar_one()
        seen.append((memory, workers))

    run_in_parallel(
        pg_engine,
        [Step("one", show), Step("two", show), Step("three", show)],
        connections=2,
        prelude=[
            "SET LOCAL maintenance_work_mem = '77MB'",
            "SET LOCAL max_parallel_maintenance_workers = 0",
        ],
    )
    assert seen == [("77MB", "0")] * 3


def test_a_failure_is_raised_and_nothing_after_it_starts(pg_engine: Engine) -> None:
    ran: list[str] = []

    def fail(_conn: Connection) -> None:
        raise RuntimeError("step broke")

    steps = [
        Step("fail", fail),
        Step("waits for it", lambda _conn: ran.append("waits for it"), frozenset({"fail"})),
    ]
    with pytest.raises(RuntimeError, match="step broke"):
        run_in_parallel(pg_engine, steps, connections=2)
    assert ran == []
    # One connection: the failure stops the list too, not only what waits for the step.
    with pytest.raises(RuntimeError, match="step broke"):
        run_in_parallel(
            pg_engine, [Step("fail", fail), Step("next", lambda _c: ran.append("next"))], 1
        )
    assert ran == []


def test_a_failure_cancels_the_statements_running_beside_it(pg_engine: Engine) -> None:
    """An index build that would run for minutes is stopped, not waited for: the first
    failure is what is raised, and the rolled-back step leaves nothing behind."""
    began = threading.Event()

    def long_statement(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE never (x int)"))
        began.set()
        conn.execute(text("SELECT pg_sleep(60)"))

    def fail(_conn: Connection) -> None:
        assert began.wait(10)
        time.sleep(0.2)  # into the sleep
        raise RuntimeError("step broke")

    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="step broke"):
        run_in_parallel(pg_engine, [Step("long", long_statement), Step("fail", fail)], 2)
    assert time.perf_counter() - start < 15
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('never')")).scalar_one() is None


def test_a_database_error_in_a_step_reaches_the_caller(
    pg_engine: Engine, sqlite_engine: Engine
) -> None:
    steps = [Step("bad", lambda conn: conn.execute(text("SELECT * FROM no_such_table")))]
    with pytest.raises(Exception, match="no_such_table"):
        run_in_parallel(pg_engine, steps, connections=2)
    with pytest.raises(OperationalError, match="no_such_table"), sqlite_engine.begin() as conn:
        run_serially(conn, steps)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            [Step("a", print, frozenset({"b"})), Step("b", print, frozenset({"a"}))],
            "wait on each other",
        ),
        ([Step("a", print, frozenset({"z"}))], "unknown steps \\['z'\\]"),
        ([Step("a", print), Step("a", print)], "names repeat: \\['a'\\]"),
    ],
)
def test_steps_that_cannot_all_run_are_refused(
    pg_engine: Engine, sqlite_engine: Engine, steps: list[Step], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        run_in_parallel(pg_engine, steps, connections=2)
    with pytest.raises(ValueError, match=message), sqlite_engine.begin() as conn:
        run_serially(conn, steps)
