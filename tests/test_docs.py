"""/docs and /redoc load nothing from outside the app: their assets are vendored in
app/static/ (app/api/docs.py) and served by a real server. tests/test_browser.py renders them
in Chromium with the network cut."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

import httpx
import pytest

from app.api.docs import STATIC_DIR

PAGES = ("/docs", "/redoc")


class _AssetUrls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.urls.append(value)


@pytest.mark.parametrize("page", PAGES)
def test_the_docs_pages_name_no_other_host(api: httpx.Client, page: str) -> None:
    response = api.get(page)
    assert response.status_code == 200
    html = response.text
    # Not one absolute URL: no CDN, no Google fonts, no favicon from elsewhere.
    assert re.findall(r"https?://", html) == []
    parser = _AssetUrls()
    parser.feed(html)
    assert len(parser.urls) >= 3, parser.urls  # script, favicon, and the spec or the CSS
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = api.get(url)
        assert asset.status_code == 200, url
        if url.startswith("/static/"):
            assert asset.content == (STATIC_DIR / url.removeprefix("/static/")).read_bytes()


def test_the_assets_have_their_types(api: httpx.Client) -> None:
    types = {
        "/static/swagger-ui/swagger-ui-bundle.js": "text/javascript",
        "/static/swagger-ui/swagger-ui.css": "text/css",
        "/static/swagger-ui/favicon-32x32.png": "image/png",
        "/static/redoc/redoc.standalone.js": "text/javascript",
    }
    # Uncompressed, so that Content-Length is the file's length whatever the server encodes.
    plain = {"Accept-Encoding": "identity"}
    for url, media_type in types.items():
        response = api.get(url, headers=plain)
        assert response.headers["content-type"].split(";")[0] == media_type, url
        head = api.head(url, headers=plain)
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-length"] == str(len(response.content))
        assert response.content == (STATIC_DIR / url.removeprefix("/static/")).read_bytes()
    missing = api.get("/static/redoc/redoc.js")
    assert (missing.status_code, missing.headers["content-type"]) == (
        404, "application/problem+json")  # fmt: skip
    posted = api.post("/static/redoc/redoc.standalone.js")
    assert (posted.status_code, posted.headers["allow"]) == (405, "GET, HEAD, OPTIONS")


def test_the_vendored_files_are_the_pinned_ones() -> None:
    """Each file is the one SOURCES.md names, byte for byte, with its licence beside it."""
    listed = {}
    for line in (STATIC_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        listed[name] = digest
    files = {
        str(path.relative_to(STATIC_DIR))
        for path in STATIC_DIR.rglob("*")
        if path.is_file() and path.parent != STATIC_DIR
    }
    assert files == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name
    for folder in ("swagger-ui", "redoc"):
        assert "LICENSE" in (STATIC_DIR / folder / "LICENSE").read_text()[:2000].upper()
    sources = (STATIC_DIR / "SOURCES.md").read_text()
    assert "| `swagger-ui-dist` | 5.36.0 |" in sources and "| `redoc` | 2.5.4 |" in sources
    # The one line changed from the published file (SOURCES.md): ReDoc's logo from its CDN.
    assert "cdn.redoc.ly" not in (STATIC_DIR / "redoc/redoc.standalone.js").read_text()
    for bundle in ("swagger-ui/swagger-ui-bundle.js", "redoc/redoc.standalone.js"):
        first_line = (STATIC_DIR / bundle).read_text().split("\n", 1)[0]
        assert "license information please see" in first_line
        assert f"{bundle}.LICENSE.txt" in listed


def test_the_pages_follow_a_root_path() -> None:
    """Behind a proxy that mounts the app under a prefix, every URL the pages name carries
    it, as on FastAPI's own pages."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    client = TestClient(create_app("sqlite://"), root_path="/claimline")  # no lifespan: no data
    for page in PAGES:
        parser = _AssetUrls()
        parser.feed(client.get(page).text)
        assert parser.urls and all(u.startswith("/claimline/") for u in parser.urls), page
    docs = client.get("/docs").text
    assert "window.location.origin + '/claimline/docs/oauth2-redirect'" in docs
