"""Compressed responses: the coding chosen by Accept-Encoding, one representation (cache entry,
strong ETag) per coding, Vary, HEAD and 304s, through the app and through real uvicorn."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from typing import Any

import brotli
import httpx
import pytest
import zstandard
from fastapi.testclient import TestClient

from app.api.compression import negotiate
from app.config import Settings, SettingsError
from app.main import create_app
from tests.conftest import recorded_statements


def _unzstd(data: bytes) -> bytes:
    # A decompressobj, so that a frame without its content size decodes too.
    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


DECODE: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": _unzstd,
}
CODINGS = ("identity", *DECODE)
# The general route's largest page, and a URL the pure-ASGI fast route answers.
BIG = "/events?limit=500"
FAST = "/events?actor=DPRK"
SMALL = "/actors/dprk"


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        ("", ""),
        ("identity", ""),
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("GZip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("deflate", ""),
        # Browsers: equal weights go to the cheapest coding.
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip, deflate, br", "br"),
        # q-values decide before the server's order.
        ("gzip;q=1, br;q=0.5, zstd;q=0.4", "gzip"),
        ("br;q=0.2, gzip;q=0.8", "gzip"),
        ("zstd;q=0, br;q=0, gzip", "gzip"),
        ("gzip;q=0", ""),
        ("gzip; q=0.5", "gzip"),
        ("gzip;level=1;q=0.7, br;q=0.6", "gzip"),
        ("gzip;q=2, br;q=0.1", "br"),  # a malformed q-value refuses its coding
        ("gzip;q=abc", ""),
        # `*` stands for every coding not named.
        ("*", "zstd"),
        ("*;q=0.5, br", "br"),
        ("*, zstd;q=0", "br"),
        ("*;q=0", ""),
        # identity competes when named.
        ("gzip;q=0.5, identity", ""),
        ("gzip, identity;q=0.5", "gzip"),
        ("gzip, identity;q=0", "gzip"),
        ("identity;q=0", ""),  # nothing else acceptable: the body is sent as it is
    ],
)
def test_negotiation(header: str, coding: str) -> None:
    assert negotiate(header.encode()) == coding


def test_the_threshold_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().compress_min_bytes == 1000
    monkeypatch.setenv("CLAIMLINE_COMPRESS_MIN_BYTES", "0")
    assert Settings.from_env().compress_min_bytes == 0
    monkeypatch.setenv("CLAIMLINE_COMPRESS_MIN_BYTES", "-1")
    with pytest.raises(SettingsError, match=r"^CLAIMLINE_COMPRESS_MIN_BYTES: '-1' is not valid"):
        Settings.from_env()


@pytest.fixture(scope="module")
def client(loaded_url: str) -> Iterator[TestClient]:
    """The app on the seeds (SQLite and PostgreSQL), its data version trusted for the module."""
    with TestClient(create_app(loaded_url, meta_ttl=3600)) as client:
        yield client


def fetch(
    client: httpx.Client, url: str, coding: str, method: str = "GET", **headers: str
) -> tuple[httpx.Response, bytes]:
    """The response to a request accepting `coding` alone, and its body as sent (httpx would
    decode `content`)."""
    with client.stream(method, url, headers={"Accept-Encoding": coding, **headers}) as response:
        return response, b"".join(response.iter_raw())


def _decoded(response: httpx.Response, raw: bytes, coding: str) -> bytes:
    assert int(response.headers["content-length"]) == len(raw)
    if coding == "identity":
        assert "content-encoding" not in response.headers
        return raw
    assert response.headers["content-encoding"] == coding
    return DECODE[coding](raw)


@pytest.mark.parametrize("url", [BIG, FAST])
def test_every_coding_decodes_to_the_plain_body(client: TestClient, url: str) -> None:
    plain, raw = fetch(client, url, "identity")
    assert plain.status_code == 200 and len(raw) > 20_000
    for coding in DECODE:
        response, body = fetch(client, url, coding)
        assert response.status_code == 200
        assert len(body) < len(raw) / 4, coding
        assert _decoded(response, body, coding) == raw, coding
        assert json.loads(DECODE[coding](body)) == json.loads(raw)
        assert response.headers.get("link") == plain.headers.get("link")


def test_vary_and_one_etag_per_representation(client: TestClient) -> None:
    etags = {}
    for coding in CODINGS:
        response, _ = fetch(client, FAST, coding)
        assert "accept-encoding" in response.headers["vary"].lower()
        etags[coding] = response.headers["etag"]
        assert etags[coding].startswith('"') and not etags[coding].startswith("W/")
    assert len(set(etags.values())) == len(CODINGS)
    base = etags["identity"].strip('"')
    assert etags == {c: f'"{base}-{c}"' if c != "identity" else f'"{base}"' for c in CODINGS}
    # A 304 only confirms the representation the request would be sent.
    for asked in CODINGS:
        for held in CODINGS:
            response, body = fetch(client, FAST, asked, **{"If-None-Match": etags[held]})
            if asked == held:
                assert (response.status_code, body) == (304, b"")
                assert response.headers["etag"] == etags[asked]
                assert response.headers["cache-control"] == "public, no-cache"
                assert "accept-encoding" in response.headers["vary"].lower()
                # RFC 9110 8.6: a 304's Content-Length could only be the 200's.
                assert "content-length" not in response.headers
            else:
                assert response.status_code == 200, (asked, held)
                assert response.headers["etag"] == etags[asked]
                assert _decoded(response, body, asked)
    # Several tags: the matching one among them suffices.
    listed = f"{etags['br']}, {etags['gzip']}"
    assert fetch(client, FAST, "gzip", **{"If-None-Match": listed})[0].status_code == 304
    assert fetch(client, FAST, "identity", **{"If-None-Match": listed})[0].status_code == 200


def test_head_has_the_compressed_length_and_etag(client: TestClient) -> None:
    for coding in CODINGS:
        get, body = fetch(client, BIG, coding)
        head, nothing = fetch(client, BIG, coding, method="HEAD")
        assert (head.status_code, nothing) == (200, b"")
        assert int(head.headers["content-length"]) == len(body)
        for name in ("etag", "content-encoding", "vary", "content-type"):
            assert head.headers.get(name) == get.headers.get(name), (coding, name)


def test_a_cache_hit_serves_the_stored_bytes_without_compressing_again(
    loaded_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMLINE_CACHE_HEADER", "true")
    app = create_app(loaded_url, meta_ttl=3600)
    counts = app.state.compression.compressed
    with TestClient(app) as client:
        engine = app.state.claimline.engine
        for coding in DECODE:
            first, body = fetch(client, FAST, coding)
            assert (first.headers["claimline-cache"], counts[coding]) == ("miss", 1)
            with recorded_statements(engine) as statements:
                for _ in range(3):
                    again, same = fetch(client, FAST, coding)
                    assert again.headers["claimline-cache"] == "hit"
                    assert (same, again.headers["etag"]) == (body, first.headers["etag"])
                    assert again.headers["content-encoding"] == coding
                    assert int(again.headers["content-length"]) == len(same)
            assert statements == [] and counts[coding] == 1, coding
        # The identity representation is an entry of its own, never a decoded one.
        plain, raw = fetch(client, FAST, "identity")
        assert plain.headers["claimline-cache"] == "miss"
        assert fetch(client, FAST, "identity")[1] == raw
        assert sum(counts.values()) == len(DECODE)
    # With the cache off, the counts move on every request: they do count compressions.
    monkeypatch.setenv("CLAIMLINE_RESPONSE_CACHE_MIB", "0")
    app = create_app(loaded_url, meta_ttl=3600)
    with TestClient(app) as client:
        for _ in range(2):
            fetch(client, FAST, "gzip")
        assert app.state.compression.compressed["gzip"] == 2


def test_small_bodies_are_sent_as_they_are(
    seeded_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(seeded_sqlite_url)) as client:
        size = len(fetch(client, SMALL, "identity")[1])
    assert size < 1000  # the default threshold
    for threshold, compressed in ((size + 1, False), (size, True)):
        monkeypatch.setenv("CLAIMLINE_COMPRESS_MIN_BYTES", str(threshold))
        with TestClient(create_app(seeded_sqlite_url)) as client:
            for coding in DECODE:
                response, body = fetch(client, SMALL, coding)
                assert ("content-encoding" in response.headers) is compressed
                assert (len(body) == size) is not compressed
                # The coding's representation all the same: its tag, and Vary.
                assert response.headers["etag"].endswith(f'-{coding}"')
                assert "accept-encoding" in response.headers["vary"].lower()


def test_problems_and_uncached_routes_are_compressed(
    seeded_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMLINE_COMPRESS_MIN_BYTES", "100")
    with TestClient(create_app(seeded_sqlite_url)) as client:
        problem, body = fetch(client, "/events?actor=DPRKK", "br")
        assert problem.status_code == 422
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.headers["content-encoding"] == "br"
        assert json.loads(brotli.decompress(body))["status"] == 422
        spec, body = fetch(client, "/openapi.json", "gzip")
        assert spec.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in spec.headers["vary"].lower()
        assert json.loads(gzip.decompress(body))["openapi"]
        # Below the threshold still.
        health, body = fetch(client, "/healthz", "gzip")
        assert "content-encoding" not in health.headers and json.loads(body)


def test_through_uvicorn(api: httpx.Client) -> None:
    """Real HTTP: each coding decodes to the plain body, its Content-Length is what was sent,
    HEAD and 304 carry the headers of that representation alone."""
    plain, raw = fetch(api, FAST, "identity")
    tags: dict[str, Any] = {"identity": plain.headers["etag"]}
    for coding in ("gzip", "br", "zstd"):
        response, body = fetch(api, FAST, coding)
        assert _decoded(response, body, coding) == raw
        tags[coding] = response.headers["etag"]
        head, nothing = fetch(api, FAST, coding, method="HEAD")
        assert (nothing, head.headers["content-length"]) == (b"", str(len(body)))
        assert head.headers["etag"] == tags[coding]
        assert head.headers["content-encoding"] == coding
        not_modified, _ = fetch(api, FAST, coding, **{"If-None-Match": tags[coding]})
        assert not_modified.status_code == 304
        assert not_modified.headers["etag"] == tags[coding]
        assert "accept-encoding" in not_modified.headers["vary"].lower()
        assert "transfer-encoding" not in not_modified.headers
        # The compressed tag from a client that reads identity only: the whole body.
        wrong, body = fetch(api, FAST, "identity", **{"If-None-Match": tags[coding]})
        assert (wrong.status_code, body) == (200, raw)
    assert len(set(tags.values())) == 4
    # A browser's header: the fastest coding; curl's default (no header): identity.
    browser = api.get(BIG, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert browser.headers["content-encoding"] == "zstd" and browser.json()["data"]
    # q-values before the server's order; a named identity competes.
    weighted = api.get(FAST, headers={"Accept-Encoding": "br;q=0.5, gzip, zstd;q=0"})
    assert weighted.headers["content-encoding"] == "gzip"
    assert weighted.headers["etag"] == tags["gzip"]
    plain_first = api.get(FAST, headers={"Accept-Encoding": "gzip;q=0.5, identity"})
    assert "content-encoding" not in plain_first.headers
    assert plain_first.headers["etag"] == tags["identity"]
    with httpx.Client(base_url=str(api.base_url)) as bare:
        bare.headers.pop("Accept-Encoding")
        response = bare.get(BIG)
        assert "content-encoding" not in response.headers
        assert int(response.headers["content-length"]) == len(response.content)
