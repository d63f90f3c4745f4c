"""In headless Chromium, with every host but 127.0.0.1 cut off: /docs and /redoc render the
API's operations from the app's own assets, and a page on another origin runs README's
`fetch()` example (If-None-Match, then the 304) against a real server.

The browser is Debian's `chromium`, driven by selenium through Debian's `chromium-driver`
(same build, so no driver download): `.ci/run` installs both. Outside CI, without them, the
tests skip and say why; under CI=true they fail.

Cut off: host names resolve to nothing but 127.0.0.1, and every request that is not to
loopback goes to a proxy port that refuses connections. Chromium's DevTools log of the
page's requests is read after each page to check that none was for another host.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.openapi.docs import get_swagger_ui_html

from app.config import PROJECT_ROOT
from tests.conftest import free_port, require, running_server

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
README_BASE = "http://127.0.0.1:8000"
WAIT = 30  # seconds for a page to render; both docs pages take about one here
# A browser start and three servers: about 20 s on 2 cores, left out of the quick loop.
pytestmark = pytest.mark.slow


def _browser_unavailable() -> str | None:
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER))
               if path is None]  # fmt: skip
    if missing:
        return f"{' and '.join(missing)} not found (apt-get install chromium chromium-driver)"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (the dev extra: requirements-dev.lock)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require("the browser tests' tools", _browser_unavailable())
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Bound and never listening: a connection to it is refused, so no request that goes
    # through the proxy (everything but loopback, which Chromium never proxies) gets out.
    with socket.socket() as dead_proxy:
        dead_proxy.bind(("127.0.0.1", 0))
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in (
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            f"--proxy-server=http://127.0.0.1:{dead_proxy.getsockname()[1]}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            # Chromium's own traffic (updates, sync, field trials): none of the page's.
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic",
        ):  # fmt: skip
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        try:
            yield driver
        finally:
            driver.quit()


def _network(driver: Any) -> list[dict[str, Any]]:
    """The DevTools network events since the last call."""
    events = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    return [event for event in events if event["method"].startswith("Network.")]


def _requested(events: list[dict[str, Any]]) -> list[str]:
    return [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]  # fmt: skip


def _console_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _open(driver: Any, url: str) -> None:
    _network(driver)  # drop what earlier pages left in the logs
    _console_errors(driver)
    driver.get(url)


def _wait_for(driver: Any, script: str) -> Any:
    """`script`'s value once it is truthy, polled until WAIT runs out."""
    deadline = time.monotonic() + WAIT
    while not (value := driver.execute_script(script)):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {script}\n{driver.page_source[:2000]}")
        time.sleep(0.1)
    return value


def _only_loopback(driver: Any) -> list[str]:
    """The page's requests; fails if one was for anything but 127.0.0.1."""
    urls = _requested(_network(driver))
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1", url
    return urls


def _operations(base: str) -> dict[tuple[str, str], str]:
    spec = httpx.get(f"{base}/openapi.json", timeout=10).json()
    return {(method.upper(), path): operation["operationId"]
            for path, item in spec["paths"].items() for method, operation in item.items()}  # fmt: skip


def test_swagger_ui_lists_every_operation_offline(browser: Any, seeded_sqlite_server: str) -> None:
    operations = _operations(seeded_sqlite_server)
    _open(browser, f"{seeded_sqlite_server}/docs")
    shown = _wait_for(
        browser,
        f"""
        const blocks = [...document.querySelectorAll('.opblock')];
        return blocks.length >= {len(operations)} && blocks.map((block) => [
            block.querySelector('.opblock-summary-method').textContent,
            block.querySelector('.opblock-summary-path').dataset.path]);""",
    )
    assert {tuple(pair) for pair in shown} == set(operations)
    assert "/events/facets" in browser.find_element("css selector", "#swagger-ui").text
    urls = _only_loopback(browser)
    assert f"{seeded_sqlite_server}/static/swagger-ui/swagger-ui-bundle.js" in urls
    assert f"{seeded_sqlite_server}/openapi.json" in urls
    assert _console_errors(browser) == []


def test_redoc_lists_every_operation_offline(browser: Any, seeded_sqlite_server: str) -> None:
    operations = _operations(seeded_sqlite_server)
    _open(browser, f"{seeded_sqlite_server}/redoc")
    sections = _wait_for(
        browser,
        f"""
        const ids = [...document.querySelectorAll('[data-section-id^="operation/"]')]
            .map((node) => node.dataset.sectionId);
        return ids.length >= {len(operations)} && ids;""",
    )
    assert set(sections) == {f"operation/{op_id}" for op_id in operations.values()}
    text = browser.find_element("css selector", "redoc").text
    for _method, path in operations:
        assert path in text, path
    urls = _only_loopback(browser)
    assert f"{seeded_sqlite_server}/static/redoc/redoc.standalone.js" in urls
    assert _console_errors(browser) == []


# A page on another origin (another port) running README's fetch() example twice; a wrapper
# around fetch records what each call sent and got, and the page writes the events' titles.
PAGE = """<!doctype html>
<meta charset="utf-8">
<title>another origin</title>
<link rel="icon" href="data:,">
<ol id="first"></ol>
<ol id="second"></ol>
<pre id="log"></pre>
<script>
const calls = [];
const browserFetch = window.fetch;
window.fetch = async (url, init) => {
  const response = await browserFetch(url, init);
  const sent = (init && init.headers && init.headers["If-None-Match"]) || null;
  calls.push({ url: String(url), sent, status: response.status });
  return response;
};
</script>
<script>
__EXAMPLE__
</script>
<script>
const show = (id, rows) => {
  for (const row of rows) {
    const item = document.createElement("li");
    item.textContent = row.title;
    document.getElementById(id).append(item);
  }
};
(async () => {
  show("first", await refresh());
  show("second", await refresh());
  document.getElementById("log").textContent = JSON.stringify({ calls, etag });
  document.body.dataset.state = "done";
})().catch((error) => {
  document.getElementById("log").textContent = String(error);
  document.body.dataset.state = "failed";
});
</script>
"""


def _readme_fetch_example() -> str:
    match = re.search(r"<!-- fetch-example -->\n```js\n(.+?)\n```", README, re.S)
    assert match, "README has no fetch() example"
    return match.group(1)


@pytest.fixture(scope="module")
def other_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A plain static server on its own port (another origin than any API server), serving
    the files put in the folder it yields."""
    folder = tmp_path_factory.mktemp("origin")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base, folder
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _run_page(browser: Any, other_origin: tuple[str, Path], api: str) -> tuple[str, Any]:
    origin, folder = other_origin
    name = f"page-{urlsplit(api).port}.html"
    example = _readme_fetch_example().replace(README_BASE, api)
    (folder / name).write_text(PAGE.replace("__EXAMPLE__", example), encoding="utf-8")
    _open(browser, f"{origin}/{name}")
    state = _wait_for(browser, "return document.body.dataset.state")
    return state, browser.find_element("css selector", "#log").text


def _titles(browser: Any, list_id: str) -> list[str]:
    return [item.text for item in browser.find_elements("css selector", f"#{list_id} li")]


@pytest.fixture(params=["any origin", "listed origins"])
def cors_api(
    request: pytest.FixtureRequest, other_origin: tuple[str, Path], seeded_sqlite_server: str
) -> Iterator[tuple[str, str]]:
    """The API as deployed by default (`*`), and with CLAIMLINE_CORS_ORIGINS naming the
    page's origin among others (echoed back); with the Access-Control-Allow-Origin due."""
    if request.param == "any origin":
        yield seeded_sqlite_server, "*"
        return
    page_origin = other_origin[0]
    url = request.getfixturevalue("seeded_sqlite_url")
    env = {"CLAIMLINE_CORS_ORIGINS": f"https://app.example, {page_origin}"}
    with running_server(url, env=env) as base:
        yield base, page_origin


def test_a_page_on_another_origin_reads_events_and_gets_a_304(
    browser: Any, other_origin: tuple[str, Path], cors_api: tuple[str, str]
) -> None:
    api, allowed = cors_api
    assert urlsplit(other_origin[0]).port != urlsplit(api).port
    expected = httpx.get(f"{api}/events", params={"actor": "DPRK"}, timeout=10)
    titles = [event["title"] for event in expected.json()["data"]]
    assert len(titles) > 10

    state, log = _run_page(browser, other_origin, api)
    assert state == "done", log
    assert _titles(browser, "first") == titles
    assert _titles(browser, "second") == titles
    record = json.loads(log)
    # The ETag is exposed to the page; sent back, it gets a 304 that reaches the page (a
    # request that sets If-None-Match itself bypasses the HTTP cache), and the page keeps
    # the events it has. (The tag is the browser's own: it may differ from httpx's where
    # each content encoding has its own.)
    tag = record["etag"]
    assert re.fullmatch(r'(W/)?"[^"]+"', tag), tag
    url = f"{api}/events?actor=DPRK"
    assert record["calls"] == [{"url": url, "sent": None, "status": 200},
                               {"url": url, "sent": tag, "status": 304}]  # fmt: skip
    events = _network(browser)
    assert _console_errors(browser) == []
    sent = [e["params"]["request"] for e in events if e["method"] == "Network.requestWillBeSent"]
    for request in sent:
        assert urlsplit(request["url"]).hostname == "127.0.0.1", request["url"]
    # The conditional request, and it alone, was preflighted (If-None-Match is not a
    # CORS-safelisted header).
    to_api = [r for r in sent if r["url"] == url]
    gets = [r for r in to_api if r["method"] == "GET"]
    preflights = [r for r in to_api if r["method"] == "OPTIONS"]
    assert (len(gets), len(preflights), len(to_api)) == (2, 1, 3), to_api
    (first, conditional), (preflight,) = gets, preflights
    assert "If-None-Match" not in first["headers"]
    assert preflight["headers"]["Access-Control-Request-Headers"].lower() == "if-none-match"
    assert conditional["headers"]["If-None-Match"] == tag
    get_ids = {e["params"]["requestId"] for e in events if e["method"] == "Network.requestWillBeSent"
               and e["params"]["request"] in gets}  # fmt: skip
    responses = [e["params"]["response"] for e in events if e["method"] == "Network.responseReceived"
                 and e["params"]["requestId"] in get_ids]  # fmt: skip
    assert sorted(r["status"] for r in responses) == [200, 304], responses
    for response in responses:
        headers = {name.lower(): value for name, value in response["headers"].items()}
        assert headers["access-control-allow-origin"] == allowed
        assert headers["etag"] == tag


def test_an_origin_left_out_is_refused_by_the_browser(
    browser: Any, other_origin: tuple[str, Path], seeded_sqlite_url: str
) -> None:
    """The control for the test above: with the page's origin not allowed, the same page
    fails, and the console says why."""
    env = {"CLAIMLINE_CORS_ORIGINS": "https://app.example"}
    with running_server(seeded_sqlite_url, env=env) as api:
        state, log = _run_page(browser, other_origin, api)
        assert (state, log) == ("failed", "TypeError: Failed to fetch")
        assert _titles(browser, "first") == []
        errors = _console_errors(browser)
    assert any("blocked by CORS policy" in error and "Access-Control-Allow-Origin" in error
               for error in errors), errors  # fmt: skip


def test_fastapis_stock_docs_page_stays_blank_here(
    browser: Any, other_origin: tuple[str, Path], seeded_sqlite_server: str
) -> None:
    """The control for the docs tests: FastAPI's own page, whose assets are on a CDN, gets
    nothing in this browser, so the pages above rendered from the app's own files."""
    origin, folder = other_origin
    stock = get_swagger_ui_html(openapi_url=f"{seeded_sqlite_server}/openapi.json", title="stock")
    (folder / "stock-docs.html").write_text(bytes(stock.body).decode(), encoding="utf-8")
    _open(browser, f"{origin}/stock-docs.html")
    _wait_for(browser, "return document.readyState === 'complete'")
    assert browser.execute_script("return typeof SwaggerUIBundle") == "undefined"
    assert browser.find_elements("css selector", ".opblock") == []
    events = _network(browser)
    failed = {e["params"]["requestId"] for e in events if e["method"] == "Network.loadingFailed"}
    cdn = [e for e in events if e["method"] == "Network.requestWillBeSent"
           and urlsplit(e["params"]["request"]["url"]).hostname == "cdn.jsdelivr.net"]  # fmt: skip
    assert len(cdn) == 2 and all(e["params"]["requestId"] in failed for e in cdn), cdn


def test_ci_installs_the_browser() -> None:
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install = re.search(r"apt-get install -y -qq ([^\n>]+)", ci)
    assert install and {"chromium", "chromium-driver"} <= set(install.group(1).split())
    assert ci.index("apt-get install") < ci.index('eval "$test_command"')
