"""Synthetic data at scale, for benchmarks: `claimline generate --events N --out PATH`.

Writes straight into the project's schema (after migrating it) in batches, so memory stays
bounded whatever N is. Each event's JSON is rendered by the producers with the functions the
API's general path uses (app/assemble.py), so event_json is what derived.rebuild would
store. Rows are built with the same vocabularies and EDTF parser as the seed loader, and
each quote is cut from its own document's text, so offsets hold by construction.
The target must be empty.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import random
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Engine,
    ForeignKeyConstraint,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.schema import AddConstraint, DropConstraint

from app import corroboration, dataset_meta, derived, raw_sql, running_counts, search
from app.actor_index import ActorIndex
from app.aliases import normalize_name
from app.assemble import Json, claim_json, document_ref, event_json
from app.edtf import EdtfDate, parse_edtf
from app.models import DERIVED_TABLES, TABLES_IN_LOAD_ORDER, dataset_meta_table, documents_table
from app.vocab import (
    EventType,
    Hedge,
    Precision,
    Qualifier,
    Quantity,
    Role,
    Stance,
    Unit,
    hedge_mask,
)
from bench import parallel_steps

START, END = date(2022, 1, 1), date(2026, 12, 31)
BATCH_EVENTS = 2_000
CLAIMS_PER_DOCUMENT = 20

STATES = [
    ("ukr", "Ukraine", "UKR", "Kyiv"), ("rus", "Russia", "RUS", "Moscow"),
    ("dprk", "North Korea", "PRK", "Pyongyang"), ("kor", "South Korea", "KOR", "Seoul"),
    ("usa", "United States", "USA", "Washington"), ("gbr", "United Kingdom", "GBR", "London"),
    ("deu", "Germany", "DEU", "Berlin"), ("fra", "France", "FRA", "Paris"),
]  # fmt: skip
SUBS = [
    ("army", "armed forces", "armed_force"), ("intel", "intelligence service", "government_agency"),
    ("officials", "officials", "group"), ("leader", "head of state", "person"),
]  # fmt: skip
OUTLETS = ["afp", "reuters", "ap", "yonhap", "bbc", "nyt", "le-monde", "kyiv-independent",
           "tass", "euronews"]  # fmt: skip
# (name, lat, lon, location_key), taken in turn without a draw, so the random stream (and
# every other column) stays as it was; a third of the events have no place.
PLACES: list[tuple[str | None, float | None, float | None, str | None]] = [
    (name, lat, lon, search.phrase_key(name)) if name else (None, None, None, None)
    for name, lat, lon in [
        ("Kursk Oblast, Russia", 51.7, 36.2), (None, None, None),
        ("Pokrovsk, Donetsk Oblast, Ukraine", 48.28, 37.18), ("Pyongyang", 39.03, 125.75),
        (None, None, None), ("Vladivostok, Russia", 43.12, 131.9),
    ]
]  # fmt: skip
SENTENCES = [
    "{a} said that {n} soldiers had been moved closer to the front line during the week",
    "according to officials briefed on the matter, {a} is preparing a new wave of {n} troops",
    "{a} reported about {n} casualties after heavy fighting near the border region",
    "a spokesperson for {a} denied that any units had crossed into the disputed territory",
    "{a} condemned in the strongest terms the delivery of weapons and the deployment of {n} men",
]


@dataclass(frozen=True)
class Actors:
    claimants: list[str]
    outlets: list[str]
    rows: list[dict[str, Any]]
    aliases: list[dict[str, Any]]

    def index(self) -> ActorIndex:
        return ActorIndex.from_rows(
            [(r["id"], r["name"], r["kind"], r["parent_id"]) for r in self.rows],
            [(a["normalized"], a["actor_id"], a["name"]) for a in self.aliases],
        )


def build_actors() -> Actors:
    rows, aliases, claimants = [], [], []
    for sid, name, iso3, capital in STATES:
        rows.append({"id": sid, "name": name, "kind": "state", "parent_id": None, "iso3": iso3,
                     "wikidata": None})  # fmt: skip
        for alias in (name, iso3, capital):
            aliases.append({"normalized": normalize_name(alias), "actor_id": sid, "name": alias,
                            "lang": "en"})  # fmt: skip
        claimants.append(sid)
        for suffix, label, kind in SUBS:
            aid = f"{sid}-{suffix}"
            rows.append({"id": aid, "name": f"{name} {label}", "kind": kind, "parent_id": sid,
                         "iso3": None, "wikidata": None})  # fmt: skip
            aliases.append({"normalized": normalize_name(f"{name} {label}"), "actor_id": aid,
                            "name": f"{name} {label}", "lang": "en"})  # fmt: skip
            claimants.append(aid)
    for outlet in OUTLETS:
        rows.append({"id": outlet, "name": outlet.upper(), "kind": "news_outlet", "parent_id": None,
                     "iso3": None, "wikidata": None})  # fmt: skip
    return Actors(claimants, list(OUTLETS), rows, aliases)


_EVENT_TYPES = [t.value for t in EventType]
_ROLES = [r.value for r in Role]
_STANCES = [s.value for s in Stance]
_HEDGES = [h.value for h in Hedge]
_QUANTITIES = [q.value for q in Quantity]


def _edtf_for(r: float, rng: random.Random, day: date) -> str:
    if r < 0.6:
        return day.isoformat()
    if r < 0.75:
        return f"{day:%Y-%m}" + ("~" if r < 0.66 else "")
    if r < 0.83:
        return f"{day.year}-{21 + (day.month % 12) // 3}"
    if r < 0.88:
        return str(day.year)
    end = day + timedelta(days=rng.randint(1, 60))
    return f"{day.isoformat()}/{min(end, END).isoformat()}"


# Column order of each table's rows, as the bulk writers expect them.
COLUMNS = {t.name: [c.name for c in t.columns] for t in [*TABLES_IN_LOAD_ORDER, *DERIVED_TABLES]}
# Rows as the renderers in app.assemble read them (attribute access, like database rows).
_row_type: Any = namedtuple  # field names come from the models, so typed as Any
EventRow = _row_type("EventRow", COLUMNS["events"])
ClaimRow = _row_type("ClaimRow", [*COLUMNS["claims"], "matched"])
FigureRow = _row_type("FigureRow", COLUMNS["figures"])
DocumentRow = _row_type("DocumentRow", COLUMNS["documents"])
ActorRole = namedtuple("ActorRole", ["actor_id", "role"])


@dataclass(frozen=True)
class Stamp:
    """The generation's one instant, every record's created_at and updated_at (as a load's):
    `at` for the renderer, `text` as the bulk writer sends it (UTC wall time on SQLite, as
    models.UtcDateTime stores it; with its offset for PostgreSQL's COPY)."""

    at: datetime
    text: str

    @staticmethod
    def now(postgres: bool) -> Stamp:
        at = datetime.now(UTC)
        text = at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return Stamp(at, text + "+00" if postgres else text)


@dataclass
class Pending:
    claim: list[Any]  # claims row without document_id, quote_start, quote_end, known_from
    earliest: date
    precision: str
    latest: date
    via: list[tuple[Any, ...]]
    figures: list[tuple[Any, ...]]
    earliest_iso: str
    latest_iso: str
    event_type: str


@dataclass
class OpenEvent:
    """An event whose claims are not all in documents yet, so it cannot be rendered."""

    row: Any
    actors: list[Any]
    waiting: int
    claims: list[Json] = field(default_factory=list)
    claimants: set[str] = field(default_factory=set)


@dataclass
class Batch:
    documents: list[tuple[Any, ...]] = field(default_factory=list)
    # Event and claim rows carry their dates as ISO text, as SQLite stores them: a date
    # object costs the writer an adapter call and an unpickling each, and the writer is the
    # bottleneck of the fill.
    events: list[tuple[Any, ...]] = field(default_factory=list)
    event_actors: list[tuple[Any, ...]] = field(default_factory=list)
    claims: list[tuple[Any, ...]] = field(default_factory=list)
    claim_via: list[tuple[Any, ...]] = field(default_factory=list)
    figures: list[tuple[Any, ...]] = field(default_factory=list)
    event_json: list[tuple[Any, ...]] = field(default_factory=list)
    # The disputing claims of the rendered events (corroboration.conflicts).
    claim_conflicts: list[tuple[Any, ...]] = field(default_factory=list)
    # Listed by the producers as the events are built (derived.actor_event_rows).
    actor_events: list[tuple[Any, ...]] = field(default_factory=list)
    # PostgreSQL only: each search entry's words (search.vector), unnumbered: see
    # SEARCH_WORDS.
    generated_search_words: list[tuple[Any, ...]] = field(default_factory=list)
    # Events whose claims are all written (dated row, actors, claimants): for the
    # producer's Tallied, not sent to the writer.
    claimed: list[tuple[Any, list[Any], set[str]]] = field(default_factory=list)
    # Their first claim's known_from (ISO) and their claims' hedges (vocab.hedge_mask), by
    # event id: for actor_events, not sent either.
    known_first: dict[str, str] = field(default_factory=dict)
    hedge_masks: dict[str, int] = field(default_factory=dict)


class _IsoDates:
    """date -> ISO text, memoised: the generator's dates repeat a great deal."""

    def __init__(self) -> None:
        self.memo: dict[date, str] = {}

    def __call__(self, day: date) -> str:
        text = self.memo.get(day)
        if text is None:
            text = self.memo[day] = day.isoformat()
        return text


class Renderer:
    """Renders each event, as the loader's derived.rebuild would, once all its claims have
    their document."""

    def __init__(self, index: ActorIndex) -> None:
        self.index = index
        self.open: dict[str, OpenEvent] = {}

    def add_event(
        self, row: tuple[Any, ...], actors: list[tuple[str, str, str]], n_claims: int
    ) -> None:
        event = EventRow(*row)
        # The general path's order: queries.event_actors sorts by (role, actor_id).
        roles = sorted((ActorRole(a[1], a[2]) for a in actors), key=lambda r: (r.role, r.actor_id))
        self.open[event.id] = OpenEvent(event, roles, n_claims)

    def add_claim(self, b: Batch, claim: tuple[Any, ...], via: list[str],
                  figures: list[tuple[Any, ...]], document: Json) -> None:  # fmt: skip
        row = ClaimRow(*claim, True)
        event = self.open[row.event_id]
        event.claims.append(claim_json(
            self.index, row, via, [FigureRow(*f) for f in figures], document
        ))  # fmt: skip
        event.claimants.add(row.claimant_id)
        event.waiting -= 1
        if event.waiting == 0:
            del self.open[row.event_id]
            b.claimed.append((event.row, event.actors, event.claimants))
            claims = sorted(event.claims, key=lambda c: (c["known_from"], c["id"]))
            b.known_first[row.event_id] = claims[0]["known_from"]
            b.hedge_masks[row.event_id] = hedge_mask(c["hedge"] for c in claims)
            rendered = event_json(self.index, event.row, event.actors, claims)
            b.event_json.append((row.event_id, derived.render(rendered)))
            b.claim_conflicts.extend(
                (row.event_id, d.a, d.b, d.kind, d.quantity or "", d.known_from)
                for d in corroboration.conflicts(claims)
            )


def batches(
    n_events: int,
    actors: Actors,
    seed: int = 1,
    part: int = 0,
    parts: int = 1,
    stamp: Stamp | None = None,
) -> Iterator[Batch]:
    """Events in date order, BATCH_EVENTS at a time, with their documents and claims: the
    `part`-th of `parts` consecutive slices of the N events, each self-contained."""
    rng = random.Random(seed * 1000 + part)
    stamp = stamp or Stamp.now(postgres=False)
    stamps, stamps_text = (stamp.at, stamp.at), (stamp.text, stamp.text)
    start, stop = n_events * part // parts, n_events * (part + 1) // parts
    rand = rng.random

    def randint(low: int, high: int) -> int:
        # random.randint's argument checks are a noticeable share of the producer's time.
        return low + int(rand() * (high - low + 1))

    def sample(population: list[str], k: int) -> list[str]:
        # k distinct items, every ordered choice equally likely, as random.sample, whose
        # general method is costly for these 0-3 of 50.
        n, chosen = len(population), list[str]()
        k = min(k, n)  # as many as there are: never loop forever on a short population
        while len(chosen) < k:
            item = population[int(rand() * n)]
            if item not in chosen:
                chosen.append(item)
        return chosen

    renderer = Renderer(actors.index())
    claimants, outlets = actors.claimants, actors.outlets
    span = (END - START).days
    pending: list[Pending] = []
    doc_counter = 0
    cached_day: dict[int, date] = {}
    iso = _IsoDates()
    # EDTF text -> parsed date: the same few thousand texts recur all through the run.
    parsed: dict[str, EdtfDate] = {}
    for first in range(start, stop, BATCH_EVENTS):
        b = Batch()
        for i in range(first, min(first + BATCH_EVENTS, stop)):
            offset = min(span, i * span // max(n_events, 1))
            day = cached_day.get(offset) or cached_day.setdefault(
                offset, START + timedelta(days=offset)
            )
            text = _edtf_for(rand(), rng, day)
            when = parsed.get(text)
            if when is None:
                when = parse_edtf(text)
                if "/" not in text:  # intervals rarely repeat: keep the memo small
                    parsed[text] = when
            eid = f"ev-{i:07d}"
            event = (
                eid, _EVENT_TYPES[int(rand() * len(_EVENT_TYPES))], f"Synthetic event {i}",
                f"Synthetic summary of event {i}.", when.text, when.earliest, when.latest,
                when.precision.value, when.approximate, when.uncertain, "synthetic",
                *PLACES[i % len(PLACES)], when.precision is Precision.year, *stamps,
            )  # fmt: skip
            b.events.append((*event[:5], iso(when.earliest), iso(when.latest), *event[7:-2],
                             *stamps_text))  # fmt: skip
            involved = [(eid, actor_id, _ROLES[int(rand() * len(_ROLES))])
                        for actor_id in sample(claimants, randint(1, 3))]  # fmt: skip
            b.event_actors.extend(involved)
            n_claims = randint(1, 4)
            renderer.add_event(event, involved, n_claims)
            for k in range(n_claims):
                claimant = claimants[int(rand() * len(claimants))]
                quote = SENTENCES[int(rand() * len(SENTENCES))].format(
                    a=claimant, n=randint(1, 20) * 500
                )
                cid = f"cl-{i:07d}-{k}"
                item = Pending(
                    [cid, eid, claimant, quote, _STANCES[int(rand() * len(_STANCES))],
                     _HEDGES[int(rand() * len(_HEDGES))]],
                    when.earliest, when.precision.value, when.latest, [], [],
                    iso(when.earliest), iso(when.latest), event[1],
                )  # fmt: skip
                pending.append(item)
                for pos, outlet in enumerate(sample(outlets, randint(0, 2))):
                    item.via.append((cid, pos, outlet, eid, item.earliest_iso, item.precision,
                                     item.latest_iso, item.event_type))  # fmt: skip
                if rand() < 0.3:
                    low = randint(1, 40) * 250
                    quantity = _QUANTITIES[int(rand() * len(_QUANTITIES))]
                    item.figures.append(
                        (cid, 0, quantity, low, None, Qualifier.more_than.value,
                         Unit.soldiers.value, f"plus de {low}")
                    )  # fmt: skip
            while len(pending) >= CLAIMS_PER_DOCUMENT:
                doc_counter += 1
                _flush_document(
                    b, pending[:CLAIMS_PER_DOCUMENT], f"{part}-{doc_counter:07d}", renderer, stamp
                )
                del pending[:CLAIMS_PER_DOCUMENT]
        if first + BATCH_EVENTS >= stop and pending:
            doc_counter += 1
            _flush_document(b, pending, f"{part}-{doc_counter:07d}", renderer, stamp)
            pending = []
        yield b


def _flush_document(
    b: Batch, claims: list[Pending], number: str, renderer: Renderer, stamp: Stamp
) -> None:
    """Write the document that quotes these claims, then the claims with their children."""
    doc_id = f"doc-{number}"
    published = max(p.latest for p in claims) + timedelta(days=1)
    published_iso = published.isoformat()
    parts, offset = [], 0
    rows: list[tuple[Any, ...]] = []
    dated: list[tuple[Any, ...]] = []
    for p in claims:
        cid, eid, claimant, quote, stance, hedge = p.claim
        # Same column order as the claims table; the renderer's copy keeps date objects.
        row = (cid, eid, doc_id, claimant, quote, offset, offset + len(quote), stance, hedge,
               None, None, None, published_iso, None, p.earliest_iso, p.precision,
               p.latest_iso, p.event_type, stamp.text, stamp.text)  # fmt: skip
        rows.append(row)
        dated.append((*row[:12], published, None, p.earliest, p.precision, p.latest,
                      p.event_type, stamp.at, stamp.at))  # fmt: skip
        b.claim_via.extend(p.via)
        b.figures.extend(p.figures)
        parts.append(quote)
        offset += len(quote) + 1
    body = " ".join(parts)
    document = (
        doc_id, f"{doc_id}.txt", f"Synthetic document {number}", None, "synthetic", None, "en",
        published_iso, published_iso, published_iso, "day", "stated", "high", "synthetic",
        None, hashlib.sha256(body.encode()).hexdigest(), body, stamp.text, stamp.text,
    )  # fmt: skip
    b.documents.append(document)
    b.claims.extend(rows)
    dated_document = (*document[:8], published, published, *document[10:])
    ref = document_ref(renderer.index, DocumentRow(*dated_document))
    for p, row in zip(claims, dated, strict=True):
        renderer.add_claim(b, row, [v[2] for v in p.via], p.figures, ref)


Writer = Callable[[str, list[tuple[Any, ...]]], None]


PRODUCERS = 2
# PostgreSQL only: the search entries as the producers make them, with each text's lexemes
# (search.vector) and the event's earliest date, until a finishing step numbers them into
# search_entries and drops this table. Lexemes made in Python are the words the queries
# look up (app/search.py). Made here, by the producers, they shorten the finishing steps'
# longest chain more than they lengthen the rows phase.
SEARCH_WORDS = Table(
    "generated_search_words", MetaData(),
    # Ids compare byte by byte, as events.id does (migration 0012): the numbering's ties.
    Column("event_id", String(120, collation="C")), Column("claim_id", Text),
    Column("known_from", Date), Column("date_earliest", Date), Column("tsv", TSVECTOR),
    prefixes=["UNLOGGED"],
)  # fmt: skip
COLUMNS[SEARCH_WORDS.name] = [c.name for c in SEARCH_WORDS.columns]
# The tables a Batch carries rows for, in the order the writer writes them.
BATCH_TABLES = ("documents", "events", "event_actors", "claims", "claim_via", "figures",
                "event_json", "claim_conflicts", "actor_events", SEARCH_WORDS.name)  # fmt: skip


@dataclass
class Tallied:
    """What a producer counted of its events: the running counts (running_counts.Tally)
    and the longest span of each date precision (dataset_meta). Its last message."""

    counts: running_counts.Tally
    spans: dataset_meta.Spans = field(default_factory=dict)

    def add(self, b: Batch) -> None:
        self.counts.add((row, [r.actor_id for r in roles], c) for row, roles, c in b.claimed)
        self.spans = dataset_meta.merge(self.spans, dataset_meta.max_spans(
            (row.date_precision, row.date_earliest, row.date_latest) for row, _, _ in b.claimed
        ))  # fmt: skip

    def merge(self, other: Tallied) -> None:
        self.counts.merge(other.counts)
        self.spans = dataset_meta.merge(self.spans, other.spans)


def new_tally(actors: Actors) -> Tallied:
    # Seasons and years may end after END; nothing ends two years after it.
    end = date(END.year + 2, 1, 1)
    return Tallied(running_counts.Tally(actors.index(), _EVENT_TYPES, START, end))


def _search_word_rows(b: Batch) -> list[tuple[Any, ...]]:
    """The batch's search entries as SEARCH_WORDS rows: one per event (its title and
    summary) and one per claim (its quote), each with the event's earliest date to number
    them by."""
    rows = [(e[0], None, None, e[5], search.vector(search.event_text(e[2], e[3])))
            for e in b.events]  # fmt: skip
    rows += [(c[1], c[0], c[12], c[14], search.vector(c[4])) for c in b.claims]
    return rows


def _produce(
    n_events: int, seed: int, part: int, postgres: bool, queue: Any, stamp: Stamp | None = None
) -> None:
    actors = build_actors()
    index = actors.index()
    tally = new_tally(actors)
    iso = _IsoDates()
    stamp = stamp or Stamp.now(postgres)
    for batch in batches(n_events, actors, seed, part, PRODUCERS, stamp):
        tally.add(batch)
        batch.actor_events = derived.actor_event_rows(
            index,
            ((row, [r.actor_id for r in roles], c) for row, roles, c in batch.claimed),
            iso,
            batch.known_first,
            batch.hedge_masks,
        )
        if postgres:
            batch.generated_search_words = _search_word_rows(batch)
        # Only the tally needs them; the writer would pay to unpickle them.
        batch.claimed, batch.known_first, batch.hedge_masks = [], {}, {}
        queue.put(batch)
    queue.put(tally)  # the last message


def _produced_in_background(
    n_events: int, seed: int, postgres: bool, tallies: list[Tallied], stamp: Stamp
) -> Iterator[Batch]:
    """Batches built by producer processes, each on its own slice of the events, taken in
    turn so the output is deterministic; each producer's Tallied is appended to `tallies`
    when it is done. Rendering makes building as costly as writing: two producers keep the
    writer busy. Each queue holds two batches: memory stays bounded."""
    context = multiprocessing.get_context("spawn")
    queues = [context.Queue(maxsize=2) for _ in range(PRODUCERS)]
    producers = [
        context.Process(
            target=_produce, args=(n_events, seed, part, postgres, queue, stamp), daemon=True
        )
        for part, queue in enumerate(queues)
    ]
    for producer in producers:
        producer.start()
    try:
        live = list(queues)
        while live:
            for queue in list(live):
                batch = queue.get()
                if isinstance(batch, Tallied):
                    tallies.append(batch)
                    live.remove(queue)
                else:
                    yield batch
    finally:
        for producer in producers:
            producer.join(timeout=5)
            if producer.is_alive():
                producer.terminate()


# Tables COPY sends in binary, with their column types. In text, event_json's bodies travel
# as hex, twice their size, and the server scans and decodes every character. The other
# tables carry dates as ISO text, which binary COPY cannot.
BINARY_COPY = {"event_json": ("text", "bytea")}


def _bulk_writer(conn: Connection) -> Writer:
    """The driver's fastest path: executemany on SQLite, COPY on PostgreSQL."""
    raw = conn.connection.driver_connection
    assert raw is not None
    if conn.dialect.name == "sqlite":
        # Rows carry dates as ISO text, as SQLAlchemy's Date type stores them on SQLite, so
        # no process-wide sqlite3 adapter is needed.
        def write_sqlite(table: str, rows: list[tuple[Any, ...]]) -> None:
            cols = COLUMNS[table]
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            raw.executemany(sql, rows)

        return write_sqlite

    def write_postgres(table: str, rows: list[tuple[Any, ...]]) -> None:
        binary = BINARY_COPY.get(table)
        options = " (FORMAT BINARY)" if binary else ""
        sql = f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN{options}"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            if binary:
                copy.set_types(list(binary))
            for row in rows:
                copy.write_row(row)

    return write_postgres


# Connections the finishing steps run over on PostgreSQL: one per core of the machine the
# targets are set on.
FINISHING_CONNECTIONS = 2
# No parallel workers: the longest chain (the search entries' INSERT, then their GIN build)
# cannot use them, so workers for the B-tree builds on the other connection only take CPU
# from it.
FINISHING_SETTINGS = (
    "SET LOCAL maintenance_work_mem = '256MB'",
    "SET LOCAL max_parallel_maintenance_workers = 0",
)


@dataclass(frozen=True)
class Progress:
    """How far generate() has got: events written of the total, then finishing steps done
    of theirs (0 of 0 until the rows are written) and those running now, by name."""

    events: int
    total_events: int
    steps_done: int = 0
    total_steps: int = 0
    running: tuple[str, ...] = ()


ProgressHook = Callable[[Progress], None]


class _Reporter:
    """Sends a Progress to the hook at each batch written and each finishing step started
    or ended. Steps run on several threads on PostgreSQL: the lock keeps each report whole
    and the reports in order."""

    def __init__(self, hook: ProgressHook | None, total_events: int) -> None:
        self.hook, self.lock = hook, threading.Lock()
        self.state = Progress(0, total_events)

    def _update(self, change: Callable[[Progress], Progress]) -> None:
        if self.hook is not None:
            with self.lock:
                self.state = change(self.state)
                self.hook(self.state)

    def rows(self, events: int) -> None:
        self._update(lambda p: replace(p, events=p.events + events))

    def steps(self, steps: list[parallel_steps.Step]) -> list[parallel_steps.Step]:
        """The same steps, each reporting its start and end."""
        if self.hook is None:
            return steps
        self._update(lambda p: replace(p, total_steps=len(steps)))
        Step = parallel_steps.Step
        return [Step(s.name, partial(self._run, s), s.after) for s in steps]

    def _run(self, step: parallel_steps.Step, conn: Connection) -> None:
        self._update(lambda p: replace(p, running=(*p.running, step.name)))
        done = False
        try:
            step.run(conn)
            done = True
        finally:
            self._update(lambda p: replace(
                p, steps_done=p.steps_done + done,
                running=tuple(n for n in p.running if n != step.name),
            ))  # fmt: skip


def generate(
    engine: Engine,
    n_events: int,
    seed: int = 1,
    phases: dict[str, float] | None = None,
    steps: dict[str, float] | None = None,
    progress: ProgressHook | None = None,
) -> dict[str, int]:
    """Fill an empty, migrated database; return row counts per table. `phases` and `steps`,
    if given, receive the seconds of each phase and of each finishing step; `progress`, if
    given, is called with a Progress as the rows are written and each step starts and ends
    (from the steps' threads on PostgreSQL).

    On SQLite the whole load is one transaction. On PostgreSQL the rows are one; once they
    are committed, the finishing steps (index builds, derived tables, constraint checks) run
    over FINISHING_CONNECTIONS connections at once, because in one transaction PostgreSQL
    runs them one after the other on one core. If a step fails, the tables are emptied and
    what the load dropped is put back, so the database is again empty and migrated. Until
    the load ends, the data has no version (see dataset_meta): a reader may see rows
    without their indexes or search entries."""
    clock = _Clock(phases)
    reporter = _Reporter(progress, n_events)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # In WAL mode every page of a multi-GB fill is written twice (log, then
            # checkpoint). A rollback journal kept in memory writes each page once and can
            # still roll back: the pages of a new file have no old content to save.
            conn.exec_driver_sql("PRAGMA journal_mode=MEMORY")
            # Rows are consistent by construction (tests run foreign_key_check on generated
            # data); checking every insert against its parents is a large share of the run.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            # A bulk fill of a new file: a crash means starting again, so skip the fsyncs,
            # and give the index builds room.
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql("PRAGMA cache_size=-131072")
            # Sorts (the index builds) spill to temporary files past the cache, so the
            # writer's memory stays bounded.
            conn.exec_driver_sql("PRAGMA temp_store=FILE")
            conn.commit()
        try:
            with conn.begin():
                load = _load_rows(conn, n_events, seed, reporter)
                clock.mark("rows")
                if sqlite:
                    finishing = reporter.steps(_finishing_steps(load, False))
                    _record(steps, parallel_steps.run_serially(conn, finishing))
                    clock.mark("finishing steps")
                    _write_meta(conn, load)
                    return load.counts
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.exec_driver_sql("PRAGMA synchronous=FULL")  # SQLite's default
                conn.commit()
    try:
        _record(steps, parallel_steps.run_in_parallel(
            engine, reporter.steps(_finishing_steps(load, True)), FINISHING_CONNECTIONS,
            prelude=FINISHING_SETTINGS,
        ))  # fmt: skip
        clock.mark(f"finishing steps ({FINISHING_CONNECTIONS} connections)")
        with engine.begin() as conn:
            _write_meta(conn, load)
    except BaseException:
        _restore_empty(engine, load)
        raise
    return load.counts


def _record(into: dict[str, float] | None, seconds: dict[str, float]) -> None:
    if into is not None:
        into.update(seconds)


class _Clock:
    """Adds the time since the previous mark to the named phase."""

    def __init__(self, phases: dict[str, float] | None) -> None:
        self.phases = phases if phases is not None else {}
        self.last = time.perf_counter()

    def mark(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - self.last
        self.last = now


@dataclass
class _Loaded:
    """What the rows phase leaves for the finishing steps."""

    counts: dict[str, int]
    actors: Actors
    tallies: list[Tallied]
    indexes: list[Index]  # dropped before the rows, built by the finishing steps
    primary_keys: list[PrimaryKeyConstraint]  # likewise, PostgreSQL only
    foreign_keys: list[ForeignKeyConstraint]  # likewise, PostgreSQL only
    tally: Tallied | None = None  # the producers' tallies merged, once counted


def _load_rows(conn: Connection, n_events: int, seed: int, reporter: _Reporter) -> _Loaded:
    if conn.execute(select(func.count()).select_from(documents_table)).scalar_one():
        raise ValueError("the target database is not empty")
    # Building indexes once at the end is much faster than maintaining them per row.
    indexes = [index for table in TABLES_IN_LOAD_ORDER for index in table.indexes]
    for index in indexes:
        index.drop(conn)
    # PostgreSQL checks a foreign key with a trigger per inserted row; validating each
    # constraint once, when it is added back at the end, is the documented bulk-load path.
    # (SQLite's are switched off by generate() and checked by a test.)
    foreign_keys: list[ForeignKeyConstraint] = []
    postgres = conn.dialect.name == "postgresql"
    named = {t.name: t for t in [*TABLES_IN_LOAD_ORDER, *DERIVED_TABLES]}
    primary_keys = [named[n].primary_key for n in BATCH_TABLES if n in named] if postgres else []
    if postgres:
        foreign_keys = [
            fk
            for table in [*TABLES_IN_LOAD_ORDER, *DERIVED_TABLES]
            for fk in table.foreign_key_constraints
        ]
        for fk in foreign_keys:
            conn.execute(DropConstraint(fk))
        # Each COPY would also insert into its table's primary key one row at a time; built
        # once after the fill, by a sort with parallel workers, they cost less (the figures
        # are in docs/lab/benchmarks-notebook.md). A duplicate id fails the build, and the
        # load with it. On SQLite the tables are clustered on their keys, or keyed by rowid.
        for key in primary_keys:
            conn.execute(DropConstraint(key))
        SEARCH_WORDS.create(conn)
    write = _bulk_writer(conn)
    actors = build_actors()
    # One instant for every record, as a load stamps those it writes.
    stamp = Stamp.now(postgres)
    stamped = {"created_at": stamp.text, "updated_at": stamp.text}
    write("actors", [tuple({**r, **stamped}[c] for c in COLUMNS["actors"]) for r in actors.rows])
    write("actor_aliases", [tuple(r[c] for c in COLUMNS["actor_aliases"]) for r in actors.aliases])
    counts = {"actors": len(actors.rows)}
    tallies: list[Tallied] = []
    for batch in _produced_in_background(n_events, seed, postgres, tallies, stamp):
        for name in BATCH_TABLES:
            rows = getattr(batch, name)
            if rows:
                write(name, rows)
                counts[name] = counts.get(name, 0) + len(rows)
        reporter.rows(len(batch.events))
    return _Loaded(counts, actors, tallies, indexes, primary_keys, foreign_keys)


def _finishing_steps(load: _Loaded, postgres: bool) -> list[parallel_steps.Step]:
    """What follows the rows, longest chain first. On PostgreSQL the keys are built as
    unique indexes and made constraints at the end, and the foreign keys added unchecked
    and then validated table by table: ADD PRIMARY KEY and ADD FOREIGN KEY lock out the
    readers of their tables (the search fill reads events and claims all along), a
    CREATE UNIQUE INDEX or a VALIDATE does not."""
    Step = parallel_steps.Step
    keys = [Step(f"key {k.table.name}", partial(_build_key, key=k)) for k in load.primary_keys]
    indexes = [Step(f"index {index.name}", index.create) for index in load.indexes]
    built = frozenset(s.name for s in [*keys, *indexes])
    # PostgreSQL numbers the producers' entries with a sort, with no index; SQLite's plan
    # walks the events' timeline index and claims' event index.
    if postgres:
        entries = Step("search entries", _number_search_words)
    else:
        entries = Step("search entries", search.fill_entries, built)
    search_indexes = [
        Step(f"index {name}", build, frozenset({entries.name}))
        for name, build in search.index_builds("postgresql" if postgres else "sqlite").items()
    ]
    filled = frozenset(s.name for s in [entries, *search_indexes]) | {"running counts"}
    steps = [
        entries,
        *search_indexes,
        Step("running counts", partial(_fill_running_counts, load=load)),
        *keys,
        *indexes,
    ]
    if not postgres:
        return [*steps, Step("statistics", _sqlite_statistics, built | filled)]
    constrained = Step("constraints", partial(_add_constraints, load=load), built | filled)
    by_size = sorted(
        [*TABLES_IN_LOAD_ORDER, *DERIVED_TABLES],
        key=lambda t: load.counts.get(t.name, 0),
        reverse=True,
    )
    checks = [
        Step(
            f"check {t.name}",
            partial(_check_table, table=t, load=load),
            frozenset({constrained.name}),
        )
        for t in by_size
    ]
    return [*steps, constrained, *checks]


def _number_search_words(conn: Connection) -> None:
    """search_entries from the producers' SEARCH_WORDS, numbered in timeline order."""
    search.drop_indexes(conn)
    columns = "event_id, claim_id, known_from, tsv"
    conn.exec_driver_sql(
        f"INSERT INTO search_entries (id, {columns}) "
        f"SELECT {raw_sql.ENTRY_NUMBER}, {columns} FROM {SEARCH_WORDS.name}"
    )
    SEARCH_WORDS.drop(conn)


def _build_key(conn: Connection, key: PrimaryKeyConstraint) -> None:
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(c.name) for c in key.columns)
    conn.exec_driver_sql(
        f"CREATE UNIQUE INDEX {quote(str(key.name))} ON {key.table.name} ({columns})"
    )


def _fill_running_counts(conn: Connection, load: _Loaded) -> None:
    derived.fill_actor_ancestors(conn, load.actors.index())
    tally = load.tallies[0]
    for other in load.tallies[1:]:
        tally.merge(other)
    load.tally = tally
    write = _bulk_writer(conn)
    for rows in tally.counts.rows(_IsoDates()):
        write("running_counts", rows)


def _add_constraints(conn: Connection, load: _Loaded) -> None:
    """The keys from their unique indexes, and the foreign keys unchecked: catalog changes
    only; `_check_table` validates them."""
    quote = conn.dialect.identifier_preparer.quote
    for key in load.primary_keys:
        name = quote(str(key.name))
        conn.exec_driver_sql(
            f"ALTER TABLE {key.table.name} ADD CONSTRAINT {name} PRIMARY KEY USING INDEX {name}"
        )
    for fk in load.foreign_keys:
        conn.exec_driver_sql(f"{AddConstraint(fk).compile(dialect=conn.dialect)} NOT VALID")


def _check_table(conn: Connection, table: Table, load: _Loaded) -> None:
    quote = conn.dialect.identifier_preparer.quote
    for fk in load.foreign_keys:
        if fk.table is table:
            conn.exec_driver_sql(
                f"ALTER TABLE {table.name} VALIDATE CONSTRAINT {quote(str(fk.name))}"
            )
    conn.exec_driver_sql(f"ANALYZE {table.name}")


def _sqlite_statistics(conn: Connection) -> None:
    # Planner statistics from a sample: a full ANALYZE of a multi-GB file takes seconds.
    conn.exec_driver_sql("PRAGMA analysis_limit=1000")
    conn.execute(text("ANALYZE"))


def _write_meta(conn: Connection, load: _Loaded) -> None:
    assert load.tally is not None, "the running counts step merges the tallies"
    load.counts["search_entries"] = search.entry_count(conn)
    dataset_meta.write(conn, load.tally.spans, load.counts["documents"])
    dataset_meta.mark_derived(conn)


def _restore_empty(engine: Engine, load: _Loaded) -> None:
    """After a failed finishing step on PostgreSQL: empty every table and put back the keys,
    indexes and constraints the load dropped, in one transaction."""
    with engine.begin() as conn:
        tables = [*TABLES_IN_LOAD_ORDER, *DERIVED_TABLES, dataset_meta_table]
        conn.exec_driver_sql(f"TRUNCATE {', '.join(t.name for t in tables)}")
        SEARCH_WORDS.drop(conn, checkfirst=True)
        indexes = set(
            conn.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            ).scalars()
        )
        constraints: dict[str, bool] = {
            name: checked
            for name, checked in conn.exec_driver_sql(
                "SELECT conname, convalidated FROM pg_constraint "
                "WHERE connamespace = current_schema()::regnamespace"
            )
        }
        quote = conn.dialect.identifier_preparer.quote
        for key in load.primary_keys:
            if key.name not in constraints:
                if key.name in indexes:
                    conn.exec_driver_sql(f"DROP INDEX {quote(str(key.name))}")
                conn.execute(AddConstraint(key))
        for index in load.indexes:
            if index.name not in indexes:
                index.create(conn)
        for name, build in search.index_builds("postgresql").items():
            if name not in indexes:
                build(conn)
        for fk in load.foreign_keys:
            if fk.name not in constraints:
                conn.execute(AddConstraint(fk))
            elif not constraints[str(fk.name)]:
                conn.exec_driver_sql(
                    f"ALTER TABLE {fk.table.name} VALIDATE CONSTRAINT {quote(str(fk.name))}"
                )
