"""/timeline?format=timelinejs read by Knight Lab's TimelineJS3 itself: the npm package
pinned in tests/clients/timelinejs (`npm ci` there, as .ci/run does), served from local
files to headless Chromium with every host but 127.0.0.1 cut off (tests/test_browser.py's
browser), fed the JSON from a real server. It must build one slide per event, besides the
title slide, with no error in the console or in TimelineJS's own messages."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import require
from tests.test_browser import (  # noqa: F401  (fixtures)
    _console_errors,
    _only_loopback,
    _open,
    _wait_for,
    browser,
    other_origin,
)

pytestmark = pytest.mark.slow
CLIENT_DIR = Path(__file__).parent / "clients" / "timelinejs"
DIST = CLIENT_DIR / "node_modules" / "@knight-lab" / "timelinejs" / "dist"

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>timeline</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="timelinejs/css/timeline.css">
<div id="timeline" style="width: 1000px; height: 650px"></div>
<pre id="log"></pre>
<script>
const errors = [];
const consoleError = console.error;
console.error = (...args) => { errors.push(args.map(String).join(" ")); consoleError(...args); };
window.addEventListener("error", (event) => errors.push(String(event.message)));
</script>
<script src="timelinejs/js/timeline.js"></script>
<script>
(async () => {
  const response = await fetch("__URL__");
  const data = await response.json();
  const timeline = new TL.Timeline("timeline", data, {
    script_path: `${location.origin}/timelinejs/js/`,
    font: null,  // its default font CSS loads web fonts from Google
  });
  timeline.on("ready", () => {
    document.getElementById("log").textContent = JSON.stringify({
      errors,
      config_errors: timeline.config.getErrors(),
      slides: timeline._storyslider._slides.map((slide) => slide.data.unique_id),
      groups: [...new Set(timeline.config.events.map((event) => event.group))],
    });
    document.body.dataset.state = "ready";
  });
})().catch((error) => {
  document.getElementById("log").textContent = JSON.stringify({ errors: [...errors, String(error)] });
  document.body.dataset.state = "failed";
});
</script>
"""


def _installed() -> bool:
    """node_modules holds what package-lock.json pins."""
    recorded = CLIENT_DIR / "node_modules" / ".package-lock.json"
    if not recorded.exists():
        return False
    versions = [
        {k: v.get("version") for k, v in json.loads(path.read_text())["packages"].items() if k}
        for path in (CLIENT_DIR / "package-lock.json", recorded)
    ]
    return versions[0] == versions[1]


@pytest.fixture(scope="module")
def timelinejs() -> Path:
    """TimelineJS's dist folder, installed by `npm ci` when absent or stale."""
    if not _installed():
        npm = shutil.which("npm")
        require("npm", None if npm else "npm not found (apt-get install npm)", "TimelineJS check")
        assert npm is not None
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENT_DIR, check=True,
                       capture_output=True, timeout=300)  # fmt: skip
    assert (DIST / "js" / "timeline.js").is_file()
    return DIST


@pytest.mark.parametrize(
    "query",
    ["actor=DPRK&from=2024-10&to=2024-12", "type=casualties", ""],
    ids=["dprk-autumn-2024", "casualties", "everything"],
)
def test_timelinejs_builds_one_slide_per_event(
    browser: Any,  # noqa: F811
    other_origin: tuple[str, Path],  # noqa: F811
    seeded_sqlite_server: str,
    timelinejs: Path,
    query: str,
) -> None:
    origin, folder = other_origin
    if not (folder / "timelinejs").exists():
        shutil.copytree(timelinejs, folder / "timelinejs")
    url = f"{seeded_sqlite_server}/timeline?format=timelinejs" + (f"&{query}" if query else "")
    expected = httpx.get(url, timeout=10).json()
    events = httpx.get(f"{seeded_sqlite_server}/events?limit=500&{query}", timeout=10).json()
    assert [e["unique_id"] for e in expected["events"]] == [e["id"] for e in events["data"]]
    name = f"timeline-{len(query)}.html"
    (folder / name).write_text(PAGE.replace("__URL__", url), encoding="utf-8")
    _open(browser, f"{origin}/{name}")
    state = _wait_for(browser, "return document.body.dataset.state")
    log = json.loads(browser.find_element("css selector", "#log").text)
    assert state == "ready", log
    assert log["errors"] == [] and log["config_errors"] == []
    # The title slide, then one slide per event, in the timeline's (date) order.
    assert log["slides"][0] == "claimline-title"
    assert sorted(log["slides"][1:]) == sorted(e["id"] for e in events["data"])
    assert set(log["groups"]) == {e["type"] for e in events["data"]}
    rendered = browser.find_elements("css selector", ".tl-slide")
    assert len(rendered) == len(events["data"]) + 1
    _only_loopback(browser)
    assert _console_errors(browser) == []
