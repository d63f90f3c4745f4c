"""Facts about the project's own files: README commands, CI, Dockerfile, documented settings."""

from __future__ import annotations

import re
import shlex
import tomllib
from urllib.parse import urlsplit

import httpx
import pytest

from app.config import PROJECT_ROOT, SETTINGS_HELP

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")


def readme_command(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```sh\n(.+?)\n```", README, re.S)
    assert match, marker
    return match.group(1)


def test_readme_commands_install_from_the_locks() -> None:
    run, test = readme_command("run-command"), readme_command("test-command")
    assert run.startswith("python3 -m venv .venv && ")
    assert "pip install --require-hashes -r requirements.lock" in run
    assert run.endswith(".venv/bin/claimline serve")
    assert "pip install --require-hashes -r requirements-dev.lock" in test
    assert test.endswith(".venv/bin/pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in ci and 'eval "$test_command"' in ci
    assert "pg_ctlcluster --skip-systemctl-redirect" in ci


def _dockerfile_instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_dockerfile_installs_what_the_readme_installs() -> None:
    steps = _dockerfile_instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = " && ".join(rest for keyword, rest in steps if keyword == "RUN")
    assert "pip install --require-hashes -r requirements.lock" in runs
    assert "pip install --no-deps ." in runs
    # Every folder the wheel is built from is copied in first.
    setuptools = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {p.split(".")[0] for p in setuptools["packages"]} | set(
        setuptools["package-dir"].values()
    )
    for folder in folders:
        assert ("COPY", f"{folder} ./{folder}") in steps, folder
    assert ("COPY", "requirements.lock ./") in steps
    users = [rest for keyword, rest in steps if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    cmd = next(rest for keyword, rest in reversed(steps) if keyword == "CMD")
    assert cmd.startswith('["claimline", "serve"')
    # The README's run command ends in the same entry point.
    assert readme_command("run-command").split(" && ")[-1].split("/")[-1] == "claimline serve"


@pytest.mark.parametrize("name", sorted(SETTINGS_HELP))
def test_every_setting_is_documented(name: str) -> None:
    assert f"| `{name}` |" in README


CURLS = re.findall(r"^curl -s '([^']+)'$", README, re.M)


def test_readme_has_curl_examples() -> None:
    assert len(CURLS) >= 8


@pytest.mark.parametrize("url", CURLS)
def test_readme_curl_examples_work(api: httpx.Client, url: str) -> None:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("http", "127.0.0.1:8000")
    response = api.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    expected = 422 if "DPRKK" in url else 200
    assert response.status_code == expected, response.text
    if response.status_code == 200:
        body = response.json()
        assert body if not isinstance(body, dict) or "data" not in body else body["data"]


def test_shlex_parses_commands() -> None:
    for marker in ("run-command", "test-command"):
        assert shlex.split(readme_command(marker))
