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
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    bindparam,
    column,
    exists,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import Boolean

from app.models import events_table as E
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
        value = _query_text(self.found, compiler.dialect.name == "postgresql")
        return str(compiler.process(bindparam("search", value, unique=True), **kw))


def _query_text(found: tuple[str, ...], postgres: bool) -> str:
    # Terms are runs of letters and digits (plus a final *), so nothing here can be query
    # syntax; both forms are AND of the words.
    if postgres:
        return " & ".join(t[:-1] + ":*" if t.endswith("*") else t for t in found)
    return " ".join(f'"{t[:-1]}"*' if t.endswith("*") else f'"{t}"' for t in found)


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
    event_id: ColumnElement[str], found: tuple[str, ...], known_as_of: Any, per_event: bool = False
) -> ColumnElement[bool]:
    """The event has an entry (known on `known_as_of`) that holds every term.

    By default an IN over the index's matches, so the planner can start from a rare word's
    few matches. `per_event`: an EXISTS probing the event's own entries, for when other
    conditions have already narrowed the events down and the words may be common."""
    conds: list[ColumnElement[bool]] = [_Matches(found)]
    if known_as_of is not None:
        conds.append(S.c.known_from.is_(None) | (S.c.known_from <= known_as_of))
    if per_event:
        return exists(select(1).where(S.c.event_id == event_id, *conds))
    return event_id.in_(select(S.c.event_id).where(*conds))


CHUNK = 4


def event_ids_in_order(
    conn: Connection,
    found: tuple[str, ...],
    known_as_of: date | None,
    start: list[ColumnElement[bool]],
    stop: list[ColumnElement[bool]],
    conds: list[ColumnElement[bool]],
    n: int,
) -> list[str]:
    """The first `n` events, in timeline order, with an entry holding every term and
    satisfying `conds`, among the events from the first that satisfies `start` to the last
    that satisfies `stop` (either may be empty: no bound).

    Entries are numbered in timeline order, each event's together (see `fill`), so reading
    the index's matches by entry id reads the events in timeline order, and the page is
    full after its first few matches however common the words. The start and stop events
    bound the entry ids read, so the date range and the cursor cost one lookup each."""
    lo = _bound(conn, start, first=True)
    hi = _bound(conn, stop, first=False)
    if lo is _EMPTY or hi is _EMPTY:
        return []
    postgres = conn.dialect.name == "postgresql"
    entry_id = S.c.id if postgres else _FTS.c.rowid
    source = S.join(E, E.c.id == S.c.event_id)
    if not postgres:
        source = _FTS.join(source, S.c.id == _FTS.c.rowid)
    where = [_match_clause(found, postgres), *conds]
    if known_as_of is not None:
        where.append(S.c.known_from.is_(None) | (S.c.known_from <= known_as_of))
    if hi is not None:
        where.append(entry_id <= hi)
    ids: list[str] = []
    after = None if lo is None else lo - 1
    chunk = CHUNK * n
    while len(ids) < n:
        bound = [entry_id > after] if after is not None else []
        stmt = (
            select(entry_id, S.c.event_id).select_from(source)
            .where(*where, *bound).order_by(entry_id).limit(chunk)
        )  # fmt: skip
        rows = conn.execute(stmt).all()
        for _, event_id in rows:
            if not ids or ids[-1] != event_id:  # an event's entries are consecutive
                ids.append(event_id)
        if len(rows) < chunk:
            break
        after = rows[-1][0]
    return ids[:n]


_EMPTY: Any = object()
_FTS = table("search_fts", column("rowid", Integer))


def _bound(conn: Connection, conds: list[ColumnElement[bool]], first: bool) -> Any:
    """The first entry id of the first event satisfying `conds` (or the last entry id of the
    last one); None without conditions, _EMPTY when no event satisfies them."""
    if not conds:
        return None
    order = (E.c.date_earliest, E.c.id) if first else (E.c.date_earliest.desc(), E.c.id.desc())
    event = select(E.c.id).where(*conds).order_by(*order).limit(1).scalar_subquery()
    pick = func.min(S.c.id) if first else func.max(S.c.id)
    value = conn.execute(select(pick).where(S.c.event_id == event)).scalar()
    return _EMPTY if value is None else value


def _match_clause(found: tuple[str, ...], postgres: bool) -> ColumnElement[bool]:
    if postgres:
        return S.c.tsv.op("@@")(func.to_tsquery("simple", _query_text(found, postgres)))
    match = literal_column("search_fts").op("MATCH", is_comparison=True)
    return match(bindparam("search", _query_text(found, postgres), unique=True))


def fill(conn: Connection) -> int:
    """Fill `search_entries` (and SQLite's `search_fts`) from events and claims, in SQL."""
    fill_entries(conn)
    for build in index_builds(conn.dialect.name).values():
        build(conn)
    return entry_count(conn)


def entry_count(conn: Connection) -> int:
    """How many entries there are: the last id, as they are numbered from 1."""
    count: int = conn.execute(select(S.c.id).order_by(S.c.id.desc()).limit(1)).scalar() or 0
    return count


def fill_entries(conn: Connection) -> None:
    """The rows of `fill`, with the indexes of `index_builds` dropped: built once after the
    insert, they are far cheaper than maintained row by row."""
    postgres = conn.dialect.name == "postgresql"
    vector = "to_tsvector('simple', unaccent({}))" if postgres else "NULL"
    for index in S.indexes:
        index.drop(conn)
    if postgres:
        conn.execute(text(f"DROP INDEX IF EXISTS {_VECTOR_INDEX}"))
    # Numbered in timeline order, each event's entries together: event_ids_in_order relies
    # on it. One entry per event (kind 0) and one per claim (kind 1), read in the order of
    # the events' timeline index, so SQLite numbers them without sorting 3.5M rows at 1M
    # events (a UNION ALL of events and claims had to be sorted: 6.9 s against 5.4 s).
    conn.execute(text(
        "INSERT INTO search_entries (id, event_id, claim_id, known_from, tsv) "
        "SELECT row_number() OVER (ORDER BY events.date_earliest, events.id), events.id, "
        f"c.id, c.known_from, {vector.format(_ENTRY_TEXT)} "
        "FROM events CROSS JOIN (SELECT 0 AS kind UNION ALL SELECT 1) AS kinds "
        "LEFT JOIN claims AS c ON kinds.kind = 1 AND c.event_id = events.id "
        "WHERE kinds.kind = 0 OR c.id IS NOT NULL"
    ))  # fmt: skip
    if not postgres:
        # In rowid order: FTS5 appends to its segments instead of merging scattered ids
        # (15.1 s against 7.2 s at 1M events).
        conn.execute(text(
            "INSERT INTO search_fts (rowid, text) "
            f"SELECT s.id, {_ENTRY_TEXT} FROM search_entries AS s "
            "JOIN events ON events.id = s.event_id LEFT JOIN claims AS c ON c.id = s.claim_id "
            "ORDER BY s.id"
        ))  # fmt: skip


def index_builds(dialect: str) -> dict[str, Callable[[Connection], None]]:
    """The builds of the indexes `fill_entries` dropped, by index name: each can run on its
    own connection once the entries are committed."""
    builds: dict[str, Callable[[Connection], None]] = {
        str(index.name): index.create for index in S.indexes
    }
    if dialect == "postgresql":
        builds[_VECTOR_INDEX] = _build_vector_index
    return builds


def _build_vector_index(conn: Connection) -> None:
    conn.execute(text(f"CREATE INDEX {_VECTOR_INDEX} ON search_entries USING gin (tsv)"))


# PostgreSQL's index of the entries' vectors: migrations create it, outside the models.
_VECTOR_INDEX = "ix_search_entries_tsv"


def clear(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        # A contentless FTS5 table is emptied by this command; DELETE is not allowed.
        conn.execute(text("INSERT INTO search_fts (search_fts) VALUES ('delete-all')"))
    conn.execute(S.delete())


# An entry's text: its claim's quote, or its event's title and summary.
_ENTRY_TEXT = "coalesce(c.quote, events.title || ' ' || events.summary)"
