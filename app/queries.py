"""SQL for the API. Each listing is a fixed number of statements, whatever the page size:
one keyset-paged query picks the rows, then one query per related table fills them in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
)

from app import binds, corroboration, overlap, search
from app.filters import CLAIM_FILTERS, Capability, TimelineFilter, filter_names
from app.models import actor_aliases_table as AL
from app.models import actor_events_table as AE
from app.models import actors_table as A
from app.models import claim_via_table as CV
from app.models import claims_table as C
from app.models import documents_table as D
from app.models import event_actors_table as EA
from app.models import events_table as E
from app.models import figures_table as F

DOCUMENT_REF_COLUMNS = [
    D.c.id,
    D.c.title,
    D.c.outlet_id,
    D.c.url,
    D.c.published,
    D.c.published_earliest,
    D.c.published_latest,
    D.c.published_precision,
]


# Aliased: inside a scan of claim_via itself (an outlet's events), the table's own name
# would correlate with the scan's row.
_RELAYS = CV.alias("relays")


def _via_condition(ids: ColumnElement[Any]) -> ColumnElement[bool]:
    return exists(select(1).where(_RELAYS.c.claim_id == C.c.id, _RELAYS.c.actor_id.in_(ids)))


def claim_conditions(f: TimelineFilter) -> list[ColumnElement[bool]]:
    """Conditions on the claims table that the request's claim filters impose."""
    v = binds.values_of(f)
    conds: list[ColumnElement[bool]] = []
    if f.claimants:
        conds.append(C.c.claimant_id.in_(v.param("claimant_ids")))
    if f.via:
        conds.append(_via_condition(v.param("via_ids")))
    if f.sources:
        ids = v.param("source_ids")
        conds.append(or_(C.c.claimant_id.in_(ids), _via_condition(ids)))
    if f.documents:
        conds.append(C.c.document_id.in_(v.param("documents")))
    if f.hedges:
        conds.append(C.c.hedge.in_(v.param("hedges")))
    return conds


def known_condition(f: TimelineFilter) -> ColumnElement[bool]:
    """Claims not yet published on `known_as_of` do not exist for that request."""
    if f.known_as_of is None:
        return true()
    return C.c.known_from <= binds.values_of(f).param("known")


def event_only_conditions(f: TimelineFilter) -> list[ColumnElement[bool]]:
    """Conditions on the event itself: every filter but the claim filters and `known_as_of`
    (the /claims listing applies those to the claims directly); `min_claimants` and
    `contested` count the claims known on `known_as_of`."""
    v = binds.values_of(f)
    conds: list[ColumnElement[bool]] = []
    if f.actors:
        ids = v.param("actor_ids")
        conds.append(exists(select(1).where(EA.c.event_id == E.c.id, EA.c.actor_id.in_(ids))))
    if f.types:
        conds.append(E.c.type.in_(v.param("types")))
    conds += overlap.date_conditions(f, E.c.date_earliest, E.c.date_latest)
    if f.search:
        conds.append(search.event_matches(E.c.id, f.search, f.known_as_of))
    if f.locations:
        conds.append(
            or_(*(E.c.location_key.like(v.param(f"loc{i}")) for i in range(len(f.locations))))
        )
    if f.context is not None:
        conds.append(E.c.context == v.param("context"))
    if f.updated_since is not None:
        conds.append(E.c.updated_at > v.param("updated_since"))
    conds += corroboration.conditions(f, E.c.id)
    return conds


def event_conditions(f: TimelineFilter) -> list[ColumnElement[bool]]:
    """Every filter, as conditions on the event: claim filters and `known_as_of` keep the
    events with at least one claim that passes them."""
    conds = event_only_conditions(f)
    if f.has_claim_filter or f.known_as_of is not None:
        conds.append(
            exists(
                select(1).where(C.c.event_id == E.c.id, known_condition(f), *claim_conditions(f))
            )
        )
    if f.documents:
        # Implied by the EXISTS, but a document's few claims are where to start: without it
        # the planner walks the timeline testing every event.
        documents = binds.values_of(f).param("documents")
        conds.append(E.c.id.in_(select(C.c.event_id).where(C.c.document_id.in_(documents))))
    return conds


def ordered(descending: bool, *columns: Any) -> list[Any]:
    """ORDER BY terms for the listing's direction: `order=desc` reverses every key, ties
    included, so that a newest-first listing is exactly the oldest-first one reversed."""
    return [c.desc() for c in columns] if descending else list(columns)


def beyond(descending: bool, key: Any, cursor: Any) -> ColumnElement[bool]:
    """The rows after the cursor in the listing's direction.

    Newest first, callers put it before the date conditions: of several upper bounds on
    an index's column, SQLite's planner takes the first in the WHERE clause, and with `to`
    first a deep page would read every entry from `to` down to the cursor."""
    past: ColumnElement[bool] = key < cursor if descending else key > cursor
    return past


def page_events(
    conn: Connection, f: TimelineFilter, limit: int, after: tuple[date, str] | None
) -> Sequence[Any]:
    """Up to limit + 1 events in timeline order after the cursor (the extra row says 'more');
    with `f.descending`, in reverse timeline order, the cursor's rows before it.

    With an overlap `from` and known spans, one ordered, limited range scan per precision,
    merged; otherwise a single scan of the (date_earliest, id) index. The statement is built
    once per filter shape (app/binds.py) and run with this request's values."""
    if f.search:
        return _search_page(conn, f, limit, after)
    v = binds.values_of(f).paged(limit, after)
    dialect = conn.dialect.name
    if ACTOR_PAGE.applies(f):
        shape = v.shape("actor page", dialect)
        stmt = binds.STATEMENTS.get(shape, lambda: _actor_page(f, v, dialect))
    elif CLAIMANT_EVENTS.applies(f) and (dialect == "sqlite" or not _on_events(f)):
        # PostgreSQL reads each scan (one per claimant id and precision) to n matches of
        # its own: with a lookup of each claim's event too, more than the events' scans.
        return _claimant_page(conn, f, v)
    else:
        stmt = binds.STATEMENTS.get(v.shape("page", dialect), lambda: _page(f, v, dialect))
    return conn.execute(stmt, v.values).all()


def _page(f: TimelineFilter, v: binds.Binds, dialect: str) -> Select[Any]:
    conds = event_conditions(f)
    if v.has("after_id"):
        past = beyond(v.descending, tuple_(E.c.date_earliest, E.c.id), _after(v))
        conds.insert(0 if v.descending else len(conds), past)
    if not overlap.bounded(f):
        order = ordered(v.descending, E.c.date_earliest, E.c.id)
        return select(E).where(*conds).order_by(*order).limit(v.param("n"))
    parts = [
        select(E.c.date_earliest, E.c.id).where(*scan, *conds)
        for scan in overlap.scans(f, E, dates=False)
    ]
    return _merged(parts, v, dialect)


def _merged(parts: list[Select[Any]], v: binds.Binds, dialect: str) -> Select[Any]:
    """The first n of the scans' (date_earliest, id) rows in timeline order, with their
    events. SQLite reads plain arms of a union each in its index's order, and each only as
    far as the merge takes rows from it (an arm with its own ORDER BY and LIMIT is sorted,
    so read to its own n matches). PostgreSQL plans the plain union as one sorted append of
    every arm's matches: there each arm gets its own ORDER BY and LIMIT. Newest first, each
    index is read backwards, and the merge takes the largest keys first."""
    desc = v.descending
    if dialect == "postgresql":
        parts = [
            select(
                part.order_by(*ordered(desc, *part.selected_columns)).limit(v.param("n")).subquery()
            )
            for part in parts
        ]
    keys = union_all(*parts).subquery()
    page = (
        select(keys)
        .order_by(*ordered(desc, keys.c.date_earliest, keys.c.id))
        .limit(v.param("n"))
        .subquery()
    )
    return (
        select(E)
        .join(page, E.c.id == page.c.id)
        .order_by(*ordered(desc, page.c.date_earliest, page.c.id))
    )


def _after(v: binds.Binds) -> ColumnElement[Any]:
    return tuple_(v.param("after_date"), v.param("after_id"))


# One actor's events read from actor_events, whose key holds the actor and the dates, in
# timeline order: the other filters are tested on that actor's events only.
ACTOR_PAGE = Capability(
    "events from actor_events",
    filter_names() - {"search"},
    also=lambda f: len(f.actors) == 1 and bool(f.spans),  # no spans: no events to scan
)


def _actor_page(f: TimelineFilter, v: binds.Binds, dialect: str) -> Select[Any]:
    """page_events for one actor (and its sub-actors): one ordered, limited scan of its
    actor_events rows per precision, joined to the events the other filters keep."""
    rest_f = replace(
        f, actors=(), date_from=None, date_to=None, within=False, min_claimants=None,
        contested=None,
    )  # fmt: skip
    on_row: list[ColumnElement[bool]] = []
    if f.known_as_of is not None and not f.has_claim_filter:
        rest_f = replace(rest_f, known_as_of=None)
        on_row.append(AE.c.known_first <= v.param("known"))
    if f.active() & CLAIM_FILTERS == {"hedges"} and f.known_as_of is None:
        # Some claim of the event has one of the hedges: its row's mask says so.
        rest_f = replace(rest_f, hedges=())
        on_row.append(AE.c.hedge_mask.op("&")(v.param("hedge_mask")) != literal_column("0"))
    # Support and disputes count the claims known on `known_as_of`, whichever way the
    # events are kept.
    rest = event_conditions(rest_f) + corroboration.conditions(f, E.c.id)
    key = [AE.c.actor_id == v.param("actor"), *on_row]
    if v.has("after_id"):
        key.append(beyond(v.descending, tuple_(AE.c.date_earliest, AE.c.event_id), _after(v)))
    # Every actor_events row has its event: the join only serves conditions on it.
    joined = AE.join(E, E.c.id == AE.c.event_id) if rest else AE
    parts = [
        select(AE.c.date_earliest, AE.c.event_id.label("id"))
        .select_from(joined)
        .where(*key, *scan, *rest)
        for scan in overlap.scans(f, AE)
    ]
    return _merged(parts, v, dialect)


# The claimants' events read from their claims' timeline index (claimant, event date
# precision, event dates), a relaying outlet's from the same index on claim_via, a
# source's from both: each claim that passes the other claim filters selects its event
# when the event passes the rest; one scan per id, table and precision, merged.
CLAIMANT_EVENTS = Capability(
    "events from the claimants' claims",
    filter_names() - {"search"},
    also=lambda f: bool(f.claimants or f.via or f.sources) and bool(f.spans),
    derived=False,
)


def _on_events(f: TimelineFilter) -> bool:
    """Filters on the event beyond its dates."""
    return bool(f.actors or f.types or f.locations or f.context)


def _claimant_page(conn: Connection, f: TimelineFilter, v: binds.Binds) -> Sequence[Any]:
    """page_events from the claimants' claims: their (date, event) keys merged in timeline
    order, read until n distinct events (a claimant may have several claims on one event,
    and an event several claimants), then those events."""
    n = v.values["n"]
    dialect = conn.dialect.name
    # PostgreSQL reads each scan's first n distinct events, and an event is in at most one
    # scan per claimant id; SQLite merges the scans lazily and stops when this loop does.
    _, arms = _scanned(f)
    v = v.plus(n_keys=n * sum(len(v.values[f"{name}_ids"]) for _, name in arms))
    shape = v.shape("claimant page", dialect)
    stmt = binds.STATEMENTS.get(shape, lambda: _claimant_keys(f, v, dialect))
    ids: dict[str, None] = {}
    result = conn.execute(stmt, v.values)
    for _, event_id in result:
        ids[event_id] = None
        if len(ids) == n:
            break
    result.close()
    rows = conn.execute(_EVENTS_BY_ID, {"ids": list(ids)}).all()
    return sorted(rows, key=event_sort_key, reverse=v.descending)


_EVENTS_BY_ID = select(E).where(E.c.id.in_(bindparam("ids", expanding=True)))


def _scanned(f: TimelineFilter) -> tuple[TimelineFilter, list[tuple[Table, str]]]:
    """The filter left once the scans apply the claimants (or else the outlets, or else the
    sources), and the tables scanned, each with the name of its ids' binds."""
    if f.claimants:
        return replace(f, claimants=()), [(C, "claimant")]
    if f.via:
        return replace(f, via=()), [(CV, "via")]
    return replace(f, sources=()), [(C, "source"), (CV, "source")]


def _claimant_keys(f: TimelineFilter, v: binds.Binds, dialect: str) -> Select[Any]:
    """The claimants' (or outlets', or sources') claims' (date, event) keys in timeline
    order."""
    others, arms = _scanned(f)
    claim = claim_conditions(others)
    if f.known_as_of is not None:
        claim.insert(0, known_condition(f))
    rest = event_only_conditions(replace(f, date_from=None, date_to=None, within=False))
    parts = []
    for table, name in arms:
        ids = len(v.values[f"{name}_ids"])
        key = table.c.claimant_id if table is C else table.c.actor_id
        first: list[ColumnElement[bool]] = []  # before the scan's dates: see `beyond`
        last: list[ColumnElement[bool]] = []
        if v.has("after_id"):
            columns = tuple_(table.c.event_date_earliest, table.c.event_id)
            (first if v.descending else last).append(beyond(v.descending, columns, _after(v)))
        if rest:
            # A lookup of the claim's event, not a join the planner could start from events.
            last.append(exists(select(1).where(E.c.id == table.c.event_id, *rest)))
        # An outlet's relay row is tested on its claim (a lookup by key) when the other
        # claim filters or `known_as_of` need it.
        source = table.join(C, C.c.id == CV.c.claim_id) if table is CV and claim else table
        parts += [
            select(table.c.event_date_earliest.label("date_earliest"), table.c.event_id.label("id"))
            .select_from(source)
            .where(key == v.param(f"{name}{j}"), *first, *scan, *claim, *last)
            for j in range(ids)
            for scan in overlap.scans(f, table, prefix="event_")
        ]
    desc = v.descending
    if dialect != "postgresql":
        keys = union_all(*parts).subquery()
        return select(keys).order_by(*ordered(desc, keys.c.date_earliest, keys.c.id))
    parts = [
        select(
            part.distinct()
            .order_by(*ordered(desc, *part.selected_columns))
            .limit(v.param("n"))
            .subquery()
        )
        for part in parts
    ]
    keys = union_all(*parts).subquery()
    order = ordered(desc, keys.c.date_earliest, keys.c.id)
    return select(keys).order_by(*order).limit(v.param("n_keys"))


def _search_page(
    conn: Connection, f: TimelineFilter, limit: int, after: tuple[date, str] | None
) -> Sequence[Any]:
    """A page of a search: the index's matches read in timeline order (search entries are
    numbered so), from the first event the dates and cursor allow, until the page is full.
    Every statement is kept per filter shape (app/binds.py) and run with this request's
    values."""
    v = binds.values_of(f).paged(limit, after)
    dialect = conn.dialect.name
    overlapping = f.date_from is not None and not f.within and f.spans is not None
    if overlapping:
        first = _first_overlapping(conn, f, v)
        if first is None:
            return []
        v = v.plus(first_date=first[0], first_id=first[1])

    # The first and last events in timeline order that may be read; newest first, the
    # cursor bounds the last instead of the first.
    def start() -> list[ColumnElement[bool]]:
        conds = []
        if v.has("after_id") and not f.descending:
            conds.append(tuple_(E.c.date_earliest, E.c.id) > _after(v))
        if f.date_from is not None and f.within:
            conds.append(E.c.date_earliest >= v.param("from"))
        elif overlapping:
            first = tuple_(v.param("first_date"), v.param("first_id"))
            conds.append(tuple_(E.c.date_earliest, E.c.id) >= first)
        return conds

    def stop() -> list[ColumnElement[bool]]:
        conds = [E.c.date_earliest <= v.param("to")] if v.has("to") else []
        if v.has("after_id") and f.descending:
            conds.append(tuple_(E.c.date_earliest, E.c.id) < _after(v))
        return conds

    rest = replace(f, search=())
    ids = search.event_ids_in_order(
        conn, f.search, v, start, stop, lambda: event_conditions(rest), limit + 1
    )
    if not ids:
        return []
    stmt = binds.STATEMENTS.get(
        ("events by id", dialect, f.descending), lambda: _events_by_id(f.descending)
    )
    return conn.execute(stmt, {"ids": ids}).all()


def _events_by_id(descending: bool) -> Select[Any]:
    wanted = E.c.id.in_(bindparam("ids", expanding=True))
    return select(E).where(wanted).order_by(*ordered(descending, E.c.date_earliest, E.c.id))


def _first_overlapping(
    conn: Connection, f: TimelineFilter, v: binds.Binds
) -> tuple[date, str] | None:
    """The (earliest, id) of the first event in timeline order whose dates reach `from`
    (ignoring the other filters): where a search starts reading. One short index range per
    precision; starting at `from` minus the longest span instead would read every entry of
    the year before `from` when the data has year-long events."""
    assert f.spans is not None and f.date_from is not None

    def build() -> Select[Any] | None:
        parts = [
            select(
                select(E.c.date_earliest, E.c.id)
                .where(*scan)
                .order_by(E.c.date_earliest, E.c.id)
                .limit(1)
                .subquery()
            )
            for scan in overlap.scans(f, E)
        ]
        if not parts:
            return None
        merged = union_all(*parts).subquery()
        return select(merged).order_by(*merged.c).limit(1)

    stmt = binds.STATEMENTS.get(v.shape("first overlapping", conn.dialect.name), build)
    if stmt is None:
        return None
    row = conn.execute(stmt, v.values).first()
    return None if row is None else (row[0], row[1])


def event_by_id(conn: Connection, event_id: str) -> Any:
    return conn.execute(select(E).where(E.c.id == event_id)).first()


def event_actors(conn: Connection, event_ids: list[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    if event_ids:
        stmt = (
            select(EA.c.event_id, EA.c.actor_id, EA.c.role)
            .where(EA.c.event_id.in_(event_ids))
            .order_by(EA.c.event_id, EA.c.role, EA.c.actor_id)
        )
        for row in conn.execute(stmt):
            out[row.event_id].append(row)
    return out


def matched_column(f: TimelineFilter) -> ColumnElement[bool]:
    """Whether a claim passes the request's claim filters (all do when there are none)."""
    conds = claim_conditions(f)
    if not conds:
        return true().label("matched")
    return case((and_(*conds), true()), else_=false()).label("matched")


def claims_for_events(
    conn: Connection, f: TimelineFilter, event_ids: list[str]
) -> dict[str, list[Any]]:
    """Every claim known on `known_as_of` of these events, each marked matched or not."""
    out: dict[str, list[Any]] = defaultdict(list)
    if event_ids:
        stmt = (
            select(C, matched_column(f))
            .where(C.c.event_id.in_(event_ids), known_condition(f))
            .order_by(C.c.event_id, C.c.known_from, C.c.id)
        )
        for row in conn.execute(stmt):
            out[row.event_id].append(row)
    return out


def page_claims(
    conn: Connection, f: TimelineFilter, limit: int, after: tuple[date, str] | None
) -> Sequence[Any]:
    """Claims matching the filters, in the timeline order of their events, then by id (both
    reversed with `f.descending`)."""
    if CLAIMANT_PAGE.applies(f):
        ids = _claimant_page_ids(conn, f, limit, after)
        conds: list[ColumnElement[bool]] = [C.c.id.in_(ids)]
        after = None
    else:
        conds = [known_condition(f), *claim_conditions(f), *event_only_conditions(f)]
    if after is not None:
        conds.append(beyond(f.descending, tuple_(E.c.date_earliest, C.c.id), tuple_(*after)))
    stmt = (
        select(*claim_row_columns())
        .join(E, E.c.id == C.c.event_id)
        .where(*conds)
        .order_by(*ordered(f.descending, E.c.date_earliest, C.c.id))
        .limit(limit + 1)
    )
    return conn.execute(stmt).all()


def claim_row_columns() -> list[Any]:
    """A /claims row's columns (assemble.build_claim_rows): the claim's, and its event's
    type, title and dates, which the claims' own copies would clash with."""
    return [
        *[c for c in C.c if not c.name.startswith(("event_date_", "event_type"))],
        true().label("matched"),
        E.c.type.label("event_type"),
        E.c.context.label("event_context"),
        E.c.title.label("event_title"),
        *[E.c[name].label(f"event_{name}") for name in EVENT_DATE_COLUMNS],
    ]


# Claims alone (no event filter): their claimants' index on (claimant, event date, id),
# read either way.
CLAIMANT_PAGE = Capability(
    "claims by claimant",
    CLAIM_FILTERS | {"known_as_of", "descending"},
    lambda f: bool(f.claimants),
    derived=False,
)


def _claimant_page_ids(
    conn: Connection, f: TimelineFilter, limit: int, after: tuple[date, str] | None
) -> list[str]:
    """The page's claim ids when only claim conditions apply: one ordered range scan of
    (claimant_id, event_date_earliest, id) per claimant included, merged."""
    desc = f.descending
    conds = [known_condition(f), *claim_conditions(f)]
    if after is not None:
        conds.append(beyond(desc, tuple_(C.c.event_date_earliest, C.c.id), tuple_(*after)))
    parts = [
        select(
            select(C.c.id, C.c.event_date_earliest)
            .where(C.c.claimant_id == claimant, *conds)
            .order_by(*ordered(desc, C.c.event_date_earliest, C.c.id))
            .limit(limit + 1)
            .subquery()
        )
        for claimant in f.ids(f.claimants)
    ]
    merged = union_all(*parts).subquery()
    order = ordered(desc, merged.c.event_date_earliest, merged.c.id)
    stmt = select(merged.c.id).order_by(*order).limit(limit + 1)
    return list(conn.execute(stmt).scalars())


EVENT_DATE_COLUMNS = (
    "date_edtf",
    "date_earliest",
    "date_latest",
    "date_precision",
    "date_approximate",
    "date_uncertain",
)


def via_for_claims(conn: Connection, claim_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    if claim_ids:
        stmt = (
            select(CV.c.claim_id, CV.c.actor_id)
            .where(CV.c.claim_id.in_(claim_ids))
            .order_by(CV.c.claim_id, CV.c.position)
        )
        for row in conn.execute(stmt):
            out[row.claim_id].append(row.actor_id)
    return out


def figures_for_claims(conn: Connection, claim_ids: list[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    if claim_ids:
        stmt = select(F).where(F.c.claim_id.in_(claim_ids)).order_by(F.c.claim_id, F.c.position)
        for row in conn.execute(stmt):
            out[row.claim_id].append(row)
    return out


def document_refs(conn: Connection, document_ids: list[str]) -> dict[str, Any]:
    if not document_ids:
        return {}
    stmt = select(*DOCUMENT_REF_COLUMNS).where(D.c.id.in_(document_ids))
    return {row.id: row for row in conn.execute(stmt)}


def existing_documents(conn: Connection, ids: Sequence[str]) -> set[str]:
    """Those of `ids` that are documents."""
    return set(conn.execute(select(D.c.id).where(D.c.id.in_(set(ids)))).scalars())


def document_ids(conn: Connection) -> list[str]:
    return list(conn.execute(select(D.c.id).order_by(D.c.id)).scalars())


def documents(conn: Connection, document_id: str | None = None) -> Sequence[Any]:
    """Documents with their claim counts; the full text only when one is asked for."""
    counts = (
        select(C.c.document_id, func.count().label("claim_count"))
        .group_by(C.c.document_id)
        .subquery()
    )
    columns = [c for c in D.c if document_id is not None or c.name != "text"]
    stmt = (
        select(*columns, func.coalesce(counts.c.claim_count, 0).label("claim_count"))
        .outerjoin(counts, counts.c.document_id == D.c.id)
        .order_by(D.c.published_earliest, D.c.id)
    )
    if document_id is not None:
        stmt = stmt.where(D.c.id == document_id)
    return conn.execute(stmt).all()


def actors(conn: Connection, kind: str | None, actor_id: str | None = None) -> Sequence[Any]:
    stmt = select(A).order_by(A.c.id)
    if kind is not None:
        stmt = stmt.where(A.c.kind == kind)
    if actor_id is not None:
        stmt = stmt.where(A.c.id == actor_id)
    return conn.execute(stmt).all()


def aliases(conn: Connection, actor_ids: list[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    if actor_ids:
        stmt = select(AL).where(AL.c.actor_id.in_(actor_ids)).order_by(AL.c.actor_id, AL.c.name)
        for row in conn.execute(stmt):
            out[row.actor_id].append(row)
    return out


def actors_matching(conn: Connection, normalized_query: str, kind: str | None) -> Sequence[Any]:
    """Actors whose id or any alias contains the (normalised) query."""
    pattern = f"%{normalized_query}%"
    by_alias = select(AL.c.actor_id).where(AL.c.normalized.like(pattern))
    stmt = select(A).where(or_(A.c.id.like(pattern), A.c.id.in_(by_alias))).order_by(A.c.id)
    if kind is not None:
        stmt = stmt.where(A.c.kind == kind)
    return conn.execute(stmt).all()


def event_sort_key(row: Any) -> tuple[date, str]:
    return row.date_earliest, row.id


def claim_sort_key(row: Any) -> tuple[date, str]:
    return row.event_date_earliest, row.id
