"""The code gates run as part of the suite: ruff check, ruff format --check, mypy --strict."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.config import PROJECT_ROOT


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "app", "tests", "migrations", "bench"],
        ["ruff", "format", "--check", "app", "tests", "migrations", "bench"],
        ["mypy", "--strict", "app"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_gate(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
