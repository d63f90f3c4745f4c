"""README's shell examples run as written, with the real curl and jq, against a real server.
(tests/test_project_files.py also checks each plain `curl -s 'URL'` line's status; the
browser `fetch()` example runs in Chromium in tests/test_browser.py.)"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import feedparser
import httpx
import pytest

from app.config import PROJECT_ROOT
from tests.conftest import require

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
README_BASE = "http://127.0.0.1:8000"
SEPARATOR = "@@ next example @@"


def _examples() -> list[str]:
    """Every curl command in README's sh blocks, one a line, in order."""
    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", README, re.S | re.M):
        lines += [line for line in block.splitlines() if line.startswith("curl ")]
    return lines


EXAMPLES = _examples()


@pytest.fixture(scope="module")
def tools() -> None:
    missing = [name for name in ("curl", "jq") if shutil.which(name) is None]
    if missing:
        require("curl and jq", f"{' and '.join(missing)} not installed (apt-get install curl jq)")


def test_readme_shows_jq_urlencode_and_conditional_requests() -> None:
    assert any("| jq" in line for line in EXAMPLES)
    assert any(line.startswith("curl -sG") and "--data-urlencode 'actor=north korea'" in line
               for line in EXAMPLES)  # fmt: skip
    assert any("--etag-compare" in line for line in EXAMPLES)
    assert all(README_BASE in line for line in EXAMPLES)


def test_every_readme_curl_example_works(
    tools: None, seeded_sqlite_server: str, tmp_path: Path
) -> None:
    """One shell runs them all in order (`--etag-compare` reads the file `--etag-save`
    wrote); with pipefail, a jq filter that fails on an error body fails the run."""
    script = "\n".join(f"echo '{SEPARATOR}'\n{line}" for line in EXAMPLES)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(README_BASE, seeded_sqlite_server)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    outputs = result.stdout.split(f"{SEPARATOR}\n")[1:]
    assert len(outputs) == len(EXAMPLES)
    for line, out in zip(EXAMPLES, outputs, strict=True):
        if "--etag-save" in line:
            assert out == "" and (tmp_path / "events.etag").read_text().startswith('"'), line
        elif "--etag-compare" in line:
            assert out == "304\n", line  # the ETag saved by the line before
        elif "-sOJ" in line or (" -o " in line and "/dev/null" not in line):
            saved = out.strip() or re.search(r" -o (\S+)", line).group(1)  # type: ignore[union-attr]
            _check_download(tmp_path / saved, line)
        elif line.startswith("curl -sI"):
            head = out.lower()
            assert head.startswith("http/1.1 200 ok") and "\netag: " in head, line
        elif "| jq" in line:
            values = out.splitlines()
            assert values and "null" not in values, line
            if "length" in line:
                assert int(values[0]) > 0, line
        else:
            json.loads(out)  # plain `curl -s`: a JSON body (statuses: test_project_files)


def _check_download(path: Path, line: str) -> None:
    """A saved export (README's "For journalists"): its real parser reads rows from it."""
    data = path.read_bytes()
    if path.suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        assert rows and rows[0]["event_id"], line
    else:
        assert path.suffix == ".atom", line
        feed = feedparser.parse(data)
        assert not feed.bozo and feed.entries, line


def test_the_urlencoded_example_asks_what_the_api_answers(
    tools: None, seeded_sqlite_server: str
) -> None:
    """`-G --data-urlencode 'actor=north korea'` reaches the API as the alias, spaces and all."""
    line = next(line for line in EXAMPLES if "'actor=north korea'" in line)
    command = line.replace(README_BASE, seeded_sqlite_server)
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", command], capture_output=True,
                         text=True, timeout=60, check=True).stdout  # fmt: skip
    expected = httpx.get(f"{seeded_sqlite_server}/events",
                         params={"actor": "north korea", "context": "exclude", "limit": 2}).json()  # fmt: skip
    assert out.splitlines() == [event["id"] for event in expected["data"]]
    # News, not the background the articles recall (2011, 2019).
    assert out.splitlines() == [
        "dprk-instructors-in-occupied-ukraine",
        "dprk-deployment-to-russia-2024",
    ]
    assert len(expected["data"]) == 2


def test_the_first_example_shows_troop_news(api: httpx.Client) -> None:
    """Issue 28: the README opens on North Korea's troops, not on its 2011 and 2019 past."""
    first = EXAMPLES[0].removeprefix("curl -s ").strip("'").removeprefix(README_BASE)
    events = api.get(first).json()["data"]
    assert [(e["id"], e["context"]) for e in events] == [
        ("dprk-instructors-in-occupied-ukraine", False), ("dprk-deployment-to-russia-2024", False),
    ]  # fmt: skip
