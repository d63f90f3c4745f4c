"""Full-text search (`q=`): the words of a query, the index they are looked up in, and the
SQL condition that selects the events they find.

The searchable texts are `search_entries` (a derived table, app/models.py): one entry per
event (its title and summary) and one per claim (its quote, with the day it became known,
so `known_as_of` hides quotes not yet published). An event matches when one entry holds
every word: accents, case and punctuation are ignored, and a word ending in `*` matches any
word it begins. SQLite indexes the entries in an FTS5 table, `search_fts`; PostgreSQL in a
`tsvector` column with a GIN index (migration 0006).

What a word is, is decided here, once: `words` (runs of letters and digits of the folded
text) for the texts, and the same rule in `terms` for a query. Both indexes hold exactly
those words (migration 0013): PostgreSQL the lexemes `vector` lists, looked up as they are,
with no parser or dictionary of the server's in between; SQLite's FTS5 table, through its
`ascii` tokenizer, the text itself when it is ASCII (which that tokenizer splits and folds
as `words` does) or else its words. So the two databases find the same events whatever the
script, and the same as a reading of the texts in Python.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    column,
    exists,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql.expression import ColumnElement

from app import binds, raw_sql
from app.models import events_table as E
from app.models import search_entries_table as S

MAX_TERMS = 16
MAX_TERM_LENGTH = 64
# Longer words are indexed cut to this length, under PostgreSQL's limit on a lexeme (2,047
# bytes): no query term is as long (MAX_TERM_LENGTH), so only prefixes can reach them, and
# the cut keeps every prefix a term can be.
MAX_INDEXED_LENGTH = 255
_WORD = re.compile(r"([^\W_]+)(\*?)")
_WORDS = re.compile(r"[^\W_]+")
# Letters that no decomposition takes an accent from, but that readers type as plain
# Latin letters ("manoeuvre", "Lodz"), as PostgreSQL's unaccent also reads them.
_PLAIN_LATIN = str.maketrans(
    {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ħ": "h"}
    | {"\u0131": "i"}  # dotless i, escaped: it reads as "i"
)


class SearchError(ValueError):
    pass


def fold(value: str) -> str:
    """Lower case, compatibility forms spelled plainly (ﬁ, ², mathematical letters), accents
    and the letters of _PLAIN_LATIN made plain, then recomposed (NFC), so that Hangul
    syllables stay syllables."""
    if value.isascii():
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", value).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.translate(_PLAIN_LATIN))


def words(text: str) -> list[str]:
    """The text's searchable words, in order: its runs of letters and digits, folded."""
    return _WORDS.findall(fold(text))


def phrase_key(text: str) -> str:
    """The text's words joined by single spaces and padded with one at each end, so that a
    phrase's key is a substring of a text's key exactly when the text holds those words in
    a row: "kursk oblast russia" holds "kursk", "oblast russia", not "kurs" or "russian"."""
    return f" {' '.join(words(text))} "


def vector(text: str) -> str:
    """The text's words as a PostgreSQL tsvector literal (lexemes without positions: a
    search is an AND of words and prefixes). Words hold no quote or backslash to escape.
    Kept lean: the generator's producers make one per entry."""
    folded = fold(text)
    found = _WORDS.findall(folded)
    if len(folded) > MAX_INDEXED_LENGTH:  # only then can a word be as long
        found = [w[:MAX_INDEXED_LENGTH] for w in found]
    return "'" + "' '".join(dict.fromkeys(found)) + "'" if found else ""


def fts_text(text: str) -> str:
    """What SQLite's FTS5 table is given for a text: FTS5's `ascii` tokenizer splits ASCII
    at what is not a letter or digit and lowers its case, as `words` does, and keeps every
    other character inside a token, so it is given the words of any other text."""
    return text if text.isascii() else " ".join(words(text))


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


def _query_text(found: tuple[str, ...], postgres: bool) -> str:
    # Terms are runs of letters and digits (plus a final *), so nothing here can be query
    # syntax; both forms are AND of the words. PostgreSQL's is a tsquery literal, read with
    # no parser or dictionary, so the lexemes are the terms exactly.
    if postgres:
        return " & ".join(f"'{t[:-1]}':*" if t.endswith("*") else f"'{t}'" for t in found)
    return " ".join(f'"{t[:-1]}"*' if t.endswith("*") else f'"{t}"' for t in found)


def event_matches(
    event_id: ColumnElement[str], found: tuple[str, ...], known_as_of: Any, per_event: bool = False
) -> ColumnElement[bool]:
    """The event has an entry (known on `known_as_of`) that holds every term.

    By default an IN over the index's matches, so the planner can start from a rare word's
    few matches. `per_event`: an EXISTS probing the event's own entries, for when other
    conditions have already narrowed the events down and the words may be common."""
    conds: list[ColumnElement[bool]] = [
        raw_sql.FullTextMatch(_query_text(found, postgres=False), _query_text(found, postgres=True))
    ]
    if known_as_of is not None:
        conds.append(S.c.known_from.is_(None) | (S.c.known_from <= known_as_of))
    if per_event:
        return exists(select(1).where(S.c.event_id == event_id, *conds))
    return event_id.in_(select(S.c.event_id).where(*conds))


CHUNK = 4

Conditions = Callable[[], list[ColumnElement[bool]]]


def event_ids_in_order(
    conn: Connection,
    found: tuple[str, ...],
    v: binds.Binds,
    start: Conditions,
    stop: Conditions,
    conds: Conditions,
    n: int,
) -> list[str]:
    """The first `n` events, in timeline order, with an entry holding every term and
    satisfying `conds`, among the events from the first that satisfies `start` to the last
    that satisfies `stop` (either may give none: no bound).

    Entries are numbered in timeline order, each event's together (see `fill`), so reading
    the index's matches by entry id reads the events in timeline order, and the page is
    full after its first few matches however common the words. The start and stop events
    bound the entry ids read, so the date range and the cursor cost one lookup each. With
    `v.descending` the entries are read by decreasing id, from the stop event back.

    The conditions are built from `v`'s named parameters (app/binds.py), and only when
    this shape of request has no statement yet: each statement is kept per shape and run
    with the request's values."""
    postgres = conn.dialect.name == "postgresql"
    kind = ("search", conn.dialect.name)
    lo = _bound(conn, v, v.shape(*kind, "first"), start, first=True)
    hi = _bound(conn, v, v.shape(*kind, "last"), stop, first=False)
    if lo is _EMPTY or hi is _EMPTY:
        return []
    values = {**v.values, "search": _query_text(found, postgres), "chunk": CHUNK * n}
    # Read from one bound towards the other (`end`), past the entries read (`past`).
    end: int | None
    past: int | None
    if v.descending:
        end, past = lo, None if hi is None else hi + 1
    else:
        end, past = hi, None if lo is None else lo - 1
    if end is not None:
        values["end_entry"] = end
    ids: list[str] = []
    while len(ids) < n:
        if past is not None:
            values["past_entry"] = past
        ended, passed = end is not None, past is not None
        stmt = binds.STATEMENTS.get(
            v.shape(*kind, "entries", ended, passed),
            lambda: _entries(v, postgres, conds(), ended, passed),  # noqa: B023 (run at once)
        )
        rows = conn.execute(stmt, values).all()
        for _, event_id in rows:
            if not ids or ids[-1] != event_id:  # an event's entries are consecutive
                ids.append(event_id)
        if len(rows) < values["chunk"]:
            break
        past = rows[-1][0]
    return ids[:n]


_EMPTY: Any = object()
_FTS = table("search_fts", column("rowid", Integer))


def _entries(
    v: binds.Binds,
    postgres: bool,
    conds: list[ColumnElement[bool]],
    ended: bool,
    passed: bool,
) -> Select[Any]:
    """Entry ids and their events, in entry order (decreasing with `v.descending`): the
    `chunk` next matches of the words (`search`) that satisfy `conds`, beyond `past_entry`
    and up to `end_entry` when given."""
    entry_id = S.c.id if postgres else _FTS.c.rowid
    source = S.join(E, E.c.id == S.c.event_id)
    if not postgres:
        source = _FTS.join(source, S.c.id == _FTS.c.rowid)
    where = [_match_clause(postgres), *conds]
    if v.has("known"):
        where.append(S.c.known_from.is_(None) | (S.c.known_from <= v.param("known")))
    end, past = bindparam("end_entry", type_=Integer), bindparam("past_entry", type_=Integer)
    if ended:
        where.append(entry_id >= end if v.descending else entry_id <= end)
    if passed:
        where.append(entry_id < past if v.descending else entry_id > past)
    order = entry_id.desc() if v.descending else entry_id
    return (
        select(entry_id, S.c.event_id).select_from(source)
        .where(*where).order_by(order).limit(bindparam("chunk"))
    )  # fmt: skip


def _bound(
    conn: Connection, v: binds.Binds, shape: Hashable, conds: Conditions, first: bool
) -> Any:
    """The first entry id of the first event satisfying `conds` (or the last entry id of the
    last one); None without conditions, _EMPTY when no event satisfies them."""

    def build() -> Select[Any] | None:
        made = conds()
        if not made:
            return None
        order = (E.c.date_earliest, E.c.id) if first else (E.c.date_earliest.desc(), E.c.id.desc())
        event = select(E.c.id).where(*made).order_by(*order).limit(1).scalar_subquery()
        pick = func.min(S.c.id) if first else func.max(S.c.id)
        return select(pick).where(S.c.event_id == event)

    stmt = binds.STATEMENTS.get(shape, build)
    if stmt is None:
        return None
    value = conn.execute(stmt, v.values).scalar()
    return _EMPTY if value is None else value


def _match_clause(postgres: bool) -> ColumnElement[bool]:
    """The entry holds the words of the `search` parameter (_query_text's form)."""
    if postgres:
        return S.c.tsv.op("@@")(cast(bindparam("search", type_=String), TSQUERY))
    match = literal_column("search_fts").op("MATCH", is_comparison=True)
    return match(bindparam("search", type_=String))


def fill(conn: Connection) -> int:
    """Fill `search_entries` (and SQLite's `search_fts`) from events and claims: numbered in
    SQL, with the words `words` reads (fill_entries)."""
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
    drop_indexes(conn)
    if conn.dialect.name == "postgresql":
        raw_sql.copy_postgres_entries(conn, vector)
    else:
        raw_sql.fill_sqlite_entries(conn, fts_text)


def drop_indexes(conn: Connection) -> None:
    """Drop the indexes `index_builds` builds."""
    for index in S.indexes:
        index.drop(conn)
    if conn.dialect.name == "postgresql":
        raw_sql.drop_vector_index(conn)


def event_text(title: str, summary: str) -> str:
    """An event's own searchable text, as raw_sql._ENTRY_TEXT makes it in SQL."""
    return f"{title} {summary}"


def index_builds(dialect: str) -> dict[str, Callable[[Connection], None]]:
    """The builds of the indexes `fill_entries` dropped, by index name: each can run on its
    own connection once the entries are committed."""
    builds: dict[str, Callable[[Connection], None]] = {
        str(index.name): index.create for index in S.indexes
    }
    if dialect == "postgresql":
        builds[raw_sql.VECTOR_INDEX] = raw_sql.build_vector_index
    return builds


def clear(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        raw_sql.clear_fts(conn)
    conn.execute(S.delete())
