"""Helpers for the fault tests: a second version of the seeds, the two datasets as the
database holds them, and `claimline load` in a subprocess."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from app import dataset_meta, migrate
from app.assemble import instant
from app.config import PROJECT_ROOT
from app.db import make_engine
from app.loader import load_dataset, validate_seeds
from tests.conftest import SEEDS_DIR
from tests.seedtools import edit

V2_SUFFIX = " (v2)"
# The claim the second version removes (with its figures, if any).
REMOVED_CLAIM_FILE = "claims/000_d40e8277d782d5f4.yaml"

Snapshot = dict[str, list[tuple[Any, ...]]]
# Every table a load writes, the derived ones (search entries, pre-rendered events, counts)
# included; dataset_meta's version is new at each load and is compared on its own.
TABLES = [t for t in SQLModel.metadata.sorted_tables if t.name != "dataset_meta"]
SURROGATE = ("search_entries", "id")
# Each load stamps what it changes with its own instant: loading a version again gives the
# same rows with other stamps. The stamps are left out (the tombstones' kind and id stay),
# and blanked in the pre-rendered bodies; every other byte is compared.
STAMPS = {"created_at", "updated_at", "removed_at"}
_BODY_STAMP = re.compile(rb'"(created_at|updated_at)":"[^"]*"')


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table a load writes, sorted; search entries without their ids,
    which are numbered afresh at each rebuild; no timestamps."""
    out = {}
    with engine.connect() as conn:
        for table in TABLES:
            columns = [
                c
                for c in table.columns
                if (table.name, c.name) != SURROGATE and c.name not in STAMPS
            ]
            rows = conn.execute(select(*columns)).all()
            out[table.name] = sorted((tuple(_unstamped(v) for v in r) for r in rows), key=repr)
    return out


def stamps_disagree(engine: Engine) -> list[str]:
    """The events whose pre-rendered body holds other stamps than their row (or whose
    claims' bodies do): the part of the data snapshot() leaves out, checked on its own."""
    events = SQLModel.metadata.tables["events"]
    claims = SQLModel.metadata.tables["claims"]
    bodies = SQLModel.metadata.tables["event_json"]
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(events.c.id, events.c.updated_at))}
        claim_stamps = {
            r.id: r.updated_at for r in conn.execute(select(claims.c.id, claims.c.updated_at))
        }
        wrong = []
        for event_id, body in conn.execute(select(bodies.c.event_id, bodies.c.body)):
            event = orjson.loads(body)
            expected = {event_id: instant(rows[event_id].updated_at)}
            expected |= {c["id"]: instant(claim_stamps[c["id"]]) for c in event["claims"]}
            got = {event_id: event["updated_at"]} | {
                c["id"]: c["updated_at"] for c in event["claims"]
            }
            if got != expected:
                wrong.append(event_id)
    return wrong


def _unstamped(value: Any) -> Any:
    if isinstance(value, bytes):
        return _BODY_STAMP.sub(rb'"\1":""', value)
    return value


def data_version(engine: Engine) -> str:
    with engine.connect() as conn:
        return dataset_meta.read(conn).version


def second_version(target: Path, tag: str = "v2", removed: int = 1) -> Path:
    """A copy of the seeds at `target` in which every event's title ends with ` (tag)` and
    one claim (the `removed`th of REMOVED_CLAIM_FILE) is gone: a load from the seeds or
    another such version updates every event and deletes rows."""
    shutil.copytree(SEEDS_DIR, target, ignore=shutil.ignore_patterns("_proposed"))
    suffix = f" ({tag})"
    for path in sorted((target / "events").glob("*.yaml")):
        edit(path, lambda events: [e.__setitem__("title", e["title"] + suffix) for e in events])
    edit(target / REMOVED_CLAIM_FILE, lambda data: data["claims"].pop(removed))
    return target


@dataclass
class Versions:
    """The database at `url`, and every table's rows under each seed version: the seeds
    first, then versions of them made by second_version."""

    url: str
    seeds: tuple[Path, ...]
    rows: tuple[Snapshot, ...]

    def which(self, engine: Engine) -> int:
        """The index of the version the database holds, whole; fails on anything else."""
        now = snapshot(engine)
        matches = [i for i, rows in enumerate(self.rows) if rows == now]
        assert matches, f"the database holds no one version: {describe(now, self.rows)}"
        with engine.connect() as conn:
            assert dataset_meta.read(conn).derived, "the derived tables lag the data"
        assert stamps_disagree(engine) == [], "pre-rendered stamps differ from the records'"
        return matches[0]


def prepare(url: str, tmp_path: Path, versions: int = 2) -> Versions:
    """Migrate `url`, load each version in turn (twice round) to record its rows, end on the
    seeds. The second version is second_version's v2 (claim 1 removed), a third v3 (claim 2)."""
    seeds = [SEEDS_DIR] + [
        second_version(tmp_path / f"seeds-v{n}", f"v{n}", removed=n - 1)
        for n in range(2, versions + 1)
    ]
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        rows: list[Snapshot] = []
        # Twice round: a version's tombstones are the records of the others it lacks, once
        # each has been loaded (the first round starts from an empty database).
        for path in [*seeds[1:], seeds[0]]:
            load_dataset(engine, validate_seeds(path))
        for path in [*seeds[1:], seeds[0]]:
            load_dataset(engine, validate_seeds(path))
            rows.append(snapshot(engine))
    finally:
        engine.dispose()
    ordered = (rows[-1], *rows[:-1])
    assert len({repr(r) for r in ordered}) == len(ordered)
    return Versions(url, tuple(seeds), ordered)


def describe(now: Snapshot, versions: tuple[Snapshot, ...]) -> str:
    """How `now` differs from each version, in a line per table that differs."""
    out = []
    for i, rows in enumerate(versions):
        for table, expected in rows.items():
            got = set(now.get(table, []))
            if got != set(expected):
                out.append(
                    f"v{i + 1} {table}: {len(got - set(expected))} extra, "
                    f"{len(set(expected) - got)} missing"
                )
    return "; ".join(out)


def load_command(url: str, seeds: Path, **env: str) -> tuple[list[str], dict[str, str]]:
    """`claimline load seeds` as a subprocess argument list, and its environment."""
    return (
        [sys.executable, "-m", "app.cli", "load", str(seeds)],
        dict(os.environ, DATABASE_URL=url, **env),
    )


def start_load(url: str, seeds: Path, **env: str) -> subprocess.Popen[str]:
    command, environ = load_command(url, seeds, **env)
    return subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class LoadForker:
    """`claimline load` runs forked from one process that imported Claimline once
    (tests/load_zygote.py): a start costs a fork, not an interpreter's start."""

    def __init__(self, url: str | None, logs: Path) -> None:
        self.logs, self.count = logs, 0
        logs.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.load_zygote"],
            cwd=PROJECT_ROOT,
            env=dict(os.environ, **({"DATABASE_URL": url} if url else {})),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _ask(self, *words: str) -> list[str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\t".join(words) + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().split()

    def start(self, seeds: Path, url: str | None = None) -> tuple[int, Path]:
        """A load of `seeds` (into `url`, else the forker's) under way: its pid and the file
        of its output."""
        self.count += 1
        log = self.logs / f"load-{self.count}.log"
        answer = self._ask("load", str(seeds), str(log), *([url] if url else []))
        assert answer[:1] == ["pid"], answer
        return int(answer[1]), log

    def wait(self, pid: int) -> int:
        """The load's exit status once it ended; minus the signal that ended it."""
        answer = self._ask("wait", str(pid))
        assert answer[:2] == ["exit", str(pid)], answer
        return int(answer[2])

    def run(self, seeds: Path, url: str | None = None) -> tuple[int, str]:
        """A whole load: its exit status and its output."""
        pid, log = self.start(seeds, url)
        return self.wait(pid), log.read_text()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)

    def __enter__(self) -> LoadForker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
