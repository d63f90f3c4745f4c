"""The `claimline` command line as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.config import PROJECT_ROOT
from tests.seedtools import edit


def run(*args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_validate_real_seeds() -> None:
    result = run("validate")
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == "seeds are valid: 5 documents, 39 actors, 41 events, 116 claims, 22 figures"
    )


def test_load_then_reload_is_a_no_op(database_url: str) -> None:
    first = run("load", database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert "claims: 116 in seeds, 116 inserted, 0 updated, 0 removed" in first.stdout
    second = run("load", database_url=database_url)
    assert second.returncode == 0, second.stderr
    assert "claims: 116 in seeds, 0 inserted, 0 updated, 0 removed" in second.stdout
    assert second.stdout.strip().endswith("nothing to change: the database already matches")


def test_bad_seeds_exit_non_zero_with_one_line_per_problem(
    seeds_copy: Path, sqlite_url: str
) -> None:
    claims = seeds_copy / "claims" / "000_d40e8277d782d5f4.yaml"
    edit(claims, lambda data: data["claims"][0].update(claimant="nobody", hedge="rumoured"))
    claim_id = "c000-us-intel-dprk-proposed-troops"
    result = run("load", str(seeds_copy), database_url=sqlite_url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert (
        lines[0]
        == f"seeds/claims/000_d40e8277d782d5f4.yaml:{claim_id}:hedge: Input should be 'confirmed', 'asserted', 'estimated', 'reported', 'alleged', 'expected' or 'speculative'"
    )
    assert lines[1] == "1 problem(s) found; the database was not changed"
    # The unknown claimant is only reported once the record's shape is valid.
    edit(claims, lambda data: data["claims"][0].update(hedge="alleged"))
    result = run("validate", str(seeds_copy))
    assert (
        result.stderr.splitlines()[0]
        == f"seeds/claims/000_d40e8277d782d5f4.yaml:{claim_id}:claimant: unknown actor 'nobody'"
    )
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()
