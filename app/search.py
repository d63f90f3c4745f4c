"""Full-text search (`q=`): the words of a query, the index they are looked up in, and the
SQL condition that selects the events they find.

The searchable texts are `search_entries` (a derived table, app/models.py): one entry per
event (its title and summary) and one per claim (its quote, with the day it became known,
so `known_as_of` hides quotes not yet published). An event matches when one entry holds
every word: accents, case and punctuation are ignored, and a word ending in `*` matches any
word it begins. SQLite indexes the entries in an FTS5 table, `search_fts`; PostgreSQL in a
`tsvector` column with a GIN index (migration 0006). Both split the text into runs of
letters and digits, which is how `terms` splits a query.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import Boolean

from app.models import search_entries_table as S

MAX_TERMS = 16
MAX_TERM_LENGTH = 64
_WORD = re.compile(r"([^\W_]+)(\*?)")


class SearchError(ValueError):
    pass


def fold(value: str) -> str:
    """Lower case without accents: what both indexes do to the text before splitting it."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def terms(query: str) -> tuple[str, ...]:
    """The query's words, folded; a trailing `*` marks a prefix. Raises SearchError."""
    found = tuple(word + star for word, star in _WORD.findall(fold(query)))
    if not found:
        raise SearchError(f"{query!r} has no words to search for (letters or digits)")
    if len(found) > MAX_TERMS:
        raise SearchError(f"at most {MAX_TERMS} words; {query!r} has {len(found)}")
    if any(len(t.rstrip("*")) > MAX_TERM_LENGTH for t in found):
        raise SearchError(f"words are at most {MAX_TERM_LENGTH} characters long")
    return found


class _Matches(ColumnElement[bool]):
    """`search_entries` rows whose text holds every term; compiled per database."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, found: tuple[str, ...]) -> None:
        self.found = found

    def param(self, compiler: SQLCompiler, **kw: Any) -> str:
        # Terms are runs of letters and digits (plus a final *), so nothing here can be
        # query syntax; both forms are AND of the words.
        if compiler.dialect.name == "postgresql":
            value = " & ".join(t[:-1] + ":*" if t.endswith("*") else t for t in self.found)
        else:
            value = " ".join(f'"{t[:-1]}"*' if t.endswith("*") else f'"{t}"' for t in self.found)
        return str(compiler.process(bindparam("search", value, unique=True), **kw))


@compiles(_Matches, "sqlite")
def _sqlite(element: _Matches, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        "search_entries.id IN (SELECT rowid FROM search_fts "
        f"WHERE search_fts MATCH {element.param(compiler, **kw)})"
    )


@compiles(_Matches, "postgresql")
def _postgresql(element: _Matches, compiler: SQLCompiler, **kw: Any) -> str:
    return f"search_entries.tsv @@ to_tsquery('simple', {element.param(compiler, **kw)})"


def event_matches(
    event_id: ColumnElement[str], found: tuple[str, ...], known_as_of: Any
) -> ColumnElement[bool]:
    """The event has an entry (known on `known_as_of`) that holds every term.

    An IN over the index's matches rather than a per-event EXISTS: the planner can then
    start from a rare word's few matches instead of testing every event in range."""
    conds: list[ColumnElement[bool]] = [_Matches(found)]
    if known_as_of is not None:
        conds.append(S.c.known_from.is_(None) | (S.c.known_from <= known_as_of))
    return event_id.in_(select(S.c.event_id).where(*conds))


def fill(conn: Connection) -> int:
    """Fill `search_entries` (and SQLite's `search_fts`) from events and claims, in SQL."""
    postgres = conn.dialect.name == "postgresql"
    vector = "to_tsvector('simple', unaccent({}))" if postgres else "NULL"
    if postgres:
        # One GIN build after the insert is far cheaper than maintaining it row by row.
        conn.execute(text("DROP INDEX IF EXISTS ix_search_entries_tsv"))
    conn.execute(text(
        "INSERT INTO search_entries (id, event_id, claim_id, known_from, tsv) "
        "SELECT row_number() OVER (), event_id, claim_id, "
        "known_from, tsv FROM ("
        f"SELECT id AS event_id, NULL AS claim_id, NULL AS known_from, "
        f"{vector.format(_EVENT_TEXT)} AS tsv FROM events UNION ALL "
        f"SELECT event_id, id, known_from, {vector.format('quote')} FROM claims) AS entries"
    ))  # fmt: skip
    if postgres:
        conn.execute(text("CREATE INDEX ix_search_entries_tsv ON search_entries USING gin (tsv)"))
    else:
        conn.execute(text(
            "INSERT INTO search_fts (rowid, text) "
            f"SELECT s.id, coalesce(c.quote, {_EVENT_TEXT}) FROM search_entries AS s "
            "JOIN events ON events.id = s.event_id LEFT JOIN claims AS c ON c.id = s.claim_id"
        ))  # fmt: skip
    count: int = conn.execute(select(S.c.id).order_by(S.c.id.desc()).limit(1)).scalar() or 0
    return count


def clear(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        # A contentless FTS5 table is emptied by this command; DELETE is not allowed.
        conn.execute(text("INSERT INTO search_fts (search_fts) VALUES ('delete-all')"))
    conn.execute(S.delete())


_EVENT_TEXT = "events.title || ' ' || events.summary"
