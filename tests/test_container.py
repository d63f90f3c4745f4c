"""The Dockerfile built and run with podman: serve listens on the port PORT names, the health
check passes, serve is PID 1 and stops cleanly, the data outlives the container in its volume,
and serve runs as a user who can write the data volume and not the application.

No image registry is reachable where this runs, so `python:3.11.*-slim-bookworm` cannot be
pulled: the build is given a stand-in base with `--from`, Debian bookworm from debootstrap
with Debian's python3 (3.11). Every instruction after FROM is the Dockerfile's own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config import PROJECT_ROOT
from tests.conftest import free_port, require

pytestmark = pytest.mark.slow

# Kept between runs: building it (debootstrap, then apt-get) is most of a first run's time.
BASE = "localhost/claimline-test-base:bookworm"
BASE_CONTAINERFILE = """FROM localhost/claimline-test-rootfs:bookworm
RUN apt-get update \\
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \\
    && ln -s /usr/bin/python3 /usr/local/bin/python && rm -rf /var/lib/apt/lists/*
"""
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


def _missing() -> str | None:
    tools = [t for t in ("podman", "runc", "debootstrap") if shutil.which(t) is None]
    if tools:
        return f"needs {', '.join(tools)} (apt-get install podman runc debootstrap)"
    if os.geteuid() != 0:
        return "needs root: debootstrap, and podman with host networking"
    return None


def podman(*args: str, timeout: float = 600, check: bool = True) -> str:
    # runc: crun refuses hosts whose cgroups are in hybrid mode, as this one's are.
    result = subprocess.run(["podman", "--runtime", "runc", *args], capture_output=True,
                            text=True, timeout=timeout, check=False)  # fmt: skip
    if check and result.returncode:
        raise AssertionError(f"podman {' '.join(args)}: {result.returncode}\n{result.stderr}")
    return result.stdout


# The runtime's default limits (1048576 open files) are above this machine's hard limits,
# which it may not raise: ask for less, plenty for one server.
LIMITS = ("--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096")


def _build_base(work: Path) -> None:
    rootfs = work / "rootfs"
    subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs),
                    "http://deb.debian.org/debian"],
                   capture_output=True, check=True, timeout=900)  # fmt: skip
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["podman", "import", "-", "localhost/claimline-test-rootfs:bookworm"],
                   stdin=tar.stdout, capture_output=True, check=True, timeout=300)  # fmt: skip
    assert tar.wait() == 0
    (work / "Containerfile").write_text(BASE_CONTAINERFILE)
    podman("build", "--network", "host", *LIMITS, "-t", BASE, str(work))
    podman("rmi", "localhost/claimline-test-rootfs:bookworm")


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    require("a container engine", _missing() or None)
    tag = f"localhost/claimline-test:{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if subprocess.run(["podman", "image", "exists", BASE], check=False).returncode:
            _build_base(work)
        mounts: list[str] = []
        if HOST_CA.is_file():
            # The machine's trust store for pip, as the host's pip uses it (a proxy's CA,
            # say): mounted into the RUN steps only, never stored in the image.
            (work / "pip.conf").write_text(f"[global]\ncert = {HOST_CA}\n")
            mounts = [
                "-v",
                f"{HOST_CA}:{HOST_CA}:ro",
                "-v",
                f"{work / 'pip.conf'}:/etc/pip.conf:ro",
            ]
        podman("build", "--format", "docker", "--network", "host", *LIMITS, "--from", BASE,
               *mounts, "-t", tag, str(PROJECT_ROOT))  # fmt: skip
    try:
        yield tag
    finally:
        podman("rmi", "-f", tag, check=False)


def _start(image: str, volume: str, port: int) -> str:
    return podman("run", "-d", "--network", "host", *LIMITS, "-e", f"PORT={port}",
                  "-v", f"{volume}:/srv/claimline/data", image).strip()  # fmt: skip


def _logs(container: str) -> str:
    result = subprocess.run(["podman", "logs", container], capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    return result.stdout + result.stderr  # serve's lines, then uvicorn's (stderr)


def _ready(base: str, container: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(_logs(container))
        time.sleep(0.5)


def _writable(container: str, path: str) -> bool:
    """`test -w` as the container's user (the image's USER)."""
    result = subprocess.run(["podman", "--runtime", "runc", "exec", container, "test", "-w", path],
                            capture_output=True, timeout=60, check=False)  # fmt: skip
    return result.returncode == 0


def _runs_unprivileged_on_a_read_only_app(container: str) -> None:
    """Serve runs as a user other than root, who can write the data volume and nothing of
    the application: not its code, not the virtualenv, not the working directory."""
    assert podman("exec", container, "id", "-u").strip() != "0"
    uid = podman("exec", container, "sh", "-c", "stat -c %u /proc/1").strip()
    assert uid != "0", "PID 1 (serve) runs as root"
    package = podman("exec", container, "python", "-c",
                     "import app, os; print(os.path.dirname(app.__file__))").strip()  # fmt: skip
    for path in (package, f"{package}/main.py", "/opt/venv", "/opt/venv/bin",
                 "/srv/claimline", "/srv/claimline/app"):  # fmt: skip
        assert not _writable(container, path), f"{path} is writable by the server's user"
    assert _writable(container, "/srv/claimline/data")
    failed = subprocess.run(
        ["podman", "--runtime", "runc", "exec", container, "touch", f"{package}/planted.py"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert failed.returncode != 0 and "denied" in failed.stderr, failed.stderr


def test_the_image_serves_on_its_port_and_keeps_its_data(image: str) -> None:
    volume = f"claimline-test-{uuid.uuid4().hex[:12]}"
    containers: list[str] = []
    try:
        port = free_port()  # not 8000: -e PORT moves both the server and the health check
        containers.append(first := _start(image, volume, port))
        _ready(f"http://127.0.0.1:{port}", first)
        events = httpx.get(f"http://127.0.0.1:{port}/events", params={"actor": "DPRK"})
        assert events.status_code == 200 and events.json()["data"]
        podman("healthcheck", "run", first)  # raises unless the check exits 0
        pid1 = podman("exec", first, "cat", "/proc/1/cmdline").split("\0")
        assert pid1[1:4] == ["/opt/venv/bin/claimline", "serve", "--host"], pid1
        assert podman("exec", first, "id", "-un").strip() == "claimline"
        _runs_unprivileged_on_a_read_only_app(first)
        assert "server" not in events.headers  # no banner from the image's serve either
        started = time.monotonic()
        podman("stop", "-t", "20", first)
        assert time.monotonic() - started < 15  # serve got SIGTERM, not the kill after 20 s
        assert podman("inspect", first, "--format", "{{.State.ExitCode}}").strip() == "0"
        # A new container on the same volume finds the database loaded.
        port = free_port()
        containers.append(second := _start(image, volume, port))
        _ready(f"http://127.0.0.1:{port}", second)
        assert "empty database: loading the seeds" in _logs(first)
        log = _logs(second)
        assert "Application startup complete" in log and "loading the seeds" not in log
    finally:
        for container in containers:
            podman("rm", "-f", container, check=False)
        podman("volume", "rm", "-f", volume, check=False)
