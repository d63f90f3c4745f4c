"""Key facts of the corpus, pinned with exact values, read back from the loaded database."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from app.models import Actor, Claim, ClaimVia, Document, Event, Figure


def _claims(engine: Engine, event_id: str) -> dict[str, dict[str, Any]]:
    """claim id -> claim row with 'via' and 'figures' lists."""
    with engine.connect() as conn:
        claims = {
            r.id: dict(r._mapping)
            for r in conn.execute(select(Claim).where(Claim.event_id == event_id))
        }
        for claim_id, actor_id in conn.execute(
            select(ClaimVia.claim_id, ClaimVia.actor_id)
            .where(ClaimVia.claim_id.in_(claims))
            .order_by(ClaimVia.position)
        ):
            claims[claim_id].setdefault("via", []).append(actor_id)
        for f in conn.execute(
            select(Figure).where(Figure.claim_id.in_(claims)).order_by(Figure.position)
        ):
            claims[f.claim_id].setdefault("figures", []).append(
                (f.quantity, f.low, f.high, f.qualifier)
            )
    return claims


def _event(engine: Engine, event_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(Event).where(Event.id == event_id)).one()


def test_december_casualty_figures_stay_side_by_side(loaded_engine: Engine) -> None:
    claims = _claims(loaded_engine, "dprk-casualties-2024-12")
    by_claimant = {c["claimant_id"]: c for c in claims.values()}
    assert set(by_claimant) == {"kor", "ukr"}
    kor, ukr = by_claimant["kor"], by_claimant["ukr"]
    assert kor["figures"] == [("troops_killed_or_wounded", 1000, None, "more_than")]
    assert ukr["figures"] == [("troops_killed_or_wounded", 3000, None, "more_than")]
    assert kor["via"] == ukr["via"] == ["afp"]
    assert kor["claimed_earliest"] == date(2024, 12, 24)
    assert kor["known_from"] == ukr["known_from"] == date(2024, 12, 24)
    assert "plus de 1 000 soldats nord-coréens ont été tués ou blessés" in kor["quote"]


def test_about_3000_estimate_has_nis_and_us_claims(loaded_engine: Engine) -> None:
    claims = _claims(loaded_engine, "dprk-troops-in-russia-2024-10-23")
    figures = {c["claimant_id"]: c["figures"] for c in claims.values()}
    assert figures["kor-nis"] == [("troops_sent", 3000, 3000, "about")]
    assert figures["usa"] == [("troops_present", None, 3000, "up_to")]
    us = next(c for c in claims.values() if c["claimant_id"] == "usa")
    assert us["via"] == ["john-kirby"]
    event = _event(loaded_engine, "dprk-troops-in-russia-2024-10-23")
    assert (event.date_earliest, event.date_latest, event.date_precision) == (
        date(2024, 10, 23), date(2024, 10, 23), "day")  # fmt: skip


def test_relative_dates_resolved_from_publication(loaded_engine: Engine) -> None:
    expected = {
        # 'mardi soir' in a Wednesday 2024-10-23 article
        "zelensky-urges-allies-to-deter-dprk": ("2024-10-22", "day"),
        # 'ce mercredi'
        "deu-summons-dprk-charge-daffaires": ("2024-10-23", "day"),
        # 'cet automne' in a 2024-12-24 article
        "dprk-troops-arrive-in-russia": ("2024-23", "season"),
        # 'entre janvier et février' in an article of 2025-02-27: ends by its publication
        "dprk-additional-troops-to-russia-2025": ("2025-01/2025-02-27", "range"),
        # 'En novembre' in a February 2025 article
        "dprk-russia-defence-treaty-ratified": ("2024-11", "month"),
    }
    for event_id, (edtf, precision) in expected.items():
        event = _event(loaded_engine, event_id)
        assert (event.date_edtf, event.date_precision) == (edtf, precision), event_id
    autumn = _event(loaded_engine, "dprk-troops-arrive-in-russia")
    assert (autumn.date_earliest, autumn.date_latest) == (date(2024, 9, 1), date(2024, 11, 30))


def test_additional_troops_2025_range_from_joongang(loaded_engine: Engine) -> None:
    claims = _claims(loaded_engine, "dprk-additional-troops-to-russia-2025")
    joongang = [c for c in claims.values() if c["claimant_id"] == "joongang-ilbo"]
    assert [c["figures"] for c in joongang] == [[("troops_additional", 1000, 3000, "range")]]


def test_russia_neither_confirms_nor_denies(loaded_engine: Engine) -> None:
    with loaded_engine.connect() as conn:
        rows = conn.execute(
            select(Claim.claimant_id, Claim.stance).where(Claim.stance == "neither")
        ).all()
    assert ("rus", "neither") in rows


def test_uncertain_publication_sets_knowledge_time(loaded_engine: Engine) -> None:
    with loaded_engine.connect() as conn:
        doc = conn.execute(select(Document).where(Document.id == "004_6af0ef2c71c73676")).one()
        known = set(
            conn.execute(select(Claim.known_from).where(Claim.document_id == doc.id)).scalars()
        )
    assert (doc.published, doc.published_confidence) == ("2024-10-23/2024-11-24", "low")
    assert known == {date(2024, 11, 24)}


def test_every_event_is_dated_and_sourced(loaded_engine: Engine) -> None:
    with loaded_engine.connect() as conn:
        events = conn.execute(select(Event.id, Event.date_earliest, Event.date_latest)).all()
        sourced = set(conn.execute(select(Claim.event_id)).scalars())
    assert len(events) > 30
    for event_id, earliest, latest in events:
        assert earliest is not None and latest is not None and earliest <= latest, event_id
        assert event_id in sourced, event_id


def test_actor_hierarchy(loaded_engine: Engine) -> None:
    with loaded_engine.connect() as conn:
        parents = dict(conn.execute(select(Actor.id, Actor.parent_id)).all())
    assert parents["kor-nis"] == "kor"
    assert parents["zelensky"] == "ukr"
    assert parents["john-kirby"] == "us-nsc" and parents["us-nsc"] == "usa"
