"""The `claimline` command line as a user runs it."""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from app import cli
from app.config import PROJECT_ROOT
from tests.conftest import running_server
from tests.seedtools import edit


def run(
    *args: str, database_url: str | None = None, cwd: Path = PROJECT_ROOT
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(commands.choices)


def test_every_option_has_help_and_shows_its_default() -> None:
    subcommands = _subcommands()
    assert set(subcommands) == set(cli.COMMANDS)
    for name, parser in subcommands.items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, (name, action.dest)
            if not action.required and action.option_strings:
                assert "(default: " in action.help, (name, action.dest)
    shown = run("serve", "--help")
    assert shown.returncode == 0
    for fragment in ("(default: 127.0.0.1)", "(default: 8000)", "(default: 1)", "(default: info)"):
        assert fragment in shown.stdout


def test_version() -> None:
    result = run("--version")
    assert (result.returncode, result.stdout) == (0, f"claimline {version('claimline')}\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--events", "0", "--out", "g.db"], "cannot generate: --events must be at least 1, got 0"),
        (["--events", "-5"], "cannot generate: --events must be at least 1, got -5"),
        (["--events", "5", "--out", "postgresql://u@h/db"],
         "cannot generate: --out takes a SQLite file path, not a URL (postgresql://u@h/db); to "
         "fill another database, set DATABASE_URL and leave out --out"),
    ],
)  # fmt: skip
def test_generate_refuses_bad_arguments_before_writing_anything(
    tmp_path: Path, args: list[str], message: str
) -> None:
    """Before: a KeyError traceback and a partial file, or a folder named `postgresql:`."""
    work = tmp_path / "work"
    work.mkdir()
    target = f"sqlite:///{tmp_path / 'untouched.db'}"
    result = run("generate", *args, database_url=target, cwd=work)
    assert (result.returncode, result.stderr, result.stdout) == (2, message + "\n", "")
    assert list(tmp_path.rglob("*")) == [work]


def test_generate_says_plainly_when_a_server_holds_its_database(seeded_sqlite_url: str) -> None:
    """Before: `database is locked [SQL: PRAGMA journal_mode=MEMORY]`."""
    with running_server(seeded_sqlite_url) as base:
        assert httpx.get(f"{base}/events", params={"limit": 1}).status_code == 200
        result = run("generate", "--events", "10", database_url=seeded_sqlite_url)
    assert result.returncode == 1
    assert result.stderr == (
        f"cannot generate: {seeded_sqlite_url} is in use by another process (a running "
        "server?); stop it, or generate into a new file with --out\n"
    )


def test_generate_reports_progress_on_stderr(tmp_path: Path) -> None:
    """Not a terminal (a pipe here): a plain line every --progress-every seconds."""
    out = tmp_path / "g.db"
    result = run("generate", "--events", "300", "--out", str(out), "--progress-every", "0.1")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    pattern = (
        r"generating 300 events: (?:writing rows, (?P<events>\d+)/300 events"
        r"|finishing steps, (?P<done>\d+)/(?P<steps>\d+) done(?: \(.+\))?), \d+ s"
    )
    matches = [re.fullmatch(pattern, line) for line in lines]
    assert lines and all(matches), lines
    assert lines[0].startswith("generating 300 events: writing rows, ")
    events = [int(m["events"]) for m in matches if m and m["events"]]
    steps = [(int(m["done"]), int(m["steps"])) for m in matches if m and m["steps"]]
    assert events == sorted(events) and all(done <= total for done, total in steps)
    assert "━" not in result.stderr and "\x1b" not in result.stderr
    assert result.stdout.startswith("50 actors, ")
    quiet = run("generate", "--events", "300", "--out", str(tmp_path / "q.db"),
                "--progress-every", "0")  # fmt: skip
    assert (quiet.returncode, quiet.stderr) == (0, "")


def _read_terminal(primary: int, process: subprocess.Popen[bytes], timeout: float) -> str:
    """All a child wrote to its pseudo-terminal, until it exits (then reads fail with EIO)."""
    chunks, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the child's side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_generate_draws_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """stderr a terminal (a pseudo-terminal): rich's bars, events then finishing steps,
    redrawn in place, and none of the plain lines."""
    primary, secondary = pty.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120")
    try:
        with open(tmp_path / "stdout", "wb") as stdout:
            process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "generate", "--events", "300",
                 "--out", str(tmp_path / "g.db"), "--progress-every", "0.1"],
                cwd=PROJECT_ROOT, env=env, stdout=stdout, stderr=secondary,
            )  # fmt: skip
        os.close(secondary)
        screen = _read_terminal(primary, process, timeout=120)
        assert process.wait(timeout=10) == 0, screen
    finally:
        os.close(primary)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)  # colours and cursor moves
    assert "\x1b[1A" in screen  # the bars are redrawn in place, not printed line by line
    rows = re.findall(r"writing rows +[━╸╺]{20,} +(\d+)/300", text)
    steps = re.findall(r"finishing steps +[━╸╺]{20,} +(\d+)/(\d+)", text)
    assert rows and rows[-1] == "300", text
    assert steps and steps[-1][0] == steps[-1][1] and int(steps[-1][1]) > 10, text
    assert "generating 300 events" not in text
    assert (tmp_path / "stdout").read_text().startswith("50 actors, ")


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
    # Both problems in one run: the bad hedge does not hide the unknown claimant.
    assert lines == [
        f"seeds/claims/000_d40e8277d782d5f4.yaml:{claim_id}:claimant: unknown actor 'nobody'",
        f"seeds/claims/000_d40e8277d782d5f4.yaml:{claim_id}:hedge: Input should be 'confirmed', 'asserted', 'estimated', 'reported', 'alleged', 'expected' or 'speculative'",
        "2 problem(s) found; the database was not changed",
    ]
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()
