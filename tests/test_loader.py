"""The loader: real seeds load, re-runs are no-ops, edits and removals apply, bad seeds fail
with file:record:field messages and leave the database exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from app import migrate
from app.loader import SeedError, load_dataset, validate_seeds
from app.models import Claim, Document, Figure
from tests.conftest import SEEDS_DIR
from tests.seedtools import edit, find, read, snapshot, write

DOC = "000_d40e8277d782d5f4"
CLAIMS_FILE = f"claims/{DOC}.yaml"


def _load(engine: Engine, url: str, seeds: Path) -> Any:
    migrate.upgrade(url)
    return load_dataset(engine, validate_seeds(seeds))


def test_real_seeds_load_with_every_quote_at_its_offset(engine: Engine, database_url: str) -> None:
    dataset = validate_seeds(SEEDS_DIR)
    summary = _load(engine, database_url, SEEDS_DIR)
    assert summary.tables["claims"].inserted == dataset.count("claims")
    assert dataset.count("documents") == 5
    assert dataset.count("claims") > 50
    with engine.connect() as conn:
        rows = conn.execute(
            select(Claim.quote, Claim.quote_start, Claim.quote_end, Document.text).join(
                Document, Document.id == Claim.document_id
            )
        ).all()
        cited = conn.execute(select(func.count(func.distinct(Claim.document_id)))).scalar_one()
    assert len(rows) == dataset.count("claims")
    assert cited == 5
    for quote, start, end, text in rows:
        assert text[start:end] == quote


def test_second_load_changes_nothing(engine: Engine, database_url: str) -> None:
    _load(engine, database_url, SEEDS_DIR)
    before = snapshot(engine)
    summary = _load(engine, database_url, SEEDS_DIR)
    assert not summary.changed
    assert snapshot(engine) == before


def test_edited_record_is_updated_and_removed_record_removed(
    engine: Engine, seeded_url: str, seeds_copy: Path
) -> None:
    claims = read(seeds_copy / CLAIMS_FILE)
    edited, removed = claims["claims"][0], claims["claims"][1]
    edited["note"] = "edited by the test"
    claims["claims"].remove(removed)
    write(seeds_copy / CLAIMS_FILE, claims)

    summary = _load(engine, seeded_url, seeds_copy)

    assert (summary.tables["claims"].updated, summary.tables["claims"].deleted) == (1, 1)
    assert summary.tables["claims"].inserted == 0
    with engine.connect() as conn:
        note = conn.execute(select(Claim.note).where(Claim.id == edited["id"])).scalar_one()
        gone = conn.execute(select(func.count()).where(Claim.id == removed["id"])).scalar_one()
        orphans = conn.execute(
            select(func.count()).select_from(Figure).where(Figure.claim_id == removed["id"])
        ).scalar_one()
    assert (note, gone, orphans) == ("edited by the test", 0, 0)


def test_failed_write_rolls_back_everything(engine: Engine, seeded_url: str) -> None:
    before = snapshot(engine)
    dataset = validate_seeds(SEEDS_DIR)
    dataset.tables["events"] = [
        dict(e, title=e["title"] + " (changed)") for e in dataset.tables["events"]
    ]
    # A figure pointing at no claim passes no validation; it reaches the database only here.
    dataset.tables["figures"].append(
        dict(dataset.tables["figures"][0], claim_id="no-such-claim", position=99)
    )
    with pytest.raises(IntegrityError):
        load_dataset(engine, dataset)
    assert snapshot(engine) == before


def _first_claim(seeds: Path) -> dict[str, Any]:
    return dict(read(seeds / CLAIMS_FILE)["claims"][0])


def _edit_claim(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def apply(seeds: Path) -> None:
        edit(seeds / CLAIMS_FILE, lambda data: change(data["claims"][0]))

    return apply


def _edit_list(
    file: str, record_id: str, change: Callable[[dict[str, Any]], None]
) -> Callable[[Path], None]:
    def apply(seeds: Path) -> None:
        edit(seeds / file, lambda data: change(find(data, record_id)))

    return apply


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda record: record.__setitem__(key, value)


def _duplicate_first_claim(seeds: Path) -> None:
    edit(seeds / CLAIMS_FILE, lambda data: data["claims"].append(dict(data["claims"][0])))


def _break_yaml(seeds: Path) -> None:
    (seeds / "events" / "shared.yaml").write_text("- id: [unclosed\n", encoding="utf-8")


def _tamper_document(seeds: Path) -> None:
    path = seeds / "documents" / f"{DOC}.txt"
    path.write_bytes(path.read_bytes().replace(b"Pyongyang", b"Pyongyanq", 1))


def _orphan_event(seeds: Path) -> None:
    events = read(seeds / "events" / "shared.yaml")
    events.append(dict(events[0], id="an-event-nobody-claims"))
    write(seeds / "events" / "shared.yaml", events)


def _alias_clash(seeds: Path) -> None:
    edit(seeds / "actors.yaml", lambda data: find(data, "kor")["aliases"].append(
        {"name": "Corée-du-Nord", "lang": "fr"}))  # fmt: skip


def _parent_cycle(seeds: Path) -> None:
    edit(seeds / "actors.yaml", lambda data: find(data, "dprk").__setitem__("parent", "dprk-army"))


def _quote_with_straight_apostrophe(claim: dict[str, Any]) -> None:
    claim["quote"] = claim["quote"] + "x"


# (name, mutation, file, record or None for the first claim's id, field, message fragment)
CASES: list[tuple[str, Callable[[Path], None], str, str | None, str, str]] = [
    ("bad quote", _edit_claim(_quote_with_straight_apostrophe), CLAIMS_FILE, None, "quote",
     "differs; not in the document"),
    ("wrong offset", _edit_claim(lambda c: c.__setitem__("offset", c["offset"] + 1)), CLAIMS_FILE,
     None, "quote", "the quote is at offset"),
    ("unknown claimant", _edit_claim(_set("claimant", "nobody")), CLAIMS_FILE, None, "claimant",
     "unknown actor 'nobody'"),
    ("unknown via", _edit_claim(_set("via", ["afp", "nowhere-news"])), CLAIMS_FILE, None, "via.1",
     "unknown actor 'nowhere-news'"),
    ("unknown event", _edit_claim(_set("event", "no-such-event")), CLAIMS_FILE, None, "event",
     "unknown event 'no-such-event'"),
    ("unknown hedge", _edit_claim(_set("hedge", "rumoured")), CLAIMS_FILE, None, "hedge",
     "Input should be 'confirmed', 'asserted'"),
    ("missing field", _edit_claim(lambda c: c.pop("quote")), CLAIMS_FILE, None, "quote",
     "Field required"),
    ("unknown field", _edit_claim(_set("claimaint", "kor")), CLAIMS_FILE, None, "claimaint",
     "Extra inputs are not permitted"),
    ("bad claimed_on", _edit_claim(_set("claimed_on", "le 24 décembre")), CLAIMS_FILE, None,
     "claimed_on", "is not an EDTF date"),
    ("figure qualifier", _edit_claim(_set("figures", [{"quantity": "troops_sent", "low": 3000,
     "high": None, "qualifier": "about", "unit": "soldiers", "text": "environ 3 000"}])),
     CLAIMS_FILE, None, "figures.0", "qualifier 'about' needs low and high set and equal"),
    ("duplicate id", _duplicate_first_claim, CLAIMS_FILE, None, "id", "duplicate claim id"),
    ("bad event date", _edit_list("events/shared.yaml", "dprk-troops-arrive-in-russia",
     _set("date", "automne 2024")), "events/shared.yaml", "dprk-troops-arrive-in-russia", "date",
     "is not an EDTF date"),
    ("open event date", _edit_list("events/shared.yaml", "dprk-troops-arrive-in-russia",
     _set("date", "../2024-12-24")), "events/shared.yaml", "dprk-troops-arrive-in-russia", "date",
     "open interval"),
    ("unknown event type", _edit_list("events/shared.yaml", "dprk-troops-arrive-in-russia",
     _set("type", "invasion")), "events/shared.yaml", "dprk-troops-arrive-in-russia", "type",
     "Input should be 'deployment'"),
    ("wrong hash", _edit_list("documents.yaml", DOC, _set("sha256", "0" * 64)), "documents.yaml",
     DOC, "sha256", "file hashes to 3b33e707"),
    ("tampered document", _tamper_document, "documents.yaml", DOC, "sha256", "not 3b33e707"),
    ("unknown parent", _edit_list("actors.yaml", "kor-nis", _set("parent", "korea")),
     "actors.yaml", "kor-nis", "parent", "unknown actor 'korea'"),
    ("parent cycle", _parent_cycle, "actors.yaml", "dprk", "parent", "cycle"),
    ("alias clash", _alias_clash, "actors.yaml", "kor", "aliases.",
     "already belongs to actor 'dprk'"),
    ("event without claim", _orphan_event, "events/shared.yaml", "an-event-nobody-claims", "id",
     "event has no claim"),
    ("broken yaml", _break_yaml, "events/shared.yaml", "-", "-", "invalid YAML"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "file", "record", "field", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_malformed_seeds_fail_cleanly(
    engine: Engine,
    seeded_url: str,
    seeds_copy: Path,
    mutate: Callable[[Path], None],
    file: str,
    record: str | None,
    field: str,
    message: str,
) -> None:
    before = snapshot(engine)
    record = record or _first_claim(seeds_copy)["id"]
    mutate(seeds_copy)

    with pytest.raises(SeedError) as caught:
        _load(engine, seeded_url, seeds_copy)

    lines = [str(p) for p in caught.value.problems]
    prefix = f"seeds/{file}:{record}:{field}"
    assert any(line.startswith(prefix) and message in line for line in lines), lines
    assert snapshot(engine) == before
