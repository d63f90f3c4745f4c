"""Facts about the project's own files: README commands, CI, Dockerfile, documented settings."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from app.config import PROJECT_ROOT, SETTINGS_HELP
from tests.conftest import free_port

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
    # The tag names Python's patch release and the Debian suite, not a moving 3.11-slim.
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", steps[0][1]), steps[0]
    runs = " && ".join(rest for keyword, rest in steps if keyword == "RUN")
    assert "pip install --require-hashes -r requirements.lock" in runs
    assert "pip install --no-deps --no-build-isolation ." in runs
    # Every folder the wheel is built from is copied in first.
    setuptools = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {p.split(".")[0] for p in setuptools["packages"]} | set(
        setuptools["package-dir"].values()
    )
    for folder in folders:
        assert ("COPY", f"{folder} ./{folder}") in steps, folder
    users = [rest for keyword, rest in steps if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    # The README's run command ends in the same entry point.
    assert readme_command("run-command").split(" && ")[-1].split("/")[-1] == "claimline serve"


def _locked(lock: str) -> dict[str, str]:
    text = (PROJECT_ROOT / lock).read_text(encoding="utf-8")
    return dict(re.findall(r"^([a-z0-9_.-]+)==(\S+) \\$", text, re.M))


def test_dockerfile_builds_with_locked_tools() -> None:
    """pip and setuptools come from a lock with hashes, installed before anything else,
    and build the project without an isolated environment (which would download an
    unpinned setuptools); the same setuptools as the dev lock's, which the packaging test
    builds the wheel with."""
    steps = _dockerfile_instructions()
    runs = [rest for keyword, rest in steps if keyword == "RUN"]
    assert ("COPY", "requirements-build.lock requirements.lock ./") in steps
    venv = next(run for run in runs if "python -m venv /opt/venv" in run)
    assert venv.index("pip install --require-hashes -r requirements-build.lock") < venv.index(
        "pip install --require-hashes -r requirements.lock"
    )
    tools = _locked("requirements-build.lock")
    assert set(tools) == {"pip", "setuptools"}
    assert tools["setuptools"] == _locked("requirements-dev.lock")["setuptools"]
    header = (PROJECT_ROOT / "requirements-build.lock").read_text().splitlines()[1]
    assert "requirements-build.in" in header and "--generate-hashes" in header


def test_dockerfile_keeps_the_data_in_a_volume() -> None:
    steps = _dockerfile_instructions()
    env = " ".join(rest for keyword, rest in steps if keyword == "ENV")
    volumes = [rest for keyword, rest in steps if keyword == "VOLUME"]
    workdir = next(rest for keyword, rest in steps if keyword == "WORKDIR")
    data = re.search(r"DATABASE_URL=sqlite:///(\S+)/claimline\.db", env)
    assert data and volumes == [data.group(1)] == [f"{workdir}/data"]
    # After the RUN that creates and chowns it: a new volume takes its owner from the image.
    assert steps.index(("VOLUME", volumes[0])) > max(
        i for i, (keyword, rest) in enumerate(steps) if keyword == "RUN" and "chown" in rest
    )


def test_dockerfile_serves_and_probes_the_port_in_its_environment(
    tmp_path: Path, seeded_sqlite_url: str
) -> None:
    """CMD and HEALTHCHECK both read PORT when the container starts, so `-e PORT=9000` moves
    both. With no container engine able to build the image here (README, Docker), the two
    commands run on this machine as the image's shell would run them, against each other."""
    steps = _dockerfile_instructions()
    env = " ".join(rest for keyword, rest in steps if keyword == "ENV")
    assert re.search(r"(^| )PORT=8000( |$)", env) and ("EXPOSE", "$PORT") in steps
    cmd = json.loads(next(rest for keyword, rest in reversed(steps) if keyword == "CMD"))
    assert cmd[:2] == ["/bin/sh", "-c"] and len(cmd) == 3
    health = next(rest for keyword, rest in steps if keyword == "HEALTHCHECK")
    options, _, check = health.partition(" CMD ")
    assert "--start-period=" in options and "8000" not in check

    def probe(port: int) -> int:
        # Shell-form HEALTHCHECK: run by /bin/sh -c in the container's environment.
        return subprocess.run(["/bin/sh", "-c", check], env=dict(environ, PORT=str(port)),
                              capture_output=True, timeout=10, check=False).returncode  # fmt: skip

    port = free_port()
    # The image's PATH puts the venv first; here that is this interpreter's venv.
    environ = dict(
        os.environ,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        DATABASE_URL=seeded_sqlite_url,
    )
    server = subprocess.Popen(cmd, env=dict(environ, PORT=str(port)), cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while probe(port) != 0:
            assert server.poll() is None and time.monotonic() < deadline, "never healthy"
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
        # exec: the server replaced the shell, so it is PID 1 and gets the stop signal.
        cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
        assert any(part.endswith(b"claimline") for part in cmdline), cmdline
        assert probe(free_port()) != 0  # nothing there: unhealthy
    finally:
        server.terminate()
        server.wait(timeout=15)


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
