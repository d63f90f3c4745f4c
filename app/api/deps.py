"""Request dependencies (validated parameters, no database) and the per-endpoint session."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from fastapi import Depends, Query, Request
from pydantic import BeforeValidator, TypeAdapter
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from app import corroboration, queries, search
from app.actor_index import ActorIndex, Resolution, UnknownActorError
from app.api.problems import ProblemError, database_unavailable, invalid_parameter
from app.cursor import CursorError, decode_cursor
from app.dataset_meta import Meta
from app.edtf import EdtfError, parse_edtf
from app.filters import TimelineFilter
from app.state import AppState, Catalog, UnknownPlaceError
from app.vocab import ContextFilter, DateMatch, EventType, Hedge, Order

MAX_LIMIT = 500
DATE_PATTERN = r"^[0-9]{4}(-[0-9]{2}){0,2}$"


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.claimline
    return state


def get_engine(request: Request) -> Engine:
    return get_state(request).engine


@dataclass(frozen=True)
class Session:
    conn: Connection
    meta: Meta
    catalog: Catalog
    state: AppState

    @property
    def index(self) -> ActorIndex:
        return self.catalog.index


@contextmanager
def open_session(request: Request) -> Iterator[Session]:
    """A connection with the data version and actor index, for one endpoint's work.

    Opened and closed inside the endpoint, in its worker thread. A dependency would close it
    in a separate step that FastAPI skips when the client hangs up mid-request, leaking the
    pooled connection until the pool runs dry (seen under wrk)."""
    state = get_state(request)
    try:
        conn = state.engine.connect()
    except OperationalError as exc:
        raise database_unavailable() from exc
    with conn:
        meta = state.meta.get(conn)
        yield Session(conn, meta, state.catalog(conn, meta), state)


def only_params(*allowed: str) -> Callable[[Request], Awaitable[None]]:
    """Reject query parameters a route does not know, so typos do not silently widen results."""
    allowed_set = frozenset(allowed)

    # async, as every dependency that does no I/O: FastAPI runs a plain function on the
    # thread pool, one hop each.
    async def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - allowed_set)
        if unknown:
            raise ProblemError(
                400,
                "unknown-parameter",
                f"unknown query parameter(s) {', '.join(map(repr, unknown))}; this endpoint "
                f"accepts: {', '.join(sorted(allowed_set)) or 'none'}",
            )

    return check


# Each query parameter of the listings, and the TimelineFilter field it sets: the one table
# that maps the two (a test checks it covers every field and every parameter).
PARAM_FIELDS = {
    "actor": "actors", "from": "date_from", "to": "date_to", "date_match": "within",
    "claimant": "claimants", "via": "via", "source": "sources", "type": "types",
    "document": "documents", "hedge": "hedges", "known_as_of": "known_as_of", "q": "search",
    "location": "locations", "context": "context", "updated_since": "updated_since",
    "order": "descending", "min_claimants": "min_claimants", "contested": "contested",
}  # fmt: skip
FILTER_PARAMS = tuple(PARAM_FIELDS)
PAGE_PARAMS = ("limit", "cursor")


def _resolve(index: ActorIndex, name: str, values: list[str]) -> tuple[Resolution, ...]:
    out = []
    for value in values:
        try:
            out.append(index.resolve(value))
        except UnknownActorError as exc:
            hints = [f"{s.id!r} ({s.name})" for s in exc.suggestions]
            reason = f"unknown actor {value!r}"
            reason += (
                f"; did you mean {' or '.join(hints)}?"
                if hints
                else "; see /actors for the known actors"
            )
            raise invalid_parameter(name, reason, value, [s.id for s in exc.suggestions]) from None
    return tuple(out)


def date_bound(name: str, value: str | None, end: bool) -> date | None:
    if value is None:
        return None
    try:
        parsed = parse_edtf(value)
        if "/" in value or parsed.approximate or parsed.uncertain:
            raise EdtfError("intervals and qualifiers are not accepted here")
    except EdtfError:
        raise invalid_parameter(
            name, f"{value!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY", value
        ) from None
    return parsed.latest if end else parsed.earliest


def _day(name: str, value: str | None) -> date | None:
    """A calendar day, strictly YYYY-MM-DD (no timestamps, no partial dates)."""
    if value is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise invalid_parameter(name, f"{value!r} is not a day: use YYYY-MM-DD", value) from None


# RFC 3339 (a date-time with its offset), or a day, read as its first instant in UTC.
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2}))?"
)
INSTANT_FORMS = (
    "an RFC 3339 timestamp with its offset (2026-12-07T19:52:51Z, "
    "2026-12-07T20:52:51.5+01:00; in a URL, write + as %2B) or a day (2026-12-07, "
    "from 00:00 UTC)"
)


def instant(name: str, value: str | None) -> datetime | None:
    """A point in time as RFC 3339 gives it, or a day's start, in UTC."""
    if value is None:
        return None
    # An offset's + arrives as a space when the client did not percent-encode it.
    text = re.sub(r"(:[0-9]{2}(?:\.[0-9]+)?) ([0-9]{2}:[0-9]{2})$", r"\1+\2", value)
    try:
        if not _INSTANT.fullmatch(text):
            raise ValueError
        parsed = datetime.fromisoformat(text.upper())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        reason = f"{value!r} is not a point in time: use {INSTANT_FORMS}"
        raise invalid_parameter(name, reason, value) from None


def _search_terms(q: str | None) -> tuple[str, ...]:
    if q is None:
        return ()
    try:
        return search.terms(q)
    except search.SearchError as exc:
        raise invalid_parameter("q", str(exc), q) from None


def _place_key(value: str) -> str:
    key = search.phrase_key(value)
    if not key.strip():
        raise invalid_parameter(
            "location", f"{value!r} has no words to match (letters or digits)", value
        )
    return key


@dataclass(frozen=True)
class FilterInput:
    """The listing filters as validated without the database; `resolve` does the rest."""

    actor: list[str]
    claimant: list[str]
    via: list[str]
    source: list[str]
    date_from: date | None
    date_to: date | None
    within: bool
    types: tuple[str, ...]
    documents: list[str]
    hedges: tuple[str, ...]
    known_as_of: date | None
    search: tuple[str, ...] = ()
    # (as typed, its key): see search.phrase_key
    locations: tuple[tuple[str, str], ...] = ()
    context: str | None = None
    updated_since: datetime | None = None
    descending: bool = False
    min_claimants: int | None = None
    contested: bool | None = None

    def resolve(self, session: Session) -> TimelineFilter:
        if self.documents:
            # Only the requested ids are looked up; the whole list only to suggest names.
            found = queries.existing_documents(session.conn, self.documents)
            for doc in self.documents:
                if doc not in found:
                    known = sorted(queries.document_ids(session.conn))
                    raise invalid_parameter(
                        "document", f"unknown document {doc!r}; see /documents", doc, known
                    )
        if self.search and not session.meta.derived:
            # One of the two readers of a derived table on the general path (with
            # `contested`): never from a stale one.
            raise ProblemError(
                503, "search-index-stale",
                "the search index does not match the data yet; `claimline migrate` rebuilds "
                "it, and /readyz says ready once it does",
            )  # fmt: skip
        if self.contested is not None and not session.meta.derived:
            raise ProblemError(
                503, "derived-tables-stale",
                "the disputed claims (`contested`) are not indexed for this data yet; "
                "`claimline migrate` rebuilds them, and /readyz says ready once it does",
            )  # fmt: skip
        if self.locations:
            places = session.state.places(session.conn, session.catalog)
            for value, key in self.locations:
                try:
                    places.check(value, key)
                except UnknownPlaceError as exc:
                    hint = " or ".join(map(repr, exc.suggestions)) or "none close"
                    raise invalid_parameter(
                        "location",
                        f"no event's location holds {value!r}; did you mean {hint}? "
                        "(/events lists each event's location)",
                        value, exc.suggestions,
                    ) from None  # fmt: skip
        return self.resolved(session.index, session.meta, session.state.fast_paths)

    def resolved(self, index: ActorIndex, meta: Meta, fast: bool) -> TimelineFilter:
        """The filter, resolved without the database: `resolve` has done the checks that
        need it (documents, places, the search index)."""
        spans = meta.spans
        return TimelineFilter(
            actors=_resolve(index, "actor", self.actor),
            claimants=_resolve(index, "claimant", self.claimant),
            via=_resolve(index, "via", self.via),
            sources=_resolve(index, "source", self.source),
            date_from=self.date_from,
            date_to=self.date_to,
            within=self.within,
            types=self.types,
            documents=tuple(self.documents),
            hedges=self.hedges,
            known_as_of=self.known_as_of,
            search=self.search,
            locations=tuple(dict.fromkeys(key for _, key in self.locations)),
            context=self.context,
            updated_since=self.updated_since,
            descending=self.descending,
            min_claimants=self.min_claimants,
            contested=None if self.contested is None else str(self.contested).lower(),
            spans=tuple(sorted(spans.items())) if spans is not None else None,
            fresh=meta.derived,
            fast=fast,
        )


def plain_digits(value: object) -> object:
    """Whole numbers as plain ASCII digits only: pydantic would also take `1_0`, ` 10`,
    `+5` and `10.0`, which the fast route (and most clients' parsers) refuse."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be written in digits only, such as 50")
    return value


def timeline_filter(
    actor: Annotated[
        list[str],
        Query(
            description="Actor id or any alias (case- and accent-insensitive); includes "
            "sub-actors; repeat for any of several",
            examples=["DPRK"],
        ),
    ] = [],  # noqa: B006
    from_: Annotated[
        str | None,
        Query(
            alias="from",
            description="Start of the date range: YYYY-MM-DD, YYYY-MM or YYYY",
            examples=["2024-10"],
            json_schema_extra={"pattern": DATE_PATTERN},
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(
            description="End of the date range (inclusive): YYYY-MM-DD, YYYY-MM or YYYY",
            examples=["2024-12-31"],
            json_schema_extra={"pattern": DATE_PATTERN},
        ),
    ] = None,
    date_match: Annotated[
        DateMatch,
        Query(
            description="`overlap` (default): an event matches when its date interval overlaps the "
            "range; `within`: only events wholly inside it"
        ),
    ] = DateMatch.overlap,
    claimant: Annotated[
        list[str],
        Query(
            description="Who made the claim (alias-aware, includes sub-actors: "
            "KOR includes the NIS)",
            examples=["KOR"],
        ),
    ] = [],  # noqa: B006
    via: Annotated[
        list[str], Query(description="The outlet that relayed the claim", examples=["AFP"])
    ] = [],  # noqa: B006
    source: Annotated[
        list[str], Query(description="Claimant or relaying outlet", examples=["NIS"])
    ] = [],  # noqa: B006
    type: Annotated[
        list[EventType], Query(description="Event type; repeat for any of several")
    ] = [],  # noqa: B006
    document: Annotated[
        list[str], Query(description="Document id", examples=["000_d40e8277d782d5f4"])
    ] = [],  # noqa: B006
    hedge: Annotated[list[Hedge], Query(description="How hedged the claim is")] = [],  # noqa: B006
    known_as_of: Annotated[
        str | None,
        Query(
            description="Only what was published by this day (YYYY-MM-DD)",
            examples=["2024-10-31"],
            json_schema_extra={"format": "date"},
        ),
    ] = None,
    location: Annotated[
        list[str],
        Query(
            description="The event's place holds these words in a row (case, accents and "
            'punctuation ignored: `kursk` matches "Kursk Oblast, Russia"); repeat for any '
            "of several",
            examples=["Kursk"],
            max_length=200,
        ),
    ] = [],  # noqa: B006
    context: Annotated[
        ContextFilter | None,
        Query(
            description="Background events (historical context, or an interval of more than "
            "a year, each marked `context` by the curators): `exclude` leaves them out, "
            "`only` keeps only them; not given, both",
            examples=["exclude"],
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            description="Words to search for in the event's title and summary or in one of "
            "its quotes: all in the same text, ignoring case and accents; end a word with * "
            "to match any word it begins",
            examples=["Koursk"],
            max_length=500,
        ),
    ] = None,
    updated_since: Annotated[
        str | None,
        Query(
            description="Only events a load changed after this instant (their `updated_at`: "
            "the event itself, its actors or any of its claims): an RFC 3339 timestamp "
            "with its offset, or a day (YYYY-MM-DD, from 00:00 UTC). On /claims and "
            "/figures, the claims of those events. /changes lists every kind of change",
            examples=["2026-12-07T19:52:51Z"],
        ),
    ] = None,
    order: Annotated[
        Order,
        Query(
            description="`asc` (default): oldest first; `desc`: newest first, by the same "
            "keys reversed (the event's earliest date, then id; on /figures, the day the "
            "figure became known). A `cursor` continues in the order it was issued for. "
            "Counts (/events/facets, /figures/quantities) are the same either way"
        ),
    ] = Order.asc,
    min_claimants: Annotated[
        int | None,
        Query(
            ge=1,
            le=corroboration.MAX_MIN_CLAIMANTS,
            description="Only events that at least this many distinct claimants assert "
            f"(1 to {corroboration.MAX_MIN_CLAIMANTS}), counting the claims known on "
            "`known_as_of`; a denial supports nothing (each event's `support.claimants`)",
            examples=[2],
        ),
        BeforeValidator(plain_digits),
    ] = None,
    contested: Annotated[
        bool | None,
        Query(
            description="`true`: only events two claimants dispute (one denies what the other "
            "asserts, or their figures of one quantity do not overlap), as known on "
            "`known_as_of`; `false`: only events no one disputes (each event's `contested`)",
            examples=[True],
        ),
    ] = None,
) -> FilterInput:
    date_from, date_to = date_bound("from", from_, end=False), date_bound("to", to, end=True)
    if min_claimants is not None and not 1 <= min_claimants <= corroboration.MAX_MIN_CLAIMANTS:
        # FastAPI checks it too; the page (app/ui) calls this function directly.
        raise invalid_parameter(
            "min_claimants",
            f"{min_claimants} is not a whole number from 1 to {corroboration.MAX_MIN_CLAIMANTS}",
            min_claimants,
        )
    if date_from is not None and date_to is not None and date_from > date_to:
        raise invalid_parameter("from", f"`from` ({from_}) is after `to` ({to})", from_)
    return FilterInput(
        actor=actor, claimant=claimant, via=via, source=source, date_from=date_from,
        date_to=date_to, within=date_match == DateMatch.within, types=tuple(t.value for t in type),
        documents=document, hedges=tuple(h.value for h in hedge),
        known_as_of=_day("known_as_of", known_as_of), search=_search_terms(q),
        locations=tuple((value, _place_key(value)) for value in location),
        context=context.value if context is not None else None,
        updated_since=instant("updated_since", updated_since),
        descending=order == Order.desc, min_claimants=min_claimants, contested=contested,
    )  # fmt: skip


@functools.wraps(timeline_filter)
async def _timeline_filter_inline(*args: Any, **kwargs: Any) -> FilterInput:
    # timeline_filter's parameters (FastAPI reads them through __wrapped__), solved on the
    # event loop instead of a thread-pool hop; the fast route calls timeline_filter itself.
    return timeline_filter(*args, **kwargs)


FilterDep = Annotated[FilterInput, Depends(_timeline_filter_inline)]


LimitParam = Annotated[
    int,
    BeforeValidator(plain_digits),
    Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}"),
]
CursorParam = Annotated[
    str | None,
    Query(
        description="`next_cursor` of the previous page",
        json_schema_extra={"pattern": "^[A-Za-z0-9_-]+$"},
    ),
]


def decode(kind: str, cursor: str | None, descending: bool = False) -> tuple[date, str] | None:
    if cursor is None:
        return None
    try:
        decoded = decode_cursor(kind, cursor, descending)
    except CursorError as exc:
        raise invalid_parameter("cursor", str(exc), cursor) from None
    if not storable(decoded[1]):
        # Never issued (no id holds a NUL or a lone surrogate), and PostgreSQL would refuse
        # it as a parameter.
        raise invalid_parameter("cursor", CURSOR_FORGED, cursor)
    return decoded


CURSOR_FORGED = (
    "`cursor` is not a cursor this listing issued; pass the `next_cursor` value of a "
    "previous response unchanged"
)


def storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def filter_arguments(values: dict[str, str]) -> dict[str, Any]:
    """timeline_filter's keyword arguments for one value per query parameter, as FastAPI
    would pass them: a list for a list parameter, an enum member for an enum. ValueError
    for a value FastAPI would reject as of the wrong kind."""
    return {_ARGUMENT.get(k, k): _argument(_ARGUMENT.get(k, k), v) for k, v in values.items()}


def _argument(name: str, value: str) -> Any:
    hint = _HINTS[name]
    if get_origin(hint) in (Union, UnionType):  # an optional one: `X | None`
        (hint,) = [arg for arg in get_args(hint) if arg is not type(None)]
    if get_origin(hint) is Literal and value not in get_args(hint):
        raise ValueError(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if get_origin(hint) is list:
        (item,) = get_args(hint)
        return [item(value) if isinstance(item, type) and issubclass(item, Enum) else value]
    if hint is int:
        plain_digits(value)
    if hint in (int, bool):
        # Read as pydantic reads it for FastAPI (`yes` is true); a ValidationError is a
        # ValueError.
        return TypeAdapter(hint).validate_python(value)
    return value


_ARGUMENT = {"from": "from_"}
_HINTS = get_type_hints(timeline_filter)
