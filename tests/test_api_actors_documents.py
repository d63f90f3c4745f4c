"""/actors, /documents and the health checks, through a real server."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import event as sa_event

from app import migrate
from app.main import create_app
from tests.conftest import SEEDS_DIR


def test_actors_with_aliases_parent_and_children(api: httpx.Client) -> None:
    actors = {a["id"]: a for a in api.get("/actors").json()}
    assert len(actors) == 39
    nis = actors["kor-nis"]
    assert nis["parent_id"] == "kor" and nis["kind"] == "government_agency"
    assert {"name": "NIS", "lang": "en"} in nis["aliases"]
    assert actors["kor"]["children"] == [
        "kor-lawmakers",
        "kor-nis",
        "kor-officials",
        "yoon-suk-yeol",
    ]
    assert (actors["dprk"]["iso3"], actors["dprk"]["wikidata"]) == ("PRK", "Q423")


def test_actor_filters(api: httpx.Client) -> None:
    outlets = [a["id"] for a in api.get("/actors", params={"kind": "news_outlet"}).json()]
    assert outlets == [
        "afp",
        "euronews",
        "joongang-ilbo",
        "nyt",
        "thanh-nien",
        "world-news-group",
        "yonhap",
    ]
    found = [a["id"] for a in api.get("/actors", params={"q": "CORÉE"}).json()]
    # "coree" is inside "nord-coréens", "sud-coréenne" (Yonhap's French alias), …
    assert found == ["dprk", "dprk-army", "dprk-officials", "kor", "kor-lawmakers", "kor-nis",
                     "kor-officials", "yonhap", "yoon-suk-yeol"]  # fmt: skip
    assert [a["id"] for a in api.get("/actors", params={"q": "zelensk"}).json()] == ["zelensky"]
    assert api.get("/actors/dprk").json()["name"] == "North Korea"


def test_documents_metadata_and_text(api: httpx.Client) -> None:
    docs = api.get("/documents").json()
    assert [d["id"] for d in docs] == [
        "001_94a0c47301de76d2", "003_be698a539550e54e", "004_6af0ef2c71c73676",
        "000_d40e8277d782d5f4", "002_dc97aa6148c96c29"]  # fmt: skip
    assert "text" not in docs[0]
    assert sum(d["claim_count"] for d in docs) == 116
    doc = api.get("/documents/004_6af0ef2c71c73676").json()
    assert doc["published"]["edtf"] == "2024-10-23/2024-11-24"
    assert doc["published_confidence"] == "low" and doc["outlet"] is None
    raw = (SEEDS_DIR / "documents" / "004_6af0ef2c71c73676.txt").read_bytes()
    assert doc["text"].encode("utf-8") == raw
    assert doc["sha256"] == hashlib.sha256(raw).hexdigest()


def test_health(api: httpx.Client) -> None:
    assert api.get("/healthz").json() == {"status": "ok", "checks": {}}
    ready = api.get("/readyz").json()
    assert ready == {"status": "ok", "checks": {"schema": migrate.head_revision(), "documents": 5}}


def test_readiness_reads_the_recorded_document_count(loaded_url: str) -> None:
    """A probe on a large database must not count the documents table each time."""
    statements: list[str] = []
    with TestClient(create_app(loaded_url)) as client:
        engine = client.app.state.claimline.engine  # type: ignore[attr-defined]

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement.lower())

        sa_event.listen(engine, "before_cursor_execute", record)
        try:
            ready = client.get("/readyz").json()
        finally:
            sa_event.remove(engine, "before_cursor_execute", record)
    assert ready["checks"]["documents"] == 5
    assert statements and not any("count(" in s for s in statements), statements
