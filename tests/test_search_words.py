"""What a searchable word is, and that both databases find exactly those words in any script.

`search.words` decides it once; SQLite's FTS5 table and PostgreSQL's lexemes must hold the
same words, and a query's terms must be looked up as they are. A document in several
scripts, loaded through the real loader, is searched on both databases, and the answers
are written out by hand."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import migrate, search
from app.db import make_engine
from app.loader import load_dataset, validate_seeds
from app.main import create_app
from tests import seedtools
from tests.conftest import SEEDS_DIR, module_database, page_ids

DOC = "900_scripts"
# One line per event: each line is the quote of one claim on its own event.
LINES = {
    "ev-numbers": "La guerre de Corée (1950-1953), environ 3.000 soldats, le 2024-10-23.",
    "ev-hangul": "조선중앙통신은 북한군 파병 보도를 부인했다.",
    "ev-ligatures": "Les manœuvres de l'ŒUVRE près de Łódź et d'Ærø.",
    "ev-compat": "Die Straße: ﬁnale Phase, ½ Brigade, \U0001d401\U0001d428\U0001d425\U0001d41d move.",  # bold "Bold"
    "ev-greek": "ΣΟΦΟΣ σοφός Ὀδυσσεύς.",
    "ev-combining": "Une e\u0301tude de l'arme\u0301e.",
}


def _add_document(seeds: Path) -> None:
    text = "\n".join(LINES.values()) + "\n"
    (seeds / "documents" / f"{DOC}.txt").write_text(text, encoding="utf-8")
    seedtools.edit(seeds / "documents.yaml", lambda docs: docs.append({
        "id": DOC, "file": f"{DOC}.txt",
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "title": "[Scripts]", "outlet": None, "outlet_evidence": "test", "url": None,
        "language": "fr", "published": "2025-03-01", "published_basis": "stated",
        "published_confidence": "high", "published_evidence": "test", "notes": None,
    }))  # fmt: skip
    seedtools.write(seeds / "events" / f"{DOC}.yaml", [
        {"id": event_id, "type": "statement", "title": "Scripts", "summary": "Scripts.",
         "date": "2025-03-01", "date_basis": "test", "location": None,
         "actors": [{"actor": "dprk", "role": "agent"}]}
        for event_id in LINES
    ])  # fmt: skip
    seedtools.write(seeds / "claims" / f"{DOC}.yaml", {"document": DOC, "claims": [
        {"id": f"c-{event_id}", "event": event_id, "claimant": "unattributed", "via": [],
         "quote": line, "offset": text.index(line), "stance": "asserts", "hedge": "asserted",
         "claimed_on": None, "note": None, "figures": []}
        for event_id, line in LINES.items()
    ]})  # fmt: skip


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scripts_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The real seeds and the document of LINES, loaded by the loader."""
    seeds = tmp_path_factory.mktemp("seeds") / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    _add_document(seeds)
    with module_database(request, tmp_path_factory) as (url, engine):
        load_dataset(engine, validate_seeds(seeds))
        engine.dispose()
        yield url


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # Digits joined by punctuation are words apart, on both databases.
        ("1953", ["ev-numbers"]),
        ("3.000", ["ev-numbers"]),
        ("2024 10 23", ["ev-numbers"]),
        # Hangul stays in syllables: a word is found by itself or by its start.
        ("조선중앙통신은", ["ev-hangul"]),
        ("북한군 파병", ["ev-hangul"]),
        ("조선*", ["ev-hangul"]),
        # Letters that decompose to nothing plainer are read as their plain spellings.
        ("manoeuvres", ["ev-ligatures"]),
        ("MANŒUVRES", ["ev-ligatures"]),
        ("oeuvre lodz aero", ["ev-ligatures"]),
        # Compatibility forms: sharp s, ligature fi, a fraction, mathematical letters.
        ("strasse finale", ["ev-compat"]),
        ("Straße", ["ev-compat"]),
        ("1 2 bold", ["ev-compat"]),
        # Greek: case and final sigma folded, accents and breathings removed.
        ("σοφος", ["ev-greek"]),
        ("ΣΟΦΌΣ οδυσσευς", ["ev-greek"]),
        # A precomposed query finds a decomposed text, and the other way round.
        ("étude armée", ["ev-combining"]),
        ("e\u0301tude", ["ev-combining"]),
        ("etude*", ["ev-combining"]),
        ("strasse bold 1953", []),  # every word in one text
    ],
)
def test_every_script_is_found_the_same_on_both_databases(
    scripts_url: str, q: str, expected: list[str]
) -> None:
    with TestClient(create_app(scripts_url)) as client:
        found = page_ids(client, "/events", {"q": q, "from": "2025-03-01", "limit": 50})
    assert found == expected


def test_words() -> None:
    assert search.words("La guerre de Corée (1950-1953), environ 3.000") == [
        "la", "guerre", "de", "coree", "1950", "1953", "environ", "3", "000",
    ]  # fmt: skip
    assert search.words("조선중앙통신은 Œuvre Łódź ﬁn ½ ΣΟΦΌΣ") == [
        "조선중앙통신은", "oeuvre", "lodz", "fin", "1", "2", "σοφοσ",
    ]  # fmt: skip
    assert search.words("snake_case") == ["snake", "case"]
    assert search.vector("Le 3.000 le 3") == "'le' '3' '000'"
    long_word = "a" * 300
    assert search.vector(long_word) == f"'{'a' * search.MAX_INDEXED_LENGTH}'"


def _fts_tokens(texts: list[str]) -> list[list[str]]:
    """What SQLite's FTS5 table, made as migration 0013 makes it, reads of each text."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='ascii')")
        db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        db.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", list(enumerate(texts, 1)))
        tokens: dict[int, list[str]] = {}
        for term, doc in db.execute("SELECT term, doc FROM v ORDER BY doc, offset"):
            tokens.setdefault(doc, []).append(term)
        return [tokens.get(i, []) for i in range(1, len(texts) + 1)]
    finally:
        db.close()


@pytest.mark.slow  # a loop over every character; the quick loop keeps the scripts above
def test_sqlites_index_reads_exactly_the_words_of_any_character() -> None:
    """Every assigned character of Unicode's first three planes, inside a word: the tokens
    FTS5 keeps of `fts_text` are `words`, so the SQLite index holds what PostgreSQL's does.
    With FTS5's unicode61 tokenizer, as before migration 0013, 20,407 of them differed
    (Hangul syllables among them: a Korean query found nothing)."""
    chars = [
        chr(code)
        for code in range(0x20, 0x30000)
        if unicodedata.category(chr(code)) not in ("Cs", "Cn", "Co")
    ]
    texts = [f"ab{c}cd x-{c}-1" for c in chars]
    tokens = _fts_tokens([search.fts_text(t) for t in texts])
    differ = [c for c, t, got in zip(chars, texts, tokens, strict=True) if got != search.words(t)]
    assert differ == []
    assert len(chars) > 130_000


def test_query_terms_are_words() -> None:
    """A query is split by the same rule as the texts, so a term is always one word."""
    query = "Straße 3.000 조선* l'ŒUVRE"
    assert [t.rstrip("*") for t in search.terms(query)] == search.words(query)
    assert re.fullmatch(r"[^\W_]+\*?", search.terms("조선*")[0])


def test_postgresql_holds_the_lexemes_as_given(postgres_url: str) -> None:
    """The server reads the literal as it is: no parser splits `3.000` or `-1953` its own
    way, and no dictionary changes a word."""
    migrate.upgrade(postgres_url)
    engine = make_engine(postgres_url)
    try:
        text = "(1950-1953) 3.000 Straße 조선 ΣΟΦΌΣ"
        with engine.connect() as conn:
            stored = conn.exec_driver_sql(
                "SELECT CAST(%(v)s AS tsvector)::text", {"v": search.vector(text)}
            ).scalar_one()
        assert sorted(stored.replace("'", "").split()) == sorted(search.words(text))
    finally:
        engine.dispose()
