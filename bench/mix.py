"""The real mix of `GET /events` requests, not one URL: Claimline against Datasette, with wrk.

    python bench/mix.py --db /tmp/new1m.db [--small-db /tmp/new10k.db] [--postgres-url URL]
        [--duration 8] [--urls 4000] [--shapes a,b,...] [--no-datasette] [--seed 1]
        [--json out.json] [--claimline-pythonpath DIR] [--warmup 2] [--connections 32]
        [--gate-samples 5] [--gate-only]

The database comes from `claimline generate`. Every request of a shape is a distinct URL
built from real values of that file (actors and their aliases, outlets, document ids,
places, words of its titles and quotes, events to page from), drawn with a seeded RNG, so
a run is reproducible and no response cache can hold a shape. wrk (-t2 -c32 --latency)
cycles through each shape's file of paths with a Lua script, each request taking the next
path. Claimline runs as bench/run.py runs it: `claimline serve`, 1 worker, response cache
off (CLAIMLINE_RESPONSE_CACHE_MIB=0, or CLAIMLINE_RESPONSE_CACHE=0 for a checkout older
than that setting). Per shape and for the mix: req/s, p50, p99, the server tree's
CPU ms per request (/proc), its peak RSS (VmHWM, reset before each run), non-2xx responses
and timeouts (a warning if any). Each server gets one warm-up on the mix; before each run
the harness waits for the server to go idle, since requests wrk abandoned may still be
running. A shape with no request done within the run is timed once alone, as run.py does.

Shapes (all `limit=50`) and their weight in the mix, out of 100:

    shape            weight  request
    actor_day           5    actor + one day
    actor_month        25    actor + a month
    actor_quarter      15    actor + three months
    actor_year          5    actor + a year (calendar or twelve months from any day)
    actor_alone         3    actor, all dates, first page or a page from a cursor
    claimant_window    10    claimant + a month or three months
    claimant_alone      2    claimant, all dates, first page or a page from a cursor
    via_quarter         2    relaying outlet + three months
    source_quarter      2    claimant or outlet (`source`) + three months
    type_actor          8    event type + actor + three months
    type_claimant       4    event type + claimant + three months
    hedge_actor         3    hedge + actor + three months
    document            2    one document
    location_quarter    2    words of a place + three months
    dates_month         3    a month, no other filter
    within              2    actor + three months, date_match=within
    known_as_of         3    known_as_of + actor + three months
    q_alone             2    one to three words of a real title or quote (some prefixes)
    q_actor_year        2    words of an event's texts + one of its actors + its year

Windows are calendar months written YYYY-MM (or YYYY) most of the time, otherwise the same
length from any day, written YYYY-MM-DD. Actors are one of the 8 states half the time and
one of their 32 sub-actors otherwise, typed as an alias one time in seven. `fixed` is the
old single URL /events?actor=dprk&from=2024-06-01&to=2024-06-30, measured alone.

Datasette 0.65.5 (immutable) answers each shape from a canned query with named parameters,
written as a careful SQL user would on the same file, with the same rows nested as
bench/run.py's DATASETTE_EVENTS, in the same (date_earliest, id) order, 50 at most:

- actor, claimant, via, source include sub-actors through `actor_ancestors`;
- claimant, via, source, hedge, document and known_as_of are claim filters: the event
  matches when one of its claims passes all of them (known_from <= known_as_of). For
  known_as_of, the nested claims are only those known that day, as Claimline's;
- overlap is date_latest >= from and date_earliest <= to, with the floor
  date_earliest >= from minus the longest event span the file's dataset_meta records (a
  careful user's bound, as bench/run.py's); within is earliest >= from and latest <= to;
- location is location_key LIKE '%' || the phrase's key || '%' (app.search.phrase_key);
- q looks the words up in the FTS5 table search_fts, as bench/run.py's search does (an
  event matches when one of its entries holds every word); the harness writes the FTS5
  query ("w1" "w2" "pre"*) from the typed words;
- a cursor is (date_earliest, id) > (after_date, after_id); a first page passes ''.
The document filter is written as IN (the claims of that document), the others as EXISTS:
each the form SQLite plans well for it. Every shape's semantics are matched exactly: none
is approximated, and the gate below checks each.

Before measuring, a gate fetches a few URLs of every shape from both servers and requires
the same event ids in the same order (and, with --postgres-url, the same ids from
Claimline on PostgreSQL as on SQLite). A mismatch stops the run, except with
--claimline-pythonpath (an older checkout may differ on purpose): then it is reported and
that shape's ratio is left out.
"""

from __future__ import annotations

import argparse
import base64
import calendar
import functools
import json
import random
import re
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from app.search import phrase_key, terms, words
from app.vocab import EventType, Hedge

# The generator's calendar: every window falls where its events are.
from bench.generate import END, START
from bench.run import (
    BIN,
    DATASETTE_EVENTS,
    ROOT,
    cpu_seconds,
    ensure_datasette,
    free_port,
    get_json,
    peak_rss_mib,
    server,
    tree,
)

LIMIT = 50
THREADS = 2
FIXED_PATH = "/events?actor=dprk&from=2024-06-01&to=2024-06-30"
FIXED_DS = {"actor": "dprk", "from": "2024-06-01", "to": "2024-06-30"}

# Each thread starts at its own offset in the file and its connections take the next path
# in turn, so the requests walk the whole file instead of repeating one URL.
WRK_LUA = """
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
local paths = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = math.floor(#paths * tid / tonumber(args[2]))
end
function request()
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
end
"""


# --- What a request asks, as Claimline's URL and as Datasette's parameters ---------------


@dataclass(frozen=True)
class Window:
    cl_from: str  # as typed in the URL
    cl_to: str
    start: date  # the days the API reads them as
    end: date


@dataclass(frozen=True)
class Ask:
    """One request's filters: (typed, resolved id) for actors, dates as days."""

    actor: tuple[str, str] | None = None
    claimant: tuple[str, str] | None = None
    via: tuple[str, str] | None = None
    source: tuple[str, str] | None = None
    window: Window | None = None
    within: bool = False
    type: str | None = None
    hedge: str | None = None
    document: str | None = None
    known_as_of: date | None = None
    q: str | None = None
    location: str | None = None
    # (date_earliest, id) to page after; ("", "") is a first page of a paged shape.
    cursor: tuple[str, str] | None = None
    limit: int | None = LIMIT

    def path(self) -> str:
        p: list[tuple[str, str]] = []
        for name in ("actor", "claimant", "via", "source"):
            value = getattr(self, name)
            if value is not None:
                p.append((name, value[0]))
        if self.window is not None:
            p += [("from", self.window.cl_from), ("to", self.window.cl_to)]
            if self.within:
                p.append(("date_match", "within"))
        for name in ("type", "hedge", "document", "q", "location"):
            if getattr(self, name) is not None:
                p.append((name, getattr(self, name)))
        if self.known_as_of is not None:
            p.append(("known_as_of", self.known_as_of.isoformat()))
        if self.limit is not None:
            p.append(("limit", str(self.limit)))
        if self.cursor is not None and self.cursor[0]:
            p.append(("cursor", encode_cursor(*self.cursor)))
        return "/events?" + urllib.parse.urlencode(p)

    def datasette(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in ("actor", "claimant", "via", "source"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value[1]
        if self.window is not None:
            out["from"], out["to"] = self.window.start.isoformat(), self.window.end.isoformat()
        for name in ("type", "hedge", "document"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.known_as_of is not None:
            out["known_as_of"] = self.known_as_of.isoformat()
        if self.q is not None:
            out["q"] = fts_query(self.q)
        if self.location is not None:
            out["place"] = phrase_key(self.location)
        if self.cursor is not None:
            out["after_date"], out["after_id"] = self.cursor
        return out


def encode_cursor(when: str, row_id: str) -> str:
    """app.cursor's format, written here so an older checkout's server reads it too."""
    raw = json.dumps(["events", when, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def fts_query(q: str) -> str:
    # What a SQL user types into MATCH for these words: each quoted, prefixes starred.
    return " ".join(f'"{t[:-1]}"*' if t.endswith("*") else f'"{t}"' for t in terms(q))


# --- The Datasette canned query of a shape --------------------------------------------------

ANCESTOR = "select a.actor_id from actor_ancestors a where a.ancestor_id = :{}"


def via_cond(param: str) -> str:
    return (
        "exists (select 1 from claim_via v where v.claim_id = c.id"
        f" and v.actor_id in ({ANCESTOR.format(param)}))"
    )


def canned_sql(ask: Ask, span: int) -> str:
    """The SQL for every request of `ask`'s shape (the shape is the set of filters set)."""
    conds: list[str] = []
    if ask.actor:
        conds.append(
            "exists (select 1 from event_actors x where x.event_id = e.id"
            f" and x.actor_id in ({ANCESTOR.format('actor')}))"
        )
    if ask.type:
        conds.append("e.type = :type")
    if ask.window and ask.within:
        conds.append("e.date_earliest >= :from and e.date_latest <= :to")
    elif ask.window:
        conds.append(
            "e.date_latest >= :from and e.date_earliest <= :to"
            f" and e.date_earliest >= date(:from, '-{span} days')"
        )
    if ask.location:
        conds.append("e.location_key like '%' || :place || '%'")
    if ask.q:
        conds.append(
            "e.id in (select s.event_id from search_entries s"
            " where s.id in (select rowid from search_fts where search_fts match :q))"
        )
    claim: list[str] = []
    if ask.claimant:
        claim.append(f"c.claimant_id in ({ANCESTOR.format('claimant')})")
    if ask.via:
        claim.append(via_cond("via"))
    if ask.source:
        claim.append(f"(c.claimant_id in ({ANCESTOR.format('source')}) or {via_cond('source')})")
    if ask.hedge:
        claim.append("c.hedge = :hedge")
    if ask.document:
        claim.append("c.document_id = :document")
    if ask.known_as_of:
        claim.append("c.known_from <= :known_as_of")
    if claim and ask.document:
        conds.append(f"e.id in (select c.event_id from claims c where {' and '.join(claim)})")
    elif claim:
        conds.append(f"exists (select 1 from claims c where c.event_id = e.id and {' and '.join(claim)})")  # fmt: skip
    if ask.cursor:
        conds.append("(e.date_earliest, e.id) > (:after_date, :after_id)")
    select = DATASETTE_EVENTS
    if ask.known_as_of:
        # Claims not yet published that day are not in Claimline's answer either.
        nested = "from claims c where c.event_id = e.id)"
        assert nested in select
        select = select.replace(nested, nested[:-1] + " and c.known_from <= :known_as_of)")
    where = f"where {' and '.join(conds)}\n" if conds else ""
    return f"{select}{where}order by e.date_earliest, e.id limit {LIMIT}"


# --- Real values of the file ----------------------------------------------------------------


@dataclass
class Sampled:
    """An event of the file, with what a request about it can name."""

    id: str
    earliest: date
    actors: list[str]
    texts: list[str]


@dataclass
class Pool:
    states: list[str]
    subs: list[str]
    outlets: list[str]
    names: dict[str, list[str]]  # actor id -> aliases and display names that resolve to it
    documents: list[str]
    places: list[str]
    events: list[Sampled]
    parent: dict[str, str]
    span: int  # the longest event span in days (dataset_meta)
    spans_known: bool = field(default=True)


def rows_by_rowid(
    db: sqlite3.Connection, table: str, columns: str, n: int, rng: random.Random
) -> list[Any]:
    top = db.execute(f"select max(rowid) from {table}").fetchone()[0] or 0
    picks = sorted(rng.sample(range(1, top + 1), n)) if n < top else list(range(1, top + 1))
    out: list[Any] = []
    for i in range(0, len(picks), 500):
        chunk = picks[i : i + 500]
        out += db.execute(
            f"select {columns} from {table} where rowid in ({','.join('?' * len(chunk))})"
            " order by rowid",
            chunk,
        ).fetchall()
    return out


def load_pool(path: Path, seed: int, n: int) -> Pool:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rng = random.Random(f"{seed}-pool")
    actors = db.execute("select id, name, kind, parent_id from actors order by id").fetchall()
    names: dict[str, list[str]] = {a[0]: [a[1]] for a in actors}
    for name, actor_id in db.execute("select name, actor_id from actor_aliases order by name"):
        names[actor_id].append(name)
    spans = db.execute(
        "select value from dataset_meta where key = 'max_event_span_days_by_precision'"
    ).fetchone()
    events = rows_by_rowid(db, "events", "id, date_earliest, title, summary, location_name", n, rng)
    ids = [e[0] for e in events]
    extra: dict[str, tuple[list[str], list[str]]] = {i: ([], []) for i in ids}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for event_id, actor_id in db.execute(
            f"select event_id, actor_id from event_actors where event_id in ({marks})"
            " order by event_id, actor_id",
            chunk,
        ):
            extra[event_id][0].append(actor_id)
        for event_id, quote in db.execute(
            f"select event_id, quote from claims where event_id in ({marks}) order by id", chunk
        ):
            extra[event_id][1].append(quote)
    sampled = [
        Sampled(e[0], date.fromisoformat(e[1]), extra[e[0]][0], [f"{e[2]} {e[3]}", *extra[e[0]][1]])
        for e in events
    ]
    places = sorted({e[4] for e in events if e[4]})
    documents = [r[0] for r in rows_by_rowid(db, "documents", "id", n, rng)]
    db.close()
    return Pool(
        states=[a[0] for a in actors if a[2] == "state"],
        subs=[a[0] for a in actors if a[3] is not None],
        outlets=[a[0] for a in actors if a[2] == "news_outlet"],
        names=names,
        documents=documents,
        places=sorted({run for p in places for run in phrases(p)}),
        events=sampled,
        parent={a[0]: a[3] for a in actors if a[3]},
        span=max(json.loads(spans[0]).values()) if spans else 366,
        spans_known=spans is not None,
    )


def phrases(place: str) -> list[str]:
    """Each run of consecutive words of a place, as written: what a user may type of it."""
    found = re.findall(r"[^\W_]+", place)
    return [" ".join(found[i:j]) for i in range(len(found)) for j in range(i + 1, len(found) + 1)]


# --- Drawing requests -----------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window(rng: random.Random, months: int) -> Window:
    """`months` calendar months written YYYY-MM (a year as YYYY), or as long from any day."""
    if months == 0:
        day = START + timedelta(days=rng.randrange((END - START).days + 1))
        return Window(day.isoformat(), day.isoformat(), day, day)
    if rng.random() < (0.5 if months == 12 else 0.6):
        if months == 12:
            year = rng.randint(START.year, END.year)
            return Window(str(year), str(year), date(year, 1, 1), date(year, 12, 31))
        first = add_months(START, rng.randrange(12 * (END.year - START.year + 1) - months + 1))
        last = add_months(first, months - 1)
        last = last.replace(day=calendar.monthrange(last.year, last.month)[1])
        return Window(f"{first:%Y-%m}", f"{last:%Y-%m}", first, last)
    latest_start = add_months(END, -months)
    start = START + timedelta(days=rng.randrange((latest_start - START).days + 1))
    end = add_months(start, months) - timedelta(days=1)
    return Window(start.isoformat(), end.isoformat(), start, end)


# Words nobody searches for; any other word of the texts may be asked.
STOP = frozenset({"a", "about", "after", "and", "any", "as", "been", "by", "during", "for",
                  "had", "in", "into", "is", "of", "on", "that", "the", "to"})  # fmt: skip


class Draw:
    """The random choices the shapes are made of, over one file's values."""

    def __init__(self, pool: Pool, rng: random.Random) -> None:
        self.pool, self.rng = pool, rng

    def typed(self, actor_id: str) -> tuple[str, str]:
        # An alias or display name one time in seven, as people type them.
        if self.rng.random() < 1 / 7:
            return self.rng.choice(self.pool.names[actor_id]), actor_id
        return actor_id, actor_id

    def actor(self) -> tuple[str, str]:
        group = self.pool.states if self.rng.random() < 0.5 else self.pool.subs
        return self.typed(self.rng.choice(group))

    def outlet(self) -> tuple[str, str]:
        return self.typed(self.rng.choice(self.pool.outlets))

    def cursor(self) -> tuple[str, str]:
        # A first page one time in five, otherwise a page after a real event.
        if self.rng.random() < 0.2:
            return ("", "")
        event = self.rng.choice(self.pool.events)
        return (event.earliest.isoformat(), event.id)

    def phrase(self, texts: list[str]) -> str:
        found = [w for w in words(self.rng.choice(texts)) if w not in STOP]
        picked = self.rng.sample(found, min(len(found), self.rng.choice([1, 1, 1, 2, 2, 3])))
        out = []
        for w in picked:
            if len(w) >= 6 and self.rng.random() < 0.1:
                w = w[: self.rng.randint(3, len(w) - 2)] + "*"
            out.append(w)
        return " ".join(out)


TYPES = [t.value for t in EventType]
HEDGES = [h.value for h in Hedge]


def q_actor_year(d: Draw) -> Ask:
    # Words of one event's texts, one of its actors (or that actor's state), its year: a
    # question with an answer.
    event = d.rng.choice(d.pool.events)
    while not event.actors:
        event = d.rng.choice(d.pool.events)
    actor_id = d.rng.choice(event.actors)
    if actor_id in d.pool.parent and d.rng.random() < 0.5:
        actor_id = d.pool.parent[actor_id]
    year = event.earliest.year
    return Ask(
        actor=d.typed(actor_id),
        window=Window(str(year), str(year), date(year, 1, 1), date(year, 12, 31)),
        q=d.phrase(event.texts),
    )


def known_as_of(d: Draw) -> Ask:
    # A day from the window's start to a few months past its end: claims are published
    # after their events, so some of the window's claims are not known yet.
    w = window(d.rng, 3)
    known = w.start + timedelta(days=d.rng.randint(0, 180))
    return Ask(actor=d.actor(), window=w, known_as_of=known)


@dataclass(frozen=True)
class Shape:
    key: str  # also the canned query's name
    label: str
    weight: int
    draw: Callable[[Draw], Ask]


SHAPES = [
    Shape("actor_day", "actor + day", 5, lambda d: Ask(actor=d.actor(), window=window(d.rng, 0))),
    Shape("actor_month", "actor + month", 25,
          lambda d: Ask(actor=d.actor(), window=window(d.rng, 1))),
    Shape("actor_quarter", "actor + quarter", 15,
          lambda d: Ask(actor=d.actor(), window=window(d.rng, 3))),
    Shape("actor_year", "actor + year", 5,
          lambda d: Ask(actor=d.actor(), window=window(d.rng, 12))),
    Shape("actor_alone", "actor alone (pages)", 3,
          lambda d: Ask(actor=d.actor(), cursor=d.cursor())),
    Shape("claimant_window", "claimant + month/quarter", 10,
          lambda d: Ask(claimant=d.actor(), window=window(d.rng, d.rng.choice([1, 3])))),
    Shape("claimant_alone", "claimant alone (pages)", 2,
          lambda d: Ask(claimant=d.actor(), cursor=d.cursor())),
    Shape("via_quarter", "via + quarter", 2,
          lambda d: Ask(via=d.outlet(), window=window(d.rng, 3))),
    Shape("source_quarter", "source + quarter", 2,
          lambda d: Ask(source=d.outlet() if d.rng.random() < 0.5 else d.actor(),
                        window=window(d.rng, 3))),
    Shape("type_actor", "type + actor + quarter", 8,
          lambda d: Ask(type=d.rng.choice(TYPES), actor=d.actor(), window=window(d.rng, 3))),
    Shape("type_claimant", "type + claimant + quarter", 4,
          lambda d: Ask(type=d.rng.choice(TYPES), claimant=d.actor(), window=window(d.rng, 3))),
    Shape("hedge_actor", "hedge + actor + quarter", 3,
          lambda d: Ask(hedge=d.rng.choice(HEDGES), actor=d.actor(), window=window(d.rng, 3))),
    Shape("document", "document alone", 2,
          lambda d: Ask(document=d.rng.choice(d.pool.documents))),
    Shape("location_quarter", "location + quarter", 2,
          lambda d: Ask(location=d.rng.choice(d.pool.places), window=window(d.rng, 3))),
    Shape("dates_month", "date range alone (month)", 3, lambda d: Ask(window=window(d.rng, 1))),
    Shape("within", "actor + quarter, within", 2,
          lambda d: Ask(actor=d.actor(), window=window(d.rng, 3), within=True)),
    Shape("known_as_of", "known_as_of + actor + quarter", 3, known_as_of),
    Shape("q_alone", "q alone", 2,
          lambda d: Ask(q=d.phrase(d.rng.choice(d.pool.events).texts))),
    Shape("q_actor_year", "q + actor + year", 2, q_actor_year),
]  # fmt: skip
BY_KEY = {s.key: s for s in SHAPES}
assert sum(s.weight for s in SHAPES) == 100


def shape_asks(shape: Shape, pool: Pool, seed: int, n: int) -> list[Ask]:
    """Up to n asks with distinct URLs (fewer when the shape has fewer), reproducibly."""
    rng = random.Random(f"{seed}-{shape.key}")
    draw = Draw(pool, rng)
    seen: dict[str, Ask] = {}
    misses = 0
    # A shape with fewer distinct URLs than n stops once new ones have become rare.
    while len(seen) < n and misses < 2 * n:
        ask = shape.draw(draw)
        path = ask.path()
        misses += path in seen
        seen.setdefault(path, ask)
    return list(seen.values())


def mix_asks(asks: dict[str, list[Ask]], seed: int, n: int) -> list[tuple[str, Ask]]:
    """n requests drawn by weight, each taking its shape's next URL."""
    rng = random.Random(f"{seed}-mix")
    keys = [k for k in asks if asks[k]]
    if not keys:  # only `fixed` asked for
        return []
    weights = [BY_KEY[k].weight for k in keys]
    taken = dict.fromkeys(keys, 0)
    out = []
    for key in rng.choices(keys, weights, k=n):
        out.append((key, asks[key][taken[key] % len(asks[key])]))
        taken[key] += 1
    return out


# --- Servers and load ---------------------------------------------------------------------


def cache_switch(pythonpath: str | None) -> str:
    """The variable that turns the response cache off in the checkout served: sized in MiB
    now, an entry count before (and the current code refuses the old name)."""
    config = Path(pythonpath or ROOT) / "app" / "config.py"
    new = not config.exists() or "CLAIMLINE_RESPONSE_CACHE_MIB" in config.read_text()
    return "CLAIMLINE_RESPONSE_CACHE_MIB" if new else "CLAIMLINE_RESPONSE_CACHE"


def claimline(url: str, pythonpath: str | None) -> tuple[Any, str]:
    port = free_port()
    cmd = [str(BIN / "claimline"), "serve", "--port", str(port), "--workers", "1",
           "--log-level", "warning"]  # fmt: skip
    env = {"DATABASE_URL": url, cache_switch(pythonpath): "0"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return server(cmd, env, f"http://127.0.0.1:{port}/readyz"), f"http://127.0.0.1:{port}"


def datasette(db: Path, metadata: Path) -> tuple[Any, str]:
    port = free_port()
    cmd = [str(ensure_datasette()), "serve", "-i", str(db), "-m", str(metadata), "-p", str(port),
           "--setting", "sql_time_limit_ms", "20000", "--setting", "num_sql_threads", "3"]  # fmt: skip
    return server(cmd, {}, f"http://127.0.0.1:{port}/-/versions.json"), f"http://127.0.0.1:{port}"


def ds_path(db: Path, key: str, params: dict[str, str]) -> str:
    query = urllib.parse.urlencode(
        [*params.items(), ("_shape", "array"), ("_json", "actors"), ("_json", "claims")]
    )
    return f"/{db.stem}/{key}.json?{query}"


def reset_peak(pid: int) -> None:
    # Writing 5 to clear_refs resets VmHWM, so each run reports its own peak.
    for p in tree(pid):
        with suppress(OSError):
            Path(f"/proc/{p}/clear_refs").write_text("5")


def run_wrk(base: str, paths: Path, seconds: int, connections: int) -> dict[str, float]:
    cmd = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "--timeout", "10s", "-s", str(lua_script()), base, "--", str(paths), str(THREADS)]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else float("nan")  # fmt: skip

    def count(pattern: str) -> int:
        m = re.search(pattern, out)
        return int(m.group(1)) if m else 0

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return {"rps": float(rps.group(1)) if rps else 0.0, "p50": ms("50%"), "p99": ms("99%"),
            "requests": count(r"(\d+) requests in"),
            "non2xx": count(r"Non-2xx or 3xx responses: (\d+)"),
            "timeouts": count(r"Socket errors:.*timeout (\d+)")}  # fmt: skip


def settle(pid: int, timeout: float = 60) -> None:
    """Wait until the server is idle: requests wrk gave up on may still be running (a slow
    query goes on after its client has gone), and would take the next run's CPU."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before < 0.05:
            return


def measure(proc: Any, base: str, paths: Path, args: argparse.Namespace) -> dict[str, float]:
    settle(proc.pid)
    reset_peak(proc.pid)
    before = cpu_seconds(proc.pid)
    r = run_wrk(base, paths, args.duration, args.connections)
    r["cpu_ms"] = (cpu_seconds(proc.pid) - before) * 1000 / max(r["requests"], 1)
    r["rss"] = peak_rss_mib(proc.pid)
    r["alone_ms"] = float("nan")
    if r["requests"] == 0:
        # Nothing finished under load: time the shape's first URL alone on an idle server.
        r["p50"] = r["p99"] = r["cpu_ms"] = float("nan")
        settle(proc.pid, timeout=600)
        start = time.monotonic()
        with urllib.request.urlopen(
            base + paths.read_text().split("\n", 1)[0], timeout=600
        ) as resp:
            resp.read()
        r["alone_ms"] = (time.monotonic() - start) * 1000
    if r["non2xx"] or r["timeouts"]:
        print(f"  WARNING: {paths.stem}: {r['non2xx']:.0f} non-2xx, {r['timeouts']:.0f} timeouts",
              flush=True)  # fmt: skip
    return r


def get_ids(url: str, data: bool) -> list[str] | str:
    """The event ids of a page, or the error it answered with."""
    try:
        body = get_json(url)
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}: {exc.read()[:300]!r}"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    rows = body["data"] if data else body
    return [row["id"] for row in rows]


# --- One database -------------------------------------------------------------------------


@functools.cache
def lua_script() -> Path:
    """wrk's rotation script, written on first use (not on import: an import made an empty
    temporary folder each time)."""
    path = Path(tempfile.mkdtemp(prefix="claimline-mix-")) / "rotate.lua"
    path.write_text(WRK_LUA)
    return path


@dataclass
class Plan:
    """The requests for one file: per shape (and `mix`, `fixed`), Claimline's paths and
    Datasette's."""

    db: Path
    asks: dict[str, list[Ask]]
    mix: list[tuple[str, Ask]]
    dir: Path
    pairs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    files: dict[str, tuple[Path, Path]] = field(default_factory=dict)  # measured, for wrk
    gate: dict[str, list[list[str]]] = field(default_factory=dict)  # Claimline's sample ids
    mismatched: set[str] = field(default_factory=set)


def make_plan(db: Path, args: argparse.Namespace, keys: list[str]) -> Plan:
    pool = load_pool(db, args.seed, max(500, args.urls))
    if not pool.spans_known:
        print(f"  {db.name}: no spans in dataset_meta; Datasette's overlap floor is 366 days")
    # The mix needs every shape, and the gate checks every shape it draws from.
    built = list(BY_KEY) if "mix" in keys else [k for k in keys if k in BY_KEY]
    asks = {k: shape_asks(BY_KEY[k], pool, args.seed, args.urls) for k in built}
    plan = Plan(db, asks, mix_asks(asks, args.seed, args.urls),
                Path(tempfile.mkdtemp(prefix=f"claimline-mix-{db.stem}-")))  # fmt: skip
    metadata = {k: {"sql": canned_sql(v[0], pool.span)} for k, v in asks.items() if v}
    fixed = Ask(actor=("dprk", "dprk"), window=WINDOW_JUNE)
    metadata["fixed"] = {"sql": canned_sql(fixed, pool.span)}
    (plan.dir / "metadata.json").write_text(
        json.dumps({"databases": {db.stem: {"queries": metadata}}}, indent=1)
    )
    plan.pairs = {
        k: [(a.path(), ds_path(db, k, a.datasette())) for a in v] for k, v in asks.items()
    }
    if "fixed" in keys:
        plan.pairs["fixed"] = [(FIXED_PATH, ds_path(db, "fixed", FIXED_DS))]
    if "mix" in keys:
        plan.pairs["mix"] = [(a.path(), ds_path(db, k, a.datasette())) for k, a in plan.mix]
    for key in keys:  # only what is measured gets a file for wrk
        files = (plan.dir / f"{key}.claimline", plan.dir / f"{key}.datasette")
        for i, f in enumerate(files):
            f.write_text("".join(pair[i] + "\n" for pair in plan.pairs[key]))
        plan.files[key] = files
    return plan


WINDOW_JUNE = Window("2024-06-01", "2024-06-30", date(2024, 6, 1), date(2024, 6, 30))


def samples(plan: Plan, key: str, n: int) -> list[tuple[str, str]]:
    pairs = plan.pairs[key]
    picks = random.Random(f"gate-{key}").sample(range(len(pairs)), min(n, len(pairs)))
    return [pairs[i] for i in sorted(picks)]


def gate(plan: Plan, cl_base: str, ds_base: str | None, args: argparse.Namespace) -> bool:
    """Claimline and Datasette give the same event ids in the same order for a sample of
    each shape's URLs; a line per shape. Keeps Claimline's ids for the PostgreSQL check."""
    ok = True
    for key in plan.pairs:
        if key == "mix":
            continue
        counts, problems = [], []
        plan.gate[key] = []
        for cl_path, ds_url in samples(plan, key, args.gate_samples):
            ours = get_ids(cl_base + cl_path, data=True)
            if isinstance(ours, str):
                problems.append(f"Claimline {cl_path}: {ours}")
                continue
            plan.gate[key].append(ours)
            counts.append(len(ours))
            if ds_base is None:
                continue
            theirs = get_ids(ds_base + ds_url, data=False)
            if theirs != ours:
                shown = theirs if isinstance(theirs, str) else f"{theirs[:3]}… ({len(theirs)})"
                problems.append(f"{cl_path}: Claimline {ours[:3]}… ({len(ours)}) vs Datasette {shown}")  # fmt: skip
        sizes = f"{min(counts, default=0)}-{max(counts, default=0)} events"
        what = "Claimline answers" if ds_base is None else "same ids and order"
        if problems:
            ok = False
            plan.mismatched.add(key)
            print(f"  gate {key}: MISMATCH ({len(problems)} of {args.gate_samples})", flush=True)
            for p in problems[:3]:
                print(f"    {p}")
        elif counts and max(counts) == 0:
            print(f"  gate {key}: {what}, but every sample is empty (vacuous)", flush=True)
        else:
            print(f"  gate {key}: {what} ({len(counts)} URLs, {sizes})", flush=True)
    return ok


def gate_postgres(plan: Plan, base: str, args: argparse.Namespace) -> bool:
    ok = True
    for key in plan.gate:
        got = [get_ids(base + cl, data=True) for cl, _ in samples(plan, key, args.gate_samples)]
        same = got == plan.gate[key]
        ok &= same
        print(f"  gate PostgreSQL {key}: {'same ids as SQLite' if same else 'MISMATCH'}", flush=True)  # fmt: skip
    return ok


def run_plan(plan: Plan, args: argparse.Namespace, results: dict[str, Any]) -> None:
    db = plan.db.resolve()
    label = db.name
    out = results.setdefault(label, {})
    for key in plan.files:
        out[key] = {"urls": len(set(plan.pairs[key]))}
    print(f"\n## {label}: {sum(len(v) for v in plan.asks.values())} distinct URLs in "
          f"{len(plan.asks)} shapes, files in {plan.dir}", flush=True)  # fmt: skip
    ds_ctx = datasette(db, plan.dir / "metadata.json") if not args.no_datasette else None
    cl_ctx, cl_base = claimline(f"sqlite:///{db}", args.claimline_pythonpath)
    with cl_ctx, optional(ds_ctx) as ds_base:
        if not gate(plan, cl_base, ds_base, args) and not args.claimline_pythonpath:
            raise SystemExit("the gate failed: Claimline and Datasette disagree (see above)")
    if args.gate_only:
        return
    cl_ctx, cl_base = claimline(f"sqlite:///{db}", args.claimline_pythonpath)
    with cl_ctx as (proc, _):
        load(proc, cl_base, plan, 0, args, out, "claimline")
    if ds_ctx is not None:
        ds_ctx, ds_base = datasette(db, plan.dir / "metadata.json")
        with ds_ctx as (proc, _):
            load(proc, ds_base, plan, 1, args, out, "datasette")


def load(proc: Any, base: str, plan: Plan, side: int, args: argparse.Namespace,
         out: dict[str, Any], name: str) -> None:  # fmt: skip
    # One warm-up per server on the mix (or the first shape): the URLs rotate, so a shape
    # has nothing of its own to warm.
    warm = plan.files.get("mix") or next(iter(plan.files.values()))
    run_wrk(base, warm[side], args.warmup, args.connections)
    for key, files in plan.files.items():
        out[key][name] = r = measure(proc, base, files[side], args)
        print(f"  {name} {key}: {fmt(r, 'rps')} req/s, p50 {fmt(r, 'p50')} ms, "
              f"p99 {fmt(r, 'p99')} ms, {fmt(r, 'cpu_ms', 2)} CPU ms/req", flush=True)  # fmt: skip


@contextmanager
def optional(ctx: Any) -> Iterator[str | None]:
    if ctx is None:
        yield None
        return
    inner, base = ctx
    with inner:
        yield base


def run_postgres(plan: Plan, args: argparse.Namespace, results: dict[str, Any]) -> None:
    label = "PostgreSQL"
    out = results.setdefault(label, {})
    for key in plan.files:
        out[key] = {"urls": len(set(plan.pairs[key]))}
    print(f"\n## {label} (same URLs as {plan.db.name})", flush=True)
    ctx, base = claimline(args.postgres_url, args.claimline_pythonpath)
    with ctx as (proc, _):
        if not gate_postgres(plan, base, args) and not args.claimline_pythonpath:
            raise SystemExit("the gate failed: PostgreSQL and SQLite disagree (see above)")
        if not args.gate_only:
            load(proc, base, plan, 0, args, out, "claimline")


# --- Report ---------------------------------------------------------------------------------


def label_of(key: str) -> str:
    if key == "mix":
        return "**mix** (weighted)"
    if key == "fixed":
        return "fixed: actor=dprk, June 2024 (one URL)"
    return BY_KEY[key].label


def fmt(r: dict[str, float] | None, field_: str, digits: int = 1) -> str:
    if not r:
        return "—"
    if r["requests"] == 0 and field_ == "rps":
        return f"0 (alone: {r['alone_ms']:.0f} ms)"
    if r[field_] != r[field_]:  # NaN: no request finished
        return "—"
    return f"{r[field_]:.{digits}f}"


def report(results: dict[str, Any], plans: dict[str, Plan], args: argparse.Namespace) -> None:
    print(f"\nwrk -t{THREADS} -c{args.connections} -d{args.duration}s, rotating URLs; "
          "Claimline 1 worker, response cache off; RSS is the run's peak (VmHWM) of the "
          "server tree\n")  # fmt: skip
    for label, rows in results.items():
        pg = label == "PostgreSQL"
        plan = plans.get(label)
        print(f"### {label}" + (" (CPU: Claimline's processes only, not the database's)" if pg else ""))  # fmt: skip
        print("\n| shape | weight | URLs | Claimline req/s | p50 ms | p99 ms | CPU ms/req | "
              "peak RSS MiB | non-2xx | Datasette req/s | DS p50 ms | DS p99 ms | "
              "DS CPU ms/req | ratio |")  # fmt: skip
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
              "---: | ---: | ---: |")  # fmt: skip
        for key, row in rows.items():
            cl, ds = row.get("claimline"), row.get("datasette")
            weight = str(BY_KEY[key].weight) if key in BY_KEY else ("100" if key == "mix" else "—")
            ratio = f"{cl['rps'] / ds['rps']:.2f}" if cl and ds and ds["rps"] else "—"
            if plan is not None and (key in plan.mismatched or (key == "mix" and plan.mismatched)):
                ratio = "— (results differ)"
            bad = f"{cl['non2xx'] + cl['timeouts']:.0f}" if cl else "—"
            if cl and cl["requests"] == 0:
                ratio = "—"
            print(f"| {label_of(key)} | {weight} | {row['urls']} | {fmt(cl, 'rps')} | "
                  f"{fmt(cl, 'p50')} | {fmt(cl, 'p99')} | {fmt(cl, 'cpu_ms', 2)} | "
                  f"{fmt(cl, 'rss', 0)} | {bad} | {fmt(ds, 'rps')} | {fmt(ds, 'p50')} | "
                  f"{fmt(ds, 'p99')} | {fmt(ds, 'cpu_ms', 2)} | {ratio} |")  # fmt: skip
        peaks = [r[s]["rss"] for r in rows.values() for s in ("claimline",) if s in r]
        ds_peaks = [r["datasette"]["rss"] for r in rows.values() if "datasette" in r]
        if peaks:
            line = f"\npeak RSS: Claimline {max(peaks):.0f} MiB"
            print(line + (f", Datasette {max(ds_peaks):.0f} MiB" if ds_peaks else ""))
        print()
    for label, rows in results.items():
        for key, row in rows.items():
            for side in ("claimline", "datasette"):
                r = row.get(side)
                if r and (r["non2xx"] or r["timeouts"]):
                    print(f"WARNING: {label} {key} {side}: {r['non2xx']:.0f} non-2xx, "
                          f"{r['timeouts']:.0f} timeouts")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--small-db", type=Path, help="a smaller file from the same generator")
    parser.add_argument("--postgres-url", help="a PostgreSQL database holding --db's data")
    parser.add_argument("--duration", type=int, default=8, help="seconds of each run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds, once per server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--urls", type=int, default=4000, help="distinct URLs per shape")
    all_keys = [*BY_KEY, "mix", "fixed"]
    parser.add_argument("--shapes", help=f"comma-separated, of: {','.join(all_keys)}")
    parser.add_argument("--no-datasette", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write every number here")
    parser.add_argument("--claimline-pythonpath", help="run the server with PYTHONPATH=DIR")
    parser.add_argument("--gate-samples", type=int, default=5, help="URLs per shape checked")
    parser.add_argument("--gate-only", action="store_true", help="check, do not measure")
    args = parser.parse_args()
    keys = args.shapes.split(",") if args.shapes else all_keys
    unknown = set(keys) - set(all_keys)
    if unknown:
        parser.error(f"unknown shapes {sorted(unknown)}; known: {','.join(all_keys)}")
    if not args.no_datasette:
        ensure_datasette()
    results: dict[str, Any] = {}
    plans: dict[str, Plan] = {}
    dbs = [args.db, *([args.small_db] if args.small_db else [])]
    started = time.monotonic()
    for db in dbs:
        plan = plans[db.resolve().name] = make_plan(db.resolve(), args, keys)
        run_plan(plan, args, results)
        if args.postgres_url and db is args.db:
            run_postgres(plan, args, results)
    if args.gate_only:
        return
    report(results, plans, args)
    print(f"total {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
