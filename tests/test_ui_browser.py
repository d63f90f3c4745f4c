"""The page for people in headless Chromium, network cut off but for 127.0.0.1 (the setup of
tests/test_browser.py): the three views show what they should, the keyboard reaches the
marks, axe-core finds no serious or critical violation at desktop width and at 375 px, and
the console stays clean.

axe-core comes from npm at the version pinned in tests/clients/axe/package-lock.json
(`npm ci` there; .ci/run does it). With CLAIMLINE_SCREENSHOTS=1 the test also saves the
README's screenshots in docs/screenshots/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import PROJECT_ROOT
from tests.conftest import require
from tests.test_browser import _console_errors, _only_loopback, _open, _wait_for, browser

AXE = PROJECT_ROOT / "tests/clients/axe/node_modules/axe-core/axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "docs/screenshots"
DOC_000 = "000_d40e8277d782d5f4"
pytestmark = pytest.mark.slow
__all__ = ["browser"]  # the fixture, shared with tests/test_browser.py


@pytest.fixture(scope="module")
def axe_source() -> str:
    require("axe-core", None if AXE.exists() else f"{AXE} is missing: run `npm ci` in "
            "tests/clients/axe")  # fmt: skip
    return AXE.read_text(encoding="utf-8")


def _visit(driver: Any, url: str, width: int = 1280) -> None:
    driver.set_window_size(width, 900)
    _open(driver, url)
    assert driver.execute_script("return document.readyState") == "complete"


def _axe(driver: Any, source: str) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page."""
    driver.execute_script(source)
    result = driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']})
            .then((r) => done(JSON.stringify(r.violations)))
            .catch((e) => done(JSON.stringify([{id: 'axe-error', impact: 'critical',
                                                 help: String(e), nodes: []}])));"""
    )
    violations: list[dict[str, Any]] = json.loads(result)
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def _clean(driver: Any) -> None:
    assert _console_errors(driver) == []
    _only_loopback(driver)


def _shoot(driver: Any, name: str, height: int = 760, url: str | None = None) -> None:
    """A small PNG of the first screen of the view (or of `url`), for the README
    (CLAIMLINE_SCREENSHOTS=1)."""
    if os.environ.get("CLAIMLINE_SCREENSHOTS") != "1":
        return
    if url is not None:
        driver.get(url)
    driver.set_window_size(1024, height)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def _texts(driver: Any, css: str) -> list[str]:
    return list(
        driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map((n) => n.innerText.trim());",
            css,
        )
    )


VIEWS = {
    "timeline": "/ui?actor=DPRK&from=2024-10&to=2024-12",
    "article": f"/ui/documents/{DOC_000}",
    "figures": "/ui/figures?quantity=troops_killed_or_wounded",
    "as-known": "/ui?known_as_of=2024-10-23",
    "refused": "/ui?from=2024-13",
}


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("view", VIEWS)
def test_axe_finds_no_serious_violation(
    browser: Any, seeded_sqlite_server: str, axe_source: str, view: str, width: int
) -> None:
    _visit(browser, seeded_sqlite_server + VIEWS[view], width)
    assert _axe(browser, axe_source) == []
    # Nothing wider than a phone's screen scrolls the page sideways.
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth;"
    )
    assert overflow <= 0, f"{overflow}px wider than the window at {width}px"
    errors = _console_errors(browser)
    if view == "refused":
        # The page's own status, as the API's (422), which Chromium logs; nothing else.
        assert [e.split(" - ", 1)[1] for e in errors] == [
            "Failed to load resource: the server responded with a status of 422 "
            "(Unprocessable Entity)"
        ]
    else:
        assert errors == []
    _only_loopback(browser)


def test_the_timeline_shows_the_events_and_the_casualty_claim(
    browser: Any, seeded_sqlite_server: str
) -> None:
    base = seeded_sqlite_server
    expected = httpx.get(f"{base}/events", params={
        "actor": "DPRK", "from": "2024-10", "to": "2024-12", "limit": 500}, timeout=10).json()  # fmt: skip
    _visit(browser, base + VIEWS["timeline"])
    titles = _texts(browser, "article.event > h4")
    assert sorted(titles) == sorted(e["title"] for e in expected["data"])
    assert "First North Korean troops arrive in Russia" in titles
    card = browser.find_element(
        "css selector", "article[data-claim='c000-kor-over-1000-casualties']"
    )
    assert card.find_element("css selector", ".claimant").text == "South Korea"
    assert "more than 1,000 soldiers" in card.text and card.is_displayed()
    denial = browser.find_element(
        "css selector", "article[data-claim='c000-dprk-initially-denied-sending-troops']"
    )
    assert denial.find_element("css selector", ".stance").text == "\u2717 DENIES"
    _clean(browser)
    _shoot(browser, "timeline", 900, f"{base}/ui?type=casualties&actor=DPRK")


def test_the_as_known_on_control_replays_a_day(browser: Any, seeded_sqlite_server: str) -> None:
    _visit(browser, f"{seeded_sqlite_server}/ui")
    assert browser.execute_script(
        "return [...document.querySelectorAll('article.claim')]"
        ".some((c) => c.dataset.knownFrom.startsWith('2024-12'));"
    )
    # The form as a person uses it: the date control, then the button.
    browser.execute_script("document.getElementById('f-known_as_of-1').value = '2024-10-23';")
    browser.find_element("css selector", "form.filters button[type=submit]").click()
    # The empty fields the form sends are dropped: the link names only the day.
    _wait_for(browser, "return location.search === '?known_as_of=2024-10-23'")
    known = browser.execute_script(
        "return [...document.querySelectorAll('article.claim')].map((c) => c.dataset.knownFrom);"
    )
    assert known and max(known) <= "2024-10-23"
    assert "December 2024" not in " ".join(_texts(browser, "article.claim .provenance time"))
    assert "As known on 23 October 2024" in browser.find_element("css selector", ".as-known").text
    _clean(browser)


def test_the_article_marks_every_claim_and_a_mark_leads_to_it(
    browser: Any, seeded_sqlite_server: str
) -> None:
    base = seeded_sqlite_server
    claims = httpx.get(f"{base}/claims", params={"document": DOC_000, "limit": 500},
                       timeout=10).json()["data"]  # fmt: skip
    _visit(browser, base + VIEWS["article"])
    marked = browser.execute_script(
        """const out = {};
        for (const a of document.querySelectorAll('.body a.hl')) {
            for (const id of a.dataset.claims.split(' ')) out[id] = (out[id] || '') + a.textContent;
        }
        return out;"""
    )
    assert marked == {c["id"]: c["quote"] for c in claims}
    assert len(marked) == 18
    # Each highlight is a link: the keyboard reaches it, and it shows the claim and its event.
    claim = claims[3]
    link = browser.find_element("css selector", f"#q-{claim['id']}")
    link.send_keys("\n")
    assert browser.execute_script("return document.querySelector(':target').id") == (
        f"claim-{claim['id']}"
    )
    target = browser.find_element("css selector", f"#claim-{claim['id']}")
    assert claim["event"]["title"] in target.text and target.is_displayed()
    _clean(browser)
    browser.execute_script("window.scrollTo(0, 0); history.replaceState(null, '', '#');")
    _shoot(browser, "article")


def test_the_casualties_chart_has_a_mark_per_figure(
    browser: Any, seeded_sqlite_server: str
) -> None:
    _visit(browser, seeded_sqlite_server + VIEWS["figures"])
    boxes = browser.execute_script(
        """return [...document.querySelectorAll('svg a.mark')].map((m) => {
            const b = m.getBBox(); return [m.dataset.claim, b.width > 0 && b.height > 0];
        });"""
    )
    assert boxes == [
        ["c000-kor-over-1000-casualties", True], ["c000-ukr-over-3000-casualties", True],
        ["c002-standfirst-thousands-killed-or-wounded", True],
        ["c002-thousands-killed-or-wounded-in-kursk", True],
    ]  # fmt: skip
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    # The keyboard reaches the marks: Tab from the top lands on the first one.
    focused = ""
    for _ in range(60):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        focused = browser.execute_script(
            "const e = document.activeElement; return e.matches('a.mark') ? e.dataset.claim : '';"
        )
        if focused:
            break
    assert focused == "c000-kor-over-1000-casualties"
    rows = _texts(browser, "table.figures-table tbody tr")
    assert len(rows) == 4 and "more than 1,000 soldiers" in rows[0]
    _clean(browser)
    _shoot(browser, "figures", 900)


def test_no_request_leaves_the_machine(browser: Any, seeded_sqlite_server: str) -> None:
    for url in VIEWS.values():
        _visit(browser, seeded_sqlite_server + url)
        urls = _only_loopback(browser)
        assert f"{seeded_sqlite_server}/ui/static/claimline.css" in urls


def test_screenshots_exist_for_the_readme() -> None:
    """The README shows these three; CLAIMLINE_SCREENSHOTS=1 refreshes them."""
    for name in ("timeline", "article", "figures"):
        path: Path = SCREENSHOTS / f"{name}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size < 400_000, f"{path} is not small"
