"""Authoring a new (made-up) article: add-document, claims with quotes only, validate --fix,
then a load that serves its claims."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from app import migrate
from app.cli import main
from app.loader import SeedError, load_dataset, validate_seeds
from app.loader.authoring import AuthoringError, DocumentOptions, add_document, fix_seeds
from app.models import Claim, Document
from tests.seedtools import read

# Made up for these tests: not one of the five seed articles.
ARTICLE = """Des soldats nord-coréens signalés près de Belgorod, selon Kyiv

Kyiv, 14 mars 2025 — Le renseignement militaire ukrainien a affirmé vendredi que plusieurs \
centaines de soldats nord-coréens avaient été redéployés dans la région de Belgorod. \
Selon le renseignement militaire ukrainien, environ 500 soldats seraient arrivés au début du \
mois de mars.

Le Kremlin n'a pas commenté ces informations. Le Kremlin n'a pas commenté.
"""
SHA = hashlib.sha256(ARTICLE.encode()).hexdigest()
NEW_ID = f"005_{SHA[:16]}"
HUR_QUOTE = "environ 500 soldats seraient arrivés au début du mois de mars"
HUR_AT = ARTICLE.index(HUR_QUOTE)
KREMLIN_AT = ARTICLE.index("Le Kremlin n'a pas commenté")
KREMLIN_AGAIN = ARTICLE.index("Le Kremlin n'a pas commenté", KREMLIN_AT + 1)

EVENT = """- id: dprk-troops-near-belgorod-2025-03
  type: deployment
  title: North Korean troops redeployed near Belgorod
  summary: Ukraine's military intelligence says several hundred North Korean soldiers were
    moved to the Belgorod region.
  date: 2025-03-01/2025-03-14
  date_basis: '''au début du mois de mars'' in an article of 2025-03-14.'
  location: {name: "Belgorod Oblast, Russia", lat: null, lon: null}
  actors:
  - {actor: dprk-army, role: agent}
"""

CLAIMS = f"""document: {NEW_ID}
claims:
- id: c005-hur-troops-near-belgorod
  event: dprk-troops-near-belgorod-2025-03
  claimant: ukr-military-intelligence
  via: []
  quote: environ 500 soldats seraient arrivés au début du mois de mars
  stance: asserts
  hedge: alleged
  claimed_on: '2025-03-14'
  figures:
  - {{quantity: troops_sent, low: 500, high: 500, qualifier: about, unit: soldiers,
     text: environ 500}}
- id: c005-kremlin-no-comment
  event: dprk-troops-near-belgorod-2025-03
  claimant: unattributed
  via: []
  quote: Le Kremlin n'a pas commenté
  stance: neither
  hedge: asserted
"""


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "belgorod.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def _problems(seeds: Path) -> list[str]:
    with pytest.raises(SeedError) as caught:
        validate_seeds(seeds)
    return [str(p) for p in caught.value.problems]


def test_add_document_copies_hashes_and_records(seeds_copy: Path, article: Path) -> None:
    before = (seeds_copy / "documents.yaml").read_text(encoding="utf-8")
    added = add_document(seeds_copy, article, DocumentOptions(outlet="afp", title="Belgorod"))

    assert added.id == NEW_ID
    assert (seeds_copy / "documents" / f"{NEW_ID}.txt").read_bytes() == article.read_bytes()
    after = (seeds_copy / "documents.yaml").read_text(encoding="utf-8")
    assert after.startswith(before)  # the existing records are untouched, byte for byte
    record = read(seeds_copy / "documents.yaml")[-1]
    assert record["id"] == NEW_ID and record["file"] == f"{NEW_ID}.txt"
    assert record["sha256"] == SHA and record["outlet"] == "afp" and record["published"] == "TODO"
    assert added.claims_path.read_text(encoding="utf-8") == f"document: {NEW_ID}\nclaims:\n"
    # What the curator still has to give is reported, and only that.
    found = _problems(seeds_copy)
    assert f"seeds/documents.yaml:{NEW_ID}:published: publication date not set (TODO): give it as EDTF, e.g. 2024-10-23" in found  # fmt: skip
    assert {line.split(":")[2] for line in found} == {
        "published", "published_basis", "published_confidence", "published_evidence",
        "outlet_evidence"}  # fmt: skip


def test_add_document_refuses_unknown_outlet_and_duplicates(
    seeds_copy: Path, article: Path
) -> None:
    manifest = (seeds_copy / "documents.yaml").read_bytes()
    with pytest.raises(
        AuthoringError, match="unknown actor 'thanh-nein'; did you mean 'thanh-nien'"
    ):
        add_document(seeds_copy, article, DocumentOptions(outlet="thanh-nein"))
    with pytest.raises(AuthoringError, match=r"--published: .* is not an EDTF date"):
        add_document(seeds_copy, article, DocumentOptions(outlet="afp", published="mars 2025"))
    assert (seeds_copy / "documents.yaml").read_bytes() == manifest
    assert not list((seeds_copy / "documents").glob("005_*"))
    existing = seeds_copy / "documents" / "000_d40e8277d782d5f4.txt"
    with pytest.raises(AuthoringError, match="already in the seeds as 000_d40e8277d782d5f4"):
        add_document(seeds_copy, existing, DocumentOptions(outlet=None))


def _author(seeds: Path, article: Path) -> None:
    """The walkthrough of seeds/README.md, through the command line."""
    assert main(["add-document", str(article), "--outlet", "none", "--seeds-dir", str(seeds),
                 "--title", "[North Korean troops reported near Belgorod]",
                 "--published", "2025-03-14", "--published-basis", "stated",
                 "--published-confidence", "high",
                 "--published-evidence", "Dateline 'Kyiv, 14 mars 2025'",
                 "--outlet-evidence", "No outlet named in the text."]) == 0  # fmt: skip
    (seeds / "events" / f"{NEW_ID}.yaml").write_text(EVENT, encoding="utf-8")
    # The claims go under the `claims:` that add-document wrote.
    with (seeds / "claims" / f"{NEW_ID}.yaml").open("a", encoding="utf-8") as claims:
        claims.write(CLAIMS.split("claims:\n", 1)[1])


def test_fix_fills_offsets_and_reports_ambiguous_quotes(
    seeds_copy: Path, article: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _author(seeds_copy, article)
    claims_path = seeds_copy / "claims" / f"{NEW_ID}.yaml"
    found = _problems(seeds_copy)
    assert found == [
        f"seeds/claims/{NEW_ID}.yaml:c005-hur-troops-near-belgorod:offset: not set: the quote is at {HUR_AT}; `claimline validate --fix` writes it",
        f"seeds/claims/{NEW_ID}.yaml:c005-kremlin-no-comment:offset: not set, and the quote occurs 2 times: at {KREMLIN_AT}, {KREMLIN_AGAIN}; give the right one",
    ]  # fmt: skip

    assert main(["validate", "--fix", str(seeds_copy)]) == 1
    out, err = capsys.readouterr()
    assert f"wrote seeds/claims/{NEW_ID}.yaml:c005-hur-troops-near-belgorod: offset" in out
    assert f"the quote occurs 2 times, at {KREMLIN_AT}, {KREMLIN_AGAIN}" in err
    claims = read(claims_path)["claims"]
    assert claims[0]["offset"] == HUR_AT
    assert "offset" not in claims[1]
    # Only the offset line was added: the rest of the file is as the curator wrote it.
    lines = claims_path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert "".join(line for line in lines if line != f"  offset: {HUR_AT}\n") == CLAIMS


def test_fix_writes_a_missing_hash_only(seeds_copy: Path) -> None:
    path = seeds_copy / "documents.yaml"
    original = path.read_text(encoding="utf-8")
    real = "3b33e7074bb42049e78295ac30205c35ba5e4e915ffea7048ddde5cf1fac6daa"
    path.write_text(original.replace(f"sha256: {real}", "sha256: TODO"), encoding="utf-8")
    assert fix_seeds(seeds_copy).written == ["documents.yaml:000_d40e8277d782d5f4: sha256"]
    assert path.read_text(encoding="utf-8") == original
    # A wrong hash is a changed document, not a missing value: --fix leaves it to the curator.
    path.write_text(original.replace(real, "0" * 64), encoding="utf-8")
    assert fix_seeds(seeds_copy).written == []
    assert "0" * 64 in path.read_text(encoding="utf-8")


def test_new_article_from_file_to_served_claims(
    seeds_copy: Path, article: Path, engine: Engine, database_url: str
) -> None:
    _author(seeds_copy, article)
    claims_path = seeds_copy / "claims" / f"{NEW_ID}.yaml"
    text = claims_path.read_text(encoding="utf-8")
    # The curator lengthens the ambiguous quote, as --fix asked, and --fix places it.
    longer = "quote: Le Kremlin n'a pas commenté ces informations.\n"
    text = text.replace("quote: Le Kremlin n'a pas commenté\n", longer)
    claims_path.write_text(text, encoding="utf-8")
    assert fix_seeds(seeds_copy).undecided == []

    migrate.upgrade(database_url)
    load_dataset(engine, validate_seeds(seeds_copy))

    with engine.connect() as conn:
        doc = conn.execute(select(Document).where(Document.id == NEW_ID)).one()
        claims = conn.execute(
            select(Claim).where(Claim.document_id == NEW_ID).order_by(Claim.id)
        ).all()
    assert (doc.sha256, doc.published) == (SHA, "2025-03-14")
    assert [(c.id, c.quote_start, c.quote_end) for c in claims] == [
        ("c005-hur-troops-near-belgorod", HUR_AT, HUR_AT + len(HUR_QUOTE)),
        ("c005-kremlin-no-comment", KREMLIN_AT, KREMLIN_AT + 45),
    ]
    for claim in claims:
        assert ARTICLE[claim.quote_start : claim.quote_end] == claim.quote
