"""What changed: each load stamps the records it changes (created_at, updated_at), keeps a
tombstone for each it removes, and GET /changes and `updated_since=` tell a client exactly
which to fetch again. On both databases, with the real seeds and edited copies of them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from app import changes, dataset_meta, migrate
from app.assemble import instant
from app.cursor import encode_change_cursor
from app.db import make_engine
from app.loader import load_dataset, validate_seeds
from app.main import create_app
from app.models import STAMPED_TABLES, claim_via_table, claims_table, tombstones_table
from tests.conftest import SEEDS_DIR
from tests.faulttools import stamps_disagree
from tests.seedtools import edit, find

# The edits of `_edited`, and the records whose JSON each changes.
HEDGED = "c000-earlier-assessments-moscow-asked"  # hedge reported -> alleged
HEDGED_EVENT = "us-intel-dprk-proposed-troops"
RESUMMARISED = "kim-putin-summit-vladivostok-2019"  # summary edited (not in claim rows)
RESUMMARISED_CLAIM = "c002-caption-kim-putin-vladivostok-2019"
REMOVED = "c001-nis-about-3000-sent"  # removed, with its figure
REMOVED_EVENT = "dprk-troops-in-russia-2024-10-23"
REMOVED_DOCUMENT = "001_94a0c47301de76d2"  # its claim count drops
RECODED = "dprk"  # wikidata edited: shown by /actors only
ADDED = "test-new-agency"  # a new actor


def _edited(target: Path) -> Path:
    shutil.copytree(SEEDS_DIR, target, ignore=shutil.ignore_patterns("_proposed"))

    def claims_000(data: Any) -> None:
        find(data["claims"], HEDGED)["hedge"] = "alleged"

    def claims_001(data: Any) -> None:
        data["claims"] = [c for c in data["claims"] if c["id"] != REMOVED]

    def events_002(events: Any) -> None:
        find(events, RESUMMARISED)["summary"] += " (edited)"

    def actors(rows: Any) -> None:
        find(rows, RECODED)["wikidata"] = "Q999999"
        rows.append({"id": ADDED, "name": "Test agency", "kind": "government_agency",
                     "parent": None, "iso3": None, "wikidata": None, "aliases": []})  # fmt: skip

    edit(target / "claims/000_d40e8277d782d5f4.yaml", claims_000)
    edit(target / "claims/001_94a0c47301de76d2.yaml", claims_001)
    edit(target / "events/002_dc97aa6148c96c29.yaml", events_002)
    edit(target / "actors.yaml", actors)
    return target


Stamps = dict[tuple[str, str], tuple[datetime, datetime]]


def _stamps(url: str) -> Stamps:
    """(kind, id) -> (created_at, updated_at) of every record."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                (t.name, r.id): (r.created_at, r.updated_at)
                for t in STAMPED_TABLES
                for r in conn.execute(select(t.c.id, t.c.created_at, t.c.updated_at))
            }
    finally:
        engine.dispose()


def _tombstones(url: str) -> dict[tuple[str, str], datetime]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(tombstones_table))
            return {(r.kind, r.id): r.removed_at for r in rows}
    finally:
        engine.dispose()


def _load(url: str, seeds: Path) -> datetime:
    """Load `seeds`; the instant the load stamped (the latest change after it)."""
    engine = make_engine(url)
    try:
        load_dataset(engine, validate_seeds(seeds))
        with engine.connect() as conn:
            latest = changes.latest(conn)
        assert latest is not None
        assert stamps_disagree(engine) == []
        return latest
    finally:
        engine.dispose()


@contextmanager
def _api(url: str) -> Iterator[TestClient]:
    # A new app per state of the data: the data version is cached for a second.
    with TestClient(create_app(url), base_url="http://127.0.0.1:8000") as client:
        yield client


def _all_changes(client: TestClient, since: str | None, limit: int = 5000) -> list[Any]:
    """Every page of /changes after `since`, followed by its cursor; each page's `until`."""
    params: dict[str, Any] = {"limit": limit}
    if since is not None:
        params["since"] = since
    out: list[Any] = []
    url: str | None = "/changes"
    while url is not None:
        response = client.get(url, params=params if url == "/changes" else None)
        assert response.status_code == 200, response.text
        body = response.json()
        out += body["data"]
        url = body["next"]
        assert (url is None) == ("link" not in response.headers)
    return out


def _grouped(rows: list[Any]) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        out.setdefault(row["change"], {}).setdefault(row["kind"], []).append(row["id"])
    return {change: {k: sorted(ids) for k, ids in kinds.items()} for change, kinds in out.items()}


def test_a_load_that_changes_nothing_changes_no_stamp(seeded_url: str) -> None:
    before, version = _stamps(seeded_url), _version(seeded_url)
    assert len({s for pair in before.values() for s in pair}) == 1  # one instant per load
    _load(seeded_url, SEEDS_DIR)
    assert _stamps(seeded_url) == before
    assert _tombstones(seeded_url) == {}
    assert _version(seeded_url) == version


def _version(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return dataset_meta.read(conn).version
    finally:
        engine.dispose()


def test_a_load_stamps_exactly_what_it_changes(seeded_url: str, tmp_path: Path) -> None:
    before = _stamps(seeded_url)
    (t0,) = {s for pair in before.values() for s in pair}
    t1 = _load(seeded_url, _edited(tmp_path / "seeds"))
    assert t1 > t0
    after = _stamps(seeded_url)
    updated = {("claims", HEDGED), ("events", HEDGED_EVENT), ("events", RESUMMARISED),
               ("events", REMOVED_EVENT), ("documents", REMOVED_DOCUMENT),
               ("actors", RECODED)}  # fmt: skip
    assert after[("actors", ADDED)] == (t1, t1)
    assert ("claims", REMOVED) not in after
    for key, stamps in after.items():
        if key in updated:
            assert stamps == (t0, t1), key
        elif key != ("actors", ADDED):
            assert stamps == (t0, t0), key  # untouched records keep their stamps
    assert _tombstones(seeded_url) == {("claims", REMOVED): t1}

    with _api(seeded_url) as client:
        since = instant(t0)
        response = client.get("/changes", params={"since": since})
        assert response.json()["since"] == since
        assert response.json()["until"] == instant(t1)
        assert _grouped(_all_changes(client, since)) == {
            "created": {"actors": [ADDED]},
            "updated": {"actors": [RECODED], "claims": [HEDGED],
                        "documents": [REMOVED_DOCUMENT],
                        "events": sorted([HEDGED_EVENT, RESUMMARISED, REMOVED_EVENT])},
            "removed": {"claims": [REMOVED]},
        }  # fmt: skip
        assert {row["at"] for row in _all_changes(client, since)} == {instant(t1)}
        assert _all_changes(client, instant(t1)) == []

        # The claim's change moved its event; its sibling claims kept their stamps.
        event = client.get(f"/events/{HEDGED_EVENT}").json()
        assert (event["created_at"], event["updated_at"]) == (instant(t0), instant(t1))
        claims = {c["id"]: c["updated_at"] for c in event["claims"]}
        assert claims.pop(HEDGED) == instant(t1)
        assert set(claims.values()) == {instant(t0)} and len(claims) == 4
        # An event's own edit leaves its claims as they were.
        summit = client.get(f"/events/{RESUMMARISED}").json()
        assert summit["updated_at"] == instant(t1)
        assert [(c["id"], c["updated_at"]) for c in summit["claims"]] == [
            (RESUMMARISED_CLAIM, instant(t0))
        ]


def test_updated_since_selects_the_changed_events(seeded_url: str, tmp_path: Path) -> None:
    (t0,) = {s for pair in _stamps(seeded_url).values() for s in pair}
    t1 = _load(seeded_url, _edited(tmp_path / "seeds"))
    changed = {HEDGED_EVENT, RESUMMARISED, REMOVED_EVENT}
    with _api(seeded_url) as client:

        def ids(path: str, since: str, **more: Any) -> list[str]:
            response = client.get(path, params={"updated_since": since, "limit": 500, **more})
            assert response.status_code == 200, response.text
            return [row["id"] for row in response.json()["data"]]

        events = ids("/events", instant(t0))
        assert sorted(events) == sorted(changed)
        everything = client.get("/events", params={"limit": 500}).json()["data"]
        assert events == [e["id"] for e in everything if e["id"] in changed]  # timeline order
        assert ids("/events", instant(t1)) == []
        assert ids("/events", instant(t0 - timedelta(microseconds=1))) == [
            e["id"] for e in everything
        ]
        # A day is its first instant in UTC; an offset is honoured.
        day = (t0 - timedelta(days=1)).date().isoformat()
        assert len(ids("/events", day)) == len(everything)
        shifted = (t0 + timedelta(hours=2)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        assert sorted(ids("/events", shifted + "+02:00")) == sorted(changed)
        # With other filters, on the fast paths' routes too.
        by_dprk = {e["id"] for e in client.get("/events", params={"actor": "DPRK", "limit": 500})
                   .json()["data"]}  # fmt: skip
        assert set(ids("/events", instant(t0), actor="DPRK")) == changed & by_dprk
        # /claims: the claims of those events.
        claims = client.get("/claims", params={"updated_since": instant(t0), "limit": 500})
        assert {c["event_id"] for c in claims.json()["data"]} == changed
        assert len(claims.json()["data"]) == 5 + 1 + 2  # the removed claim is gone
        facets = client.get("/events/facets", params={"updated_since": instant(t0)}).json()
        assert facets["total"] == 3
        echoed = datetime.fromisoformat(facets["filters"]["updated_since"])
        assert echoed == t0


def test_a_removed_record_added_again_is_created_again(seeded_url: str, tmp_path: Path) -> None:
    t1 = _load(seeded_url, _edited(tmp_path / "seeds"))
    assert _tombstones(seeded_url) == {("claims", REMOVED): t1}
    t2 = _load(seeded_url, SEEDS_DIR)
    assert _tombstones(seeded_url) == {("actors", ADDED): t2}
    stamps = _stamps(seeded_url)
    assert stamps[("claims", REMOVED)] == (t2, t2)
    with _api(seeded_url) as client:
        assert _grouped(_all_changes(client, instant(t1))) == {
            "created": {"claims": [REMOVED]},
            "updated": {"actors": [RECODED], "claims": [HEDGED],
                        "documents": [REMOVED_DOCUMENT],
                        "events": sorted([HEDGED_EVENT, RESUMMARISED, REMOVED_EVENT])},
            "removed": {"actors": [ADDED]},
        }  # fmt: skip
        # From the beginning: every record is created once, every removal is listed.
        everything = _grouped(_all_changes(client, None))
        assert everything["removed"] == {"actors": [ADDED]}
        assert sum(map(len, everything["created"].values())) == len(stamps)
        assert "updated" not in everything


def test_renaming_an_actor_moves_every_record_that_shows_its_name(
    seeded_url: str, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds, ignore=shutil.ignore_patterns("_proposed"))
    edit(seeds / "actors.yaml", lambda rows: find(rows, "nyt").__setitem__("name", "NYT"))
    engine = make_engine(seeded_url)
    with engine.connect() as conn:
        relayed = set(conn.execute(select(claim_via_table.c.claim_id).where(
            claim_via_table.c.actor_id == "nyt")).scalars())  # fmt: skip
        claimed = set(conn.execute(select(claims_table.c.id).where(
            claims_table.c.claimant_id == "nyt")).scalars())  # fmt: skip
        events = set(conn.execute(select(claims_table.c.event_id).where(
            claims_table.c.id.in_(relayed | claimed))).scalars())  # fmt: skip
    engine.dispose()
    assert len(relayed) >= 2  # the seeds' NYT relays claims: the test has something to see
    t1 = _load(seeded_url, seeds)
    moved = {key for key, (_, updated) in _stamps(seeded_url).items() if updated == t1}
    documents = {("documents", d) for d in _outlet_documents(seeded_url, "nyt")}
    assert (
        moved
        == {("actors", "nyt")}
        | {("claims", c) for c in relayed | claimed}
        | {("events", e) for e in events | _acting(seeded_url, "nyt")}
        | documents
    )


def _outlet_documents(url: str, actor: str) -> set[str]:
    from app.models import documents_table

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            query = select(documents_table.c.id).where(documents_table.c.outlet_id == actor)
            return set(conn.execute(query).scalars())
    finally:
        engine.dispose()


def _acting(url: str, actor: str) -> set[str]:
    from app.models import event_actors_table

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            query = select(event_actors_table.c.event_id).where(
                event_actors_table.c.actor_id == actor
            )
            return set(conn.execute(query).scalars())
    finally:
        engine.dispose()


def test_changes_pages_cover_every_record_once(seeded_url: str) -> None:
    with _api(seeded_url) as client:
        whole = _all_changes(client, None)
        paged = _all_changes(client, None, limit=37)
        assert paged == whole
        assert len(whole) == len(_stamps(seeded_url))
        keys = [(row["at"], row["kind"], row["id"]) for row in whole]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        first = client.get("/changes", params={"limit": 2})
        assert [r["id"] for r in first.json()["data"]] == ["afp", "deu"]
        assert first.headers["link"] == f'<{first.json()["next"]}>; rel="next"'


def test_paging_across_a_load_misses_no_change(seeded_url: str, tmp_path: Path) -> None:
    """A load that commits while a client pages moves what it touches past the pages read:
    the client sees those records again, with the new instant."""
    with _api(seeded_url) as client:
        first = client.get("/changes", params={"limit": 5}).json()
    read = [(r["kind"], r["id"]) for r in first["data"]]
    assert ("actors", RECODED) in read  # read before the load changes it
    t1 = _load(seeded_url, _edited(tmp_path / "seeds"))
    with _api(seeded_url) as client:
        rest: list[Any] = []
        url = first["next"]
        while url is not None:
            body = client.get(url).json()
            rest += body["data"]
            url = body["next"]
        assert body["until"] == instant(t1)
    seen = {(r["kind"], r["id"]): r for r in rest}
    assert seen[("actors", RECODED)]["at"] == instant(t1)
    assert seen[("actors", ADDED)]["change"] == "created"
    assert seen[("claims", REMOVED)]["change"] == "removed"
    assert seen[("claims", HEDGED)]["at"] == instant(t1)


def test_changes_are_cached_by_data_version(seeded_url: str, tmp_path: Path) -> None:
    with _api(seeded_url) as client:
        first = client.get("/changes", params={"limit": 3})
        tag = first.headers["etag"]
        again = client.get("/changes", params={"limit": 3}, headers={"If-None-Match": tag})
        assert again.status_code == 304
    _load(seeded_url, _edited(tmp_path / "seeds"))
    with _api(seeded_url) as client:
        response = client.get("/changes", params={"limit": 3}, headers={"If-None-Match": tag})
        assert response.status_code == 200 and response.headers["etag"] != tag


BAD_INSTANTS = ["yesterday", "2026-13-01", "2026-12-07T25:00:00Z", "2026-12-07T10:00:00",
                "2026-12-07T10:00Z", "0001-01-01T00:00:00+01:00", "2026-12-07T10:00:00.1234567Z",
                "\uff12\uff10\uff12\uff16-12-07", ""]  # fmt: skip


def test_malformed_instants_are_422_naming_the_forms(seeded_url: str) -> None:
    with _api(seeded_url) as client:
        for value in BAD_INSTANTS:
            for path, name in [("/events", "updated_since"), ("/claims", "updated_since"),
                               ("/timeline", "updated_since"), ("/figures", "updated_since"),
                               ("/events/facets", "updated_since"), ("/changes", "since")]:  # fmt: skip
                response = client.get(path, params={name: value})
                assert response.status_code == 422, (path, value, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                (error,) = response.json()["errors"]
                assert error["name"] == name
                assert "RFC 3339" in error["reason"] and "YYYY-MM-DD" not in error["reason"]
                assert "2026-12-07T19:52:51Z" in error["reason"]
        forged = encode_change_cursor(datetime.now(UTC), "events", "a\x00b")
        events_cursor = "WyJldmVudHMiLCIyMDI0LTEyLTI0IiwiZHByay1jYXN1YWx0aWVzIl0"
        for cursor in ["abc", events_cursor, forged]:
            response = client.get("/changes", params={"cursor": cursor})
            assert response.status_code == 422
            assert response.json()["errors"][0]["name"] == "cursor"
        assert client.get("/changes", params={"limit": 0}).status_code == 422
        assert client.get("/changes", params={"kind": "events"}).status_code == 400


def test_a_plus_sent_unencoded_still_reads_as_an_offset(seeded_url: str) -> None:
    with _api(seeded_url) as client:
        # `+02:00` in a query string unencoded arrives as ` 02:00`.
        response = client.get("/changes?since=2026-01-01T02:00:00+02:00&limit=1")
        assert response.json()["since"] == "2026-01-01T00:00:00.000000Z"


def test_the_migration_stamps_the_records_there(database_url: str) -> None:
    """Migration 0019 on a loaded database: each record gets the migration's instant for
    both stamps, the pre-rendered events are marked for rendering again, and the data
    version changes (caches must not serve bodies without the stamps)."""
    migrate.upgrade(database_url)
    _load(database_url, SEEDS_DIR)
    migrate.downgrade(database_url, "0018")
    version = _version(database_url)
    started = datetime.now(UTC)
    migrate.upgrade(database_url)
    ended = datetime.now(UTC)
    stamps = {s for pair in _stamps(database_url).values() for s in pair}
    assert len(stamps) == 1 and started <= stamps.pop() <= ended
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            meta = dataset_meta.read(conn)
        assert not meta.derived and meta.version != version
    finally:
        engine.dispose()


def test_generated_data_is_stamped(database_url: str) -> None:
    from bench.generate import generate

    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        generate(engine, 40, seed=2)
        assert stamps_disagree(engine) == []
    finally:
        engine.dispose()
    stamps = _stamps(database_url)
    assert {s for pair in stamps.values() for s in pair} == {next(iter(stamps.values()))[0]}
    with _api(database_url) as client:
        rows = _all_changes(client, None, limit=100)
        assert len(rows) == len(stamps) and {r["change"] for r in rows} == {"created"}
