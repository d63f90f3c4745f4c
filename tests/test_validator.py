"""The validator reports every problem in one run, once per root cause, with the closest
accepted values, and enforces the date rule; a failing load leaves the database as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from app import migrate
from app.loader import SeedError, load_dataset, validate_seeds
from tests.seedtools import edit, find, snapshot

DOC = "000_d40e8277d782d5f4"
CLAIMS = f"claims/{DOC}.yaml"
FIRST_CLAIM = "c000-us-intel-dprk-proposed-troops"


def _problems(seeds: Path) -> list[str]:
    with pytest.raises(SeedError) as caught:
        validate_seeds(seeds)
    return [str(p) for p in caught.value.problems]


def _set_document(seeds: Path, **fields: object) -> None:
    edit(seeds / "documents.yaml", lambda docs: find(docs, DOC).update(fields))


def test_every_problem_in_one_run(seeds_copy: Path) -> None:
    def break_claim(data: dict[str, list[dict[str, object]]]) -> None:
        data["claims"][0].update(hedge="rumoured", claimant="nobody", event="no-such-event")
        data["claims"][1].update(offset=0)

    edit(seeds_copy / CLAIMS, break_claim)
    edit(seeds_copy / "events" / "shared.yaml",
         lambda events: find(events, "dprk-troops-arrive-in-russia").update(type="invasion"))  # fmt: skip
    edit(seeds_copy / "actors.yaml", lambda actors: find(actors, "kor-nis").update(parent="korea"))
    _set_document(seeds_copy, outlet="thanh-nein")

    found = _problems(seeds_copy)

    second = "c000-earlier-assessments-moscow-asked"
    expected = [
        f"seeds/{CLAIMS}:{FIRST_CLAIM}:hedge:",
        f"seeds/{CLAIMS}:{FIRST_CLAIM}:claimant: unknown actor 'nobody'",
        f"seeds/{CLAIMS}:{FIRST_CLAIM}:event: unknown event 'no-such-event'",
        f"seeds/{CLAIMS}:{second}:quote: text at offset 0 differs; the quote is at offset 149",
        "seeds/events/shared.yaml:dprk-troops-arrive-in-russia:type:",
        "seeds/actors.yaml:kor-nis:parent: unknown actor 'korea'",
        f"seeds/documents.yaml:{DOC}:outlet: unknown actor 'thanh-nein'",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in found), (start, found)
    # The invalid event is still an event: its claims do not make "unknown event" problems.
    assert len(found) == len(expected), found


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"sha256": "TODO"}, "sha256", "not set (TODO)"),
        ({"sha256": "0" * 64}, "sha256", "file hashes to 3b33e707"),
        ({"sha256": None}, "sha256", "not set: `claimline validate --fix` writes it"),
        ({"published": "TODO"}, "published", "publication date not set"),
        ({"published": "24 décembre 2024"}, "published", "is not an EDTF date"),
    ],
    ids=["todo-hash", "wrong-hash", "missing-hash", "todo-date", "bad-date"],
)
def test_a_broken_document_is_one_problem(
    seeds_copy: Path, fields: dict[str, object], field: str, message: str
) -> None:
    _set_document(seeds_copy, **fields)
    found = _problems(seeds_copy)
    # Not followed by "unknown document" on its claims nor "event has no claim" on its events.
    assert len(found) == 1, found
    assert found[0].startswith(f"seeds/documents.yaml:{DOC}:{field}: ") and message in found[0]


def test_an_invalid_event_is_one_problem(seeds_copy: Path) -> None:
    edit(seeds_copy / "events" / "shared.yaml",
         lambda events: find(events, "dprk-troops-arrive-in-russia").update(date="automne 2024"))  # fmt: skip
    found = _problems(seeds_copy)
    assert len(found) == 1 and ":dprk-troops-arrive-in-russia:date:" in found[0], found


def test_an_unknown_claims_document_is_one_problem(seeds_copy: Path) -> None:
    edit(seeds_copy / CLAIMS, lambda data: data.update(document="000_d40e8277d782d5f5"))
    found = _problems(seeds_copy)
    assert found == [
        f"seeds/{CLAIMS}:-:document: unknown document '000_d40e8277d782d5f5'; did you mean '{DOC}'?"
    ]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"claimant": "kor-nsi"}, "claimant: unknown actor 'kor-nsi'; did you mean 'kor-nis'"),
        # Aliases match as in the API: a French name suggests its actor's id.
        ({"claimant": "Coree du Sudd"}, "did you mean 'kor'"),
        ({"via": ["nyt", "afpp"]}, "via.1: unknown actor 'afpp'; did you mean 'afp'"),
        ({"hedge": "reportd"}, "hedge: Input should be 'confirmed', "),
        ({"hedge": "reportd"}, "; did you mean 'reported' or"),
        ({"stance": "assert"}, "; did you mean 'asserts'?"),
        ({"event": "us-intel-dprk-proposed-troop"},
         "did you mean 'us-intel-dprk-proposed-troops'"),
    ],
)  # fmt: skip
def test_suggestions(seeds_copy: Path, change: dict[str, object], fragment: str) -> None:
    edit(seeds_copy / CLAIMS, lambda data: data["claims"][0].update(change))
    found = _problems(seeds_copy)
    assert any(fragment in line for line in found), found


def test_event_type_suggestion(seeds_copy: Path) -> None:
    edit(seeds_copy / "events" / "shared.yaml",
         lambda events: find(events, "dprk-troops-arrive-in-russia").update(type="deploymnt"))  # fmt: skip
    assert any("did you mean 'deployment'?" in line for line in _problems(seeds_copy))


def _set_event(seeds: Path, event_id: str, **fields: object) -> None:
    edit(seeds / "events" / "shared.yaml", lambda events: find(events, event_id).update(fields))


def test_date_rule_reports_the_bound(seeds_copy: Path) -> None:
    # Supported by 000 (2024-12-24), 001 (2024-10-23) and 002 (2025-02-27).
    _set_event(seeds_copy, "dprk-deployment-to-russia-2024", date="2024-09/2025-03")
    found = _problems(seeds_copy)
    assert found == [
        "seeds/events/shared.yaml:dprk-deployment-to-russia-2024:date: '2024-09/2025-03' ends "
        "2025-03-31, after the latest publication of its documents (2025-02-27, "
        "002_dc97aa6148c96c29): end it by 2025-02-27, or mark the event `forecast: true` if it "
        "is an expectation"
    ]


def test_date_rule_uses_the_latest_bound_of_an_uncertain_publication(seeds_copy: Path) -> None:
    # Supported by 004 only, published somewhere in 2024-10-23/2024-11-24.
    path = seeds_copy / "events" / "004_6af0ef2c71c73676.yaml"
    edit(path, lambda events: find(events, "nis-indicators-of-dprk-deployment").update(
        date="2024-10-01/2024-11-24"))  # fmt: skip
    validate_seeds(seeds_copy)
    edit(path, lambda events: find(events, "nis-indicators-of-dprk-deployment").update(
        date="2024-10-01/2024-11-25"))  # fmt: skip
    assert any("end it by 2024-11-24" in line for line in _problems(seeds_copy))


def test_a_forecast_may_end_after_its_documents(seeds_copy: Path) -> None:
    _set_event(seeds_copy, "dprk-deployment-to-russia-2024", date="2024-09/2025-03", forecast=True)
    dataset = validate_seeds(seeds_copy)
    event = next(e for e in dataset.tables["events"] if e["id"] == "dprk-deployment-to-russia-2024")
    assert event["date_edtf"] == "2024-09/2025-03"


def test_forecast_must_be_a_boolean(seeds_copy: Path) -> None:
    _set_event(seeds_copy, "dprk-deployment-to-russia-2024", forecast="maybe")
    found = _problems(seeds_copy)
    assert any(":dprk-deployment-to-russia-2024:forecast: Input should be a valid boolean" in line
               for line in found), found  # fmt: skip


def test_real_seeds_pass_the_date_rule() -> None:
    from tests.conftest import SEEDS_DIR

    validate_seeds(SEEDS_DIR)


def test_a_date_rule_failure_leaves_the_database_unchanged(
    engine: Engine, seeded_url: str, seeds_copy: Path
) -> None:
    before = snapshot(engine)
    _set_event(seeds_copy, "dprk-deployment-to-russia-2024", date="2024-09/2025-03")
    edit(seeds_copy / CLAIMS, lambda data: data["claims"][0].update(claimant="kor-nsi"))
    with pytest.raises(SeedError) as caught:
        migrate.upgrade(seeded_url)
        load_dataset(engine, validate_seeds(seeds_copy))
    assert len(caught.value.problems) == 2
    assert snapshot(engine) == before
