"""The database goes away under a running server, then comes back: meanwhile data requests
get a 503 problem with Retry-After, /readyz is 503 and /healthz 200; afterwards the same
server answers again within a few seconds, without a restart."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api.problems import PROBLEM_MEDIA_TYPE, RETRY_AFTER
from tests.conftest import copy_seeded_sqlite, free_port, migrate_and_load, require, running_server

DATA_PATHS = ("/events?limit=3", "/events/dprk-casualties-2024-12", "/actors", "/claims?limit=2")
RECOVERY_SECONDS = 5
# Past twice the server's meta TTL (1 s): nothing is answered from what it read before.
SETTLE_SECONDS = 2.5


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Cluster:
    """A throwaway PostgreSQL cluster of the test's own (initdb + pg_ctl on a free port), so
    that stopping it touches no other test's server."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin, self.port = bin_dir, free_port()
        # Outside pytest's root-only tmp folders: the server runs as `postgres` under root.
        self.dir = Path(tempfile.mkdtemp(prefix="claimline-pg-"))
        self.data, self.log = self.dir / "data", self.dir / "log"
        self.user: dict[str, Any] = {}
        if os.geteuid() == 0:  # initdb refuses to run as root
            self.user = {"user": "postgres", "group": "postgres"}
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
                  "-E", "UTF8")  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([str(self.bin / tool), *args], check=True, capture_output=True,
                       **self.user)  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        subprocess.run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                        "stop"], capture_output=True, **self.user)  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def throwaway_postgres() -> Iterator[Cluster]:
    bin_dir = _postgres_bin()
    require("PostgreSQL's initdb and pg_ctl", None if bin_dir else "initdb not found",
            "install postgresql")  # fmt: skip
    assert bin_dir is not None
    cluster = Cluster(bin_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def _assert_outage(client: httpx.Client) -> None:
    for path in DATA_PATHS:
        response = client.get(path)
        assert response.status_code == 503, (path, response.status_code, response.text)
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert response.headers["retry-after"] == str(RETRY_AFTER)
        body = response.json()
        assert body["status"] == 503 and body["type"].endswith("/database-unavailable"), body
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["retry-after"] == str(RETRY_AFTER)
    assert client.get("/healthz").status_code == 200


def _assert_recovers(client: httpx.Client) -> float:
    """Seconds until every data path and /readyz answer 200 again."""
    started = time.monotonic()
    while True:
        codes = [client.get(p).status_code for p in (*DATA_PATHS, "/readyz")]
        if codes == [200] * len(codes):
            return time.monotonic() - started
        assert set(codes) <= {200, 503}, codes
        assert time.monotonic() - started < RECOVERY_SECONDS, codes
        time.sleep(0.1)


def _answers(client: httpx.Client) -> None:
    for path in (*DATA_PATHS, "/readyz", "/healthz"):
        assert client.get(path).status_code == 200, path


@pytest.mark.slow
def test_postgres_stopped_then_started_again() -> None:
    with throwaway_postgres() as cluster:
        migrate_and_load(cluster.url)
        with running_server(cluster.url) as base, httpx.Client(base_url=base, timeout=15) as c:
            _answers(c)
            cluster.stop()
            time.sleep(SETTLE_SECONDS)
            _assert_outage(c)
            cluster.start()
            _assert_recovers(c)


@pytest.mark.slow
def test_sqlite_file_gone_then_back(seeded_sqlite_file: Path, tmp_path: Path) -> None:
    """The file is moved away and back: file modes would not stop root (CI runs as root),
    and a connection already open keeps reading a moved file; the server checks it."""
    path = tmp_path / "claimline.db"
    url = copy_seeded_sqlite(seeded_sqlite_file, f"sqlite:///{path}")
    aside = tmp_path / "moved-away.db"
    with running_server(url) as base, httpx.Client(base_url=base, timeout=15) as client:
        _answers(client)
        path.rename(aside)
        time.sleep(SETTLE_SECONDS)
        _assert_outage(client)
        assert not path.exists(), "the server made a new database in the file's place"
        aside.rename(path)
        _assert_recovers(client)

        # Replaced by a file that is not a database, then restored.
        path.rename(aside)
        path.write_bytes(b"not a database\n" * 100)
        time.sleep(SETTLE_SECONDS)
        _assert_outage(client)
        aside.replace(path)
        _assert_recovers(client)
