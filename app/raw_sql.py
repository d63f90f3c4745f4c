"""SQL written as text, and the code that runs statements on the driver's own cursor: the
one place for both. Everything else builds its statements with SQLAlchemy's expression
language (app/queries.py, app/overlap.py, app/facets.py, app/search.py).

Text is used where compiling or executing through SQLAlchemy costs more than the statement
itself (the fast page, the running-count lookups), and for bulk maintenance that the
expression language cannot say (FTS5 commands, COPY, numbered inserts). A statement's text
depends only on its shape (how many keys, which bounds are set), never on a request's
values, which are always bound; tests/test_raw_sql.py checks that no other module of the
application writes SQL text.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Connection,
    Date,
    Integer,
    LargeBinary,
    String,
    TextualSelect,
    bindparam,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Run on each new SQLite connection (app/db.py)."""
    # Foreign keys are off by default in SQLite; WAL lets readers run during a load.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def sqlite_deadline(dbapi_connection: Any, seconds: float, steps: int) -> None:
    """Interrupt this connection's statements once `seconds` have passed (app/work_bounds.py):
    SQLite calls the handler every `steps` virtual-machine steps, and a true answer stops
    the running statement with SQLITE_INTERRUPT."""
    deadline = time.monotonic() + seconds
    dbapi_connection.set_progress_handler(lambda: time.monotonic() > deadline, steps)


def postgres_statement_timeout(dbapi_connection: Any, milliseconds: int) -> None:
    """Bound each statement of a new serving connection (app/work_bounds.py): set outside
    any transaction, so that no rollback undoes it."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute(
            "SELECT set_config('statement_timeout', %s, false)", (str(milliseconds),)
        )
    finally:
        dbapi_connection.autocommit = autocommit


# The fast page of /events (app/rendered_pages.py).

PageSource = Literal["events", "actor", "claimant", "document", "via", "source"]
# (key column, column prefix of the event's dates, DISTINCT): where each source keeps an
# event's id and dates. A claimant, an outlet or a document may have several claims on one
# event.
_SOURCES = {
    "events": ("id", "", ""),
    "actor": ("event_id", "", ""),
    "claimant": ("event_id", "event_", "DISTINCT "),
    "document": ("event_id", "event_", "DISTINCT "),
    "via": ("event_id", "event_", "DISTINCT "),
    "source": ("event_id", "event_", "DISTINCT "),
}
# The (table, id column) scanned for each key: a `source` is the claimant or a relaying
# outlet, so each of its ids is looked for in both.
_ARMS = {
    "events": [("events", "")],
    "actor": [("actor_events", "actor_id")],
    "claimant": [("claims", "claimant_id")],
    "document": [("claims", "document_id")],
    "via": [("claim_via", "actor_id")],
    "source": [("claims", "claimant_id"), ("claim_via", "actor_id")],
}


@lru_cache(maxsize=256)
def page_statement(
    source: PageSource,
    keys: int,  # how many actor, claimant, outlet or document ids (:k0, :k1, …) to scan
    floors: tuple[bool, ...],  # one scan per precision (:p0, …), with a floor (:floor0) or not
    has_from: bool,
    has_to: bool,
    within: bool,
    has_after: bool,
    types: int = 0,  # how many event types (:t0, …) the events may be of
    descending: bool = False,
    hedged: bool = False,  # an actor's events with a claim of a hedge in :hedge_mask
    locations: int = 0,  # how many place patterns (:loc0, …) the event's place may match
    known: bool = False,  # an actor's events with a claim public on :known
) -> tuple[TextualSelect, str]:
    """The page's statement, typed for SQLAlchemy (PostgreSQL), and its SQL text for
    SQLite's own cursor: one range scan per key and precision, merged in timeline order,
    joined to the events' stored bodies. `floors` empty: one scan, in (date_earliest, id)
    order. `descending`: every scan, merge and cursor reversed (`order=desc`)."""
    key, pre, distinct = _SOURCES[source]
    desc, past = (" DESC", "<") if descending else ("", ">")
    earliest, latest = f"{pre}date_earliest", f"{pre}date_latest"
    common = []
    if has_from:
        common.append(f"{earliest} >= :from" if within else f"{latest} >= :from")
    if has_to:
        common.append(f"{earliest} <= :to")
        if within:
            common.append(f"{latest} <= :to")
    if has_after:
        # Newest first, before `to`: SQLite bounds its scan by the first upper bound given.
        after = f"({earliest}, {key}) {past} (:after_date, :after_id)"
        common.insert(0 if descending else len(common), after)
    if types:
        common.append(f"{pre}type IN ({', '.join(f':t{j}' for j in range(types))})")
    if hedged:
        assert source == "actor"  # only actor_events keeps the events' hedges
        common.append("(hedge_mask & :hedge_mask) <> 0")
    if known:
        assert source == "actor"  # only actor_events keeps the day a first claim was public
        common.append("known_first <= :known")
    if locations:
        assert source == "events"  # only the events keep their place
        common.append(f"({' OR '.join(f'location_key LIKE :loc{i}' for i in range(locations))})")
    arms_of = _ARMS[source]
    by_key = [
        (table, [f"{id_column} = :k{j}"]) for j in range(keys) for table, id_column in arms_of
    ] or [(arms_of[0][0], [])]

    def branch(table: str, conds: list[str], ordered: bool = True) -> str:
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        order = f" ORDER BY {earliest}{desc}, {key}{desc} LIMIT :n" if ordered else ""
        return (
            f"SELECT {distinct}{earliest} AS date_earliest, {key} AS event_id FROM {table}"
            f"{where}{order}"
        )

    branches: list[tuple[str, list[str]]] = []
    for table, key_conds in by_key:
        for i, has_floor in enumerate(floors or (False,)):
            conds = [*key_conds, *common]
            if floors:
                conds.append(f"{pre}date_precision = :p{i}")
            if has_floor:
                conds.append(f"{earliest} >= :floor{i}")
            branches.append((table, conds))
    merged = f"ORDER BY date_earliest{desc}, event_id{desc} LIMIT :n"
    if len(branches) == 1:
        table, conds = branches[0]
        picked = branch(table, conds)
    else:
        parts = [f"SELECT * FROM ({branch(t, c)}) AS b{i}" for i, (t, c) in enumerate(branches)]
        picked = f"SELECT {distinct}* FROM ({' UNION ALL '.join(parts)}) AS u {merged}"

    def joined(picked: str) -> str:
        return (
            f"SELECT p.date_earliest, p.event_id, j.body FROM ({picked}) AS p JOIN event_json "
            f"AS j ON j.event_id = p.event_id ORDER BY p.date_earliest{desc}, p.event_id{desc}"
        )

    # SQLite merges plain arms in their indexes' order and reads each only as far as the
    # page needs; an arm with its own ORDER BY and LIMIT is sorted, so read to its own n
    # rows. PostgreSQL plans plain arms as one sorted append of every row: its statement
    # keeps the limited arms.
    arms = " UNION ALL ".join(
        branch(table, c, ordered=False).replace(distinct, "", 1) for table, c in branches
    )
    if distinct:
        # DISTINCT would stop the merge. The claims list an event once per claim: the rows
        # stream, each with its body, for the caller to read until n events
        # (`distinct_rows`); a LIMIT or a join would make SQLite gather them all first.
        lazy = (
            "SELECT u.date_earliest, u.event_id, (SELECT j.body FROM event_json AS j "
            f"WHERE j.event_id = u.event_id) FROM ({arms}) AS u "
            f"ORDER BY u.date_earliest{desc}, u.event_id{desc}"
        )
    else:
        lazy = joined(f"SELECT * FROM ({arms}) AS u {merged}")

    stmt = text(joined(picked))
    dates = ["from", "to", "after_date", "known"] + [f"floor{i}" for i in range(len(floors))]
    params: list[BindParameter[Any]] = [
        bindparam(name, type_=Date) for name in dates if f":{name}" in stmt.text
    ]
    params.append(bindparam("n", type_=Integer))
    if hedged:
        params.append(bindparam("hedge_mask", type_=Integer))
    params += [bindparam(f"loc{i}", type_=String) for i in range(locations)]
    params += [bindparam(name, type_=String) for name in ("after_id",) if f":{name}" in stmt.text]
    params += [bindparam(f"p{i}", type_=String) for i in range(len(floors))]
    params += [bindparam(f"k{j}", type_=String) for j in range(keys)]
    params += [bindparam(f"t{j}", type_=String) for j in range(types)]
    typed = stmt.bindparams(*params).columns(date_earliest=Date, event_id=String, body=LargeBinary)
    return typed, lazy


def sqlite_rows(conn: Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    """A page statement run on SQLite's own cursor, with the rows SQLAlchemy would give.

    SQLAlchemy's execution context (parameter and result processing, the result object)
    is a large share of the main query's CPU for a statement whose text and types are
    fixed. The dates go in and come out as the ISO text SQLite stores, as the Date type
    would convert them, and the driver's errors leave as SQLAlchemy's, as from any other
    statement. PostgreSQL keeps SQLAlchemy's path: there the round trip dominates."""
    return _sqlite_page(conn, sql, params, None)


def distinct_rows(conn: Connection, sql: str, params: dict[str, Any], n: int) -> list[Any]:
    """The first n events of a page statement whose rows may repeat an event (a claimant's
    or a document's, on SQLite), read from its cursor only as far as they go."""
    return _sqlite_page(conn, sql, params, n)


def _sqlite_page(
    conn: Connection, sql: str, params: dict[str, Any], distinct: int | None
) -> list[Any]:
    raw = conn.connection.driver_connection
    assert raw is not None
    values = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    try:
        cursor = raw.execute(sql, values)
        try:
            if distinct is None:
                return [(date.fromisoformat(d), i, b) for d, i, b in cursor]
            out: list[Any] = []
            for d, i, b in cursor:
                # Timeline order puts an event's repeats next to each other.
                if out and out[-1][1] == i:
                    continue
                out.append((date.fromisoformat(d), i, b))
                if len(out) == distinct:
                    break
            return out
        finally:
            cursor.close()
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, values, exc, sqlite3.Error) from exc


# Running counts (app/running_counts.py).


def running_counts_at(
    conn: Connection, windows: int, params: tuple[object, ...]
) -> Iterable[tuple[int, int]]:
    """(k, count) of each window k, whose (k, scope_kind, scope, value, lo, hi) are
    `params`, six at a time: begun on or before `hi`, less ended before `lo`."""
    postgres = conn.dialect.name == "postgresql"
    return conn.exec_driver_sql(_running_count_sql(windows, postgres), params)


@lru_cache(maxsize=64)
def _running_count_sql(n: int, postgres: bool) -> str:
    # Compiled once per size: building it with SQLAlchemy cost more than running it.
    p = "%s" if postgres else "?"
    row = f"({p}, {p}, {p}, {p}, {p}::date, {p}::date)" if postgres else f"({', '.join([p] * 6)})"

    def last(value: str, bound: str) -> str:
        return (
            f"coalesce((SELECT r.{value} FROM running_counts AS r "
            "WHERE r.scope_kind = q.scope_kind AND r.scope = q.scope AND r.value = q.value "
            f"AND r.day {bound} "
            "ORDER BY r.day DESC LIMIT 1), 0)"
        )

    return (
        f"WITH q (k, scope_kind, scope, value, lo, hi) AS (VALUES {', '.join([row] * n)}) "
        f"SELECT q.k, {last('started', '<= q.hi')} - {last('ended', '< q.lo')} FROM q"
    )


def running_count_ends() -> TextualSelect:
    """(scope_kind, scope, type, day, begun, ended): how many events of each scope and type
    begin and end on each day. An event is in the scope of everyone ('actor', ''), in each
    actor's scope that actor_events lists it under, and in the 'claimant' scope of each
    ancestor of one of its claimants (actor_ancestors): running_counts' ACTOR, ALL and
    CLAIMANT, whose rows tests compare with running_counts.Tally's."""
    scoped = (
        "SELECT 'actor' AS scope_kind, '' AS scope, type, date_earliest, date_latest "
        "FROM events UNION ALL SELECT 'actor', actor_id, type, date_earliest, date_latest "
        "FROM actor_events UNION ALL "
        "SELECT 'claimant', scope, type, date_earliest, date_latest FROM ("
        "  SELECT DISTINCT up.ancestor_id AS scope, e.id, e.type, e.date_earliest, "
        "  e.date_latest FROM claims AS c "
        "  JOIN actor_ancestors AS up ON up.actor_id = c.claimant_id "
        "  JOIN events AS e ON e.id = c.event_id"
        ") AS claimed"
    )
    return text(
        "SELECT scope_kind, scope, type, day, sum(b), sum(e) FROM ("
        "  SELECT scope_kind, scope, type, date_earliest AS day, 1 AS b, 0 AS e "
        f"  FROM ({scoped}) AS s1"
        f"  UNION ALL SELECT scope_kind, scope, type, date_latest, 0, 1 FROM ({scoped}) AS s2"
        ") AS ends GROUP BY scope_kind, scope, type, day ORDER BY scope_kind, scope"
    ).columns(day=Date)


# Search (app/search.py).


class FullTextMatch(ColumnElement[bool]):
    """`search_entries` rows whose text holds every term: SQLite's FTS5 query text or
    PostgreSQL's tsquery literal (search._query_text), each bound, compiled per database."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, fts5: str, tsquery: str) -> None:
        self.fts5, self.tsquery = fts5, tsquery

    def param(self, compiler: SQLCompiler, **kw: Any) -> str:
        value = self.tsquery if compiler.dialect.name == "postgresql" else self.fts5
        return str(compiler.process(bindparam("search", value, unique=True), **kw))


@compiles(FullTextMatch, "sqlite")
def _fts5_match(element: FullTextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        "search_entries.id IN (SELECT rowid FROM search_fts "
        f"WHERE search_fts MATCH {element.param(compiler, **kw)})"
    )


@compiles(FullTextMatch, "postgresql")
def _tsquery_match(element: FullTextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"search_entries.tsv @@ CAST({element.param(compiler, **kw)} AS tsquery)"


# An entry's text: its claim's quote, or its event's title and summary (search.event_text).
_ENTRY_TEXT = "coalesce(c.quote, events.title || ' ' || events.summary)"
# The entries, numbered in timeline order, each event's together: search.event_ids_in_order
# relies on it. One entry per event (kind 0) and one per claim (kind 1), read in the order
# of the events' timeline index, so SQLite numbers them without sorting every entry.
_NUMBER = "row_number() OVER (ORDER BY events.date_earliest, events.id)"
# The same numbering over rows that carry their event's id and earliest date.
ENTRY_NUMBER = "row_number() OVER (ORDER BY date_earliest, event_id)"
_ENTRIES = (
    "FROM events CROSS JOIN (SELECT 0 AS kind UNION ALL SELECT 1) AS kinds "
    "LEFT JOIN claims AS c ON kinds.kind = 1 AND c.event_id = events.id "
    "WHERE kinds.kind = 0 OR c.id IS NOT NULL"
)
# PostgreSQL's index of the entries' vectors: migrations create it, outside the models.
VECTOR_INDEX = "ix_search_entries_tsv"


def fill_sqlite_entries(conn: Connection, fts_text: Callable[[str], str]) -> None:
    """search_entries, numbered, and search_fts with `fts_text` of each entry's text."""
    conn.execute(text(
        "INSERT INTO search_entries (id, event_id, claim_id, known_from, tsv) "
        f"SELECT {_NUMBER}, events.id, c.id, c.known_from, NULL {_ENTRIES}"
    ))  # fmt: skip
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.create_function("claimline_fts_text", 1, fts_text, deterministic=True)
    # In rowid order: FTS5 appends to its segments instead of merging scattered ids.
    conn.execute(text(
        "INSERT INTO search_fts (rowid, text) "
        f"SELECT s.id, claimline_fts_text({_ENTRY_TEXT}) FROM search_entries AS s "
        "JOIN events ON events.id = s.event_id LEFT JOIN claims AS c ON c.id = s.claim_id "
        "ORDER BY s.id"
    ))  # fmt: skip


# Rows fetched, and then sent by one COPY, at a time.
COPY_BATCH = 20_000
_COPY_ENTRIES = "COPY search_entries (id, event_id, claim_id, known_from, tsv) FROM STDIN"


def copy_postgres_entries(conn: Connection, vector: Callable[[str], str]) -> None:
    """PostgreSQL's entries, with the lexemes `vector` makes of each text: the numbered
    texts are read through a server-side cursor and sent back by COPY, a batch at a time,
    on the caller's connection and in its transaction."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor(name="search_entry_texts") as source, raw.cursor() as target:
        source.execute(f"SELECT {_NUMBER}, events.id, c.id, c.known_from, {_ENTRY_TEXT} {_ENTRIES}")
        while rows := source.fetchmany(COPY_BATCH):
            with target.copy(_COPY_ENTRIES) as copy:
                for number, event_id, claim_id, known_from, entry_text in rows:
                    copy.write_row((number, event_id, claim_id, known_from, vector(entry_text)))


def drop_vector_index(conn: Connection) -> None:
    conn.execute(text(f"DROP INDEX IF EXISTS {VECTOR_INDEX}"))


def build_vector_index(conn: Connection) -> None:
    conn.execute(text(f"CREATE INDEX {VECTOR_INDEX} ON search_entries USING gin (tsv)"))


def clear_fts(conn: Connection) -> None:
    # A contentless FTS5 table is emptied by this command; DELETE is not allowed.
    conn.execute(text("INSERT INTO search_fts (search_fts) VALUES ('delete-all')"))


# Transactions and locks: the server's one snapshot per request (app/db.py) and the load's
# write lock (app/loader/lock.py).

# How long a SQLite statement waits for another connection's lock, usually (sqlite_pragmas).
BUSY_TIMEOUT_MS = 5000


def sqlite_driver(conn: Connection) -> sqlite3.Connection:
    raw = conn.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def sqlite_manual_transactions(raw: sqlite3.Connection, manual: bool) -> None:
    """Turn pysqlite's own BEGIN (sent before the first write only) off, or back on."""
    # "" is pysqlite's default (a plain BEGIN); typeshed lists only the named modes.
    raw.isolation_level = None if manual else ""  # type: ignore[assignment]


def sqlite_begin(raw: sqlite3.Connection, immediate: bool = False) -> None:
    """BEGIN, unless a transaction is open; IMMEDIATE takes the write lock there and then,
    waiting for it up to busy_timeout."""
    if not raw.in_transaction:
        raw.execute(f"BEGIN{' IMMEDIATE' if immediate else ''}")


def sqlite_busy_timeout(raw: sqlite3.Connection, ms: int) -> None:
    raw.execute(f"PRAGMA busy_timeout={int(ms)}")


def postgres_advisory_lock(conn: Connection, key: int, timeout_ms: int) -> None:
    """Take the session-level advisory lock `key`, waiting up to `timeout_ms` (then
    lock_not_available, SQLSTATE 55P03); held until postgres_advisory_unlock or the session
    ends."""
    wait = {"ms": f"{max(1, timeout_ms)}ms"}
    conn.execute(text("SELECT set_config('lock_timeout', :ms, true)"), wait)
    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})


def postgres_advisory_unlock(conn: Connection, key: int) -> None:
    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


def postgres_advisory_xact_lock(conn: Connection, key: int, timeout_ms: int) -> None:
    """Take the transaction-level advisory lock `key`, waiting up to `timeout_ms` (then
    lock_not_available, SQLSTATE 55P03); the transaction's later statements wait as usual."""
    wait = {"ms": f"{max(1, timeout_ms)}ms"}  # 0 would mean no limit at all
    conn.execute(text("SELECT set_config('lock_timeout', :ms, true)"), wait)
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    conn.execute(text("SELECT set_config('lock_timeout', '0', true)"))
