"""Steps with dependencies, run one after another on one connection or over several at once.

A bulk load ends with a dozen index builds, the derived tables and the constraint checks.
In one transaction PostgreSQL runs them one after the other, on one core; most of them
touch different tables and can run side by side, each in its own transaction on its own
connection. A step starts when every step it comes `after` is done; among the ready ones,
the first in the list goes first, so the list puts the longest chains first.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Connection], None]
    after: frozenset[str] = field(default_factory=frozenset)


def _check(steps: Sequence[Step]) -> None:
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise ValueError(f"step names repeat: {sorted({n for n in names if names.count(n) > 1})}")
    for step in steps:
        unknown = step.after - set(names)
        if unknown:
            raise ValueError(f"step {step.name!r} comes after unknown steps {sorted(unknown)}")


def _next(steps: Sequence[Step], started: set[str], done: set[str]) -> Step | None:
    return next((s for s in steps if s.name not in started and s.after <= done), None)


def _stuck(steps: Sequence[Step], done: set[str]) -> ValueError:
    return ValueError(f"steps wait on each other: {[s.name for s in steps if s.name not in done]}")


def run_serially(conn: Connection, steps: Sequence[Step]) -> dict[str, float]:
    """Run every step on `conn`, in the caller's transaction; return seconds per step."""
    _check(steps)
    done: set[str] = set()
    seconds: dict[str, float] = {}
    while len(done) < len(steps):
        step = _next(steps, done, done)
        if step is None:
            raise _stuck(steps, done)
        start = time.perf_counter()
        step.run(conn)
        seconds[step.name] = time.perf_counter() - start
        done.add(step.name)
    return seconds


def run_in_parallel(
    engine: Engine, steps: Sequence[Step], connections: int, prelude: Sequence[str] = ()
) -> dict[str, float]:
    """Run the steps over `connections` connections, each step in its own transaction
    (after the `prelude` statements, such as SET LOCALs); return seconds per step. The
    first failure stops the others (their running statements are cancelled) and is raised
    once every connection is idle; steps that were done stay committed."""
    _check(steps)
    lock = threading.Condition()
    started: set[str] = set()
    done: set[str] = set()
    seconds: dict[str, float] = {}
    failures: list[BaseException] = []
    busy: dict[int, Connection] = {}

    def claim(conn: Connection) -> Step | None:
        with lock:
            busy.pop(threading.get_ident(), None)
            while not failures and len(started) < len(steps):
                step = _next(steps, started, done)
                if step is not None:
                    started.add(step.name)
                    busy[threading.get_ident()] = conn
                    return step
                if len(started) == len(done):  # nothing running that could free a step
                    failures.append(_stuck(steps, done))
                    lock.notify_all()
                    return None
                lock.wait()
            return None

    def fail(error: BaseException) -> None:
        with lock:
            first = not failures
            failures.append(error)
            others = [c for worker, c in busy.items() if worker != threading.get_ident()]
            lock.notify_all()
        if first:
            for conn in others:
                _cancel(conn)

    def work() -> None:
        try:
            with engine.connect() as conn:
                while (step := claim(conn)) is not None:
                    start = time.perf_counter()
                    with conn.begin():
                        for statement in prelude:
                            conn.exec_driver_sql(statement)
                        step.run(conn)
                    with lock:
                        seconds[step.name] = time.perf_counter() - start
                        done.add(step.name)
                        lock.notify_all()
        except BaseException as error:  # re-raised in the caller's thread
            fail(error)
        finally:
            with lock:
                busy.pop(threading.get_ident(), None)

    workers = [threading.Thread(target=work, name=f"step-{i}") for i in range(connections)]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.join()
    except BaseException as error:  # Ctrl-C: stop the steps before unwinding
        fail(error)
        for worker in workers:
            worker.join()
    if failures:
        raise failures[0]
    return seconds


def _cancel(conn: Connection) -> None:
    """Ask the server to stop the connection's running statement, if the driver can."""
    raw = conn.connection.driver_connection
    cancel = getattr(raw, "cancel_safe", None) or getattr(raw, "cancel", None)
    if cancel is not None:
        # Best effort: if it fails, the statement runs to its end.
        with contextlib.suppress(Exception):
            cancel()
