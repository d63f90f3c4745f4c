"""Database tables. The schema changes only through migrations in migrations/versions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Index, LargeBinary, MetaData, String, Table, Text, false
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import AutoString

# Explicit constraint names so that migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)

ID_LENGTH = 120


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on either database. SQLite has no time zones: it keeps
    the UTC wall time as fixed-width text, so that comparing the text compares the instants,
    and the zone is put back on reading."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime has no instant: {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _stamps(table: str) -> tuple[Index, ...]:
    # /changes reads each kind's changes in (updated_at, id) order after a point in time.
    return (Index(f"ix_{table}_updated_at_id", "updated_at", "id"),)


class Actor(SQLModel, table=True):
    __tablename__ = "actors"

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    name: str
    kind: str = Field(max_length=40, index=True)
    parent_id: str | None = Field(
        default=None, foreign_key="actors.id", ondelete="RESTRICT", max_length=ID_LENGTH
    )
    iso3: str | None = Field(default=None, max_length=3)
    wikidata: str | None = Field(default=None, max_length=20)
    # When a load first wrote the record, and last changed it or anything in its JSON
    # (app/loader/stamps.py).
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)

    __table_args__ = _stamps("actors")


class ActorAlias(SQLModel, table=True):
    __tablename__ = "actor_aliases"

    normalized: str = Field(primary_key=True, max_length=200)
    actor_id: str = Field(foreign_key="actors.id", ondelete="CASCADE", max_length=ID_LENGTH)
    name: str = Field(max_length=200)
    lang: str = Field(max_length=8)

    __table_args__ = (Index("ix_actor_aliases_actor_id", "actor_id"),)


class Document(SQLModel, table=True):
    __tablename__ = "documents"

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    file_name: str = Field(max_length=200)
    title: str
    outlet_id: str | None = Field(
        default=None, foreign_key="actors.id", ondelete="RESTRICT", max_length=ID_LENGTH
    )
    outlet_evidence: str = Field(sa_type=Text)
    url: str | None = None
    language: str = Field(max_length=8)
    published: str = Field(max_length=60)
    published_earliest: date
    published_latest: date
    published_precision: str = Field(max_length=10)
    published_basis: str = Field(max_length=10)
    published_confidence: str = Field(max_length=10)
    published_evidence: str = Field(sa_type=Text)
    notes: str | None = Field(default=None, sa_type=Text)
    sha256: str = Field(max_length=64)
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)

    __table_args__ = _stamps("documents")


class Event(SQLModel, table=True):
    __tablename__ = "events"

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    type: str = Field(max_length=40)
    title: str
    summary: str = Field(sa_type=Text)
    date_edtf: str = Field(max_length=60)
    date_earliest: date
    date_latest: date
    date_precision: str = Field(max_length=10)
    date_approximate: bool
    date_uncertain: bool
    date_basis: str = Field(sa_type=Text)
    location_name: str | None = None
    location_lat: float | None = None
    location_lon: float | None = None
    # The name's words, space-padded (search.phrase_key): what `location=` matches.
    location_key: str | None = Field(default=None, sa_type=Text)
    # Background the documents recall rather than report as news (seeds/README.md):
    # `context=exclude` leaves it out, `context=only` keeps only it. The default is the
    # server's alone, so that an insert written for an earlier revision still runs.
    context: bool = Field(
        default=False, sa_column_kwargs={"server_default": false(), "default": None}
    )
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)

    __table_args__ = (
        # Timeline order and keyset paging: (earliest, id).
        Index("ix_events_date_earliest_id", "date_earliest", "id"),
        # Overlap queries scan each precision from `from - longest span of that precision`;
        # date_latest is in the index so that rejected rows cost no table lookup.
        Index(
            "ix_events_date_precision_date_earliest_id_date_latest",
            "date_precision",
            "date_earliest",
            "id",
            "date_latest",
        ),
        Index("ix_events_date_latest", "date_latest"),
        Index("ix_events_type", "type"),
        *_stamps("events"),
    )


class EventActor(SQLModel, table=True):
    __tablename__ = "event_actors"

    event_id: str = Field(
        foreign_key="events.id", ondelete="CASCADE", max_length=ID_LENGTH, primary_key=True
    )
    actor_id: str = Field(
        foreign_key="actors.id", ondelete="RESTRICT", max_length=ID_LENGTH, primary_key=True
    )
    role: str = Field(primary_key=True, max_length=20)

    __table_args__ = (Index("ix_event_actors_actor_id_event_id", "actor_id", "event_id"),)


class Claim(SQLModel, table=True):
    __tablename__ = "claims"

    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    event_id: str = Field(foreign_key="events.id", ondelete="CASCADE", max_length=ID_LENGTH)
    document_id: str = Field(foreign_key="documents.id", ondelete="CASCADE", max_length=ID_LENGTH)
    claimant_id: str = Field(foreign_key="actors.id", ondelete="RESTRICT", max_length=ID_LENGTH)
    quote: str = Field(sa_type=Text)
    quote_start: int
    quote_end: int
    stance: str = Field(max_length=20)
    hedge: str = Field(max_length=20)
    claimed_edtf: str | None = Field(default=None, max_length=60)
    claimed_earliest: date | None = None
    claimed_latest: date | None = None
    # The day the claim became public: its document's latest possible publication day.
    known_from: date
    note: str | None = Field(default=None, sa_type=Text)
    # The event's dates and type, copied so that /claims?claimant=… reads one index range in
    # timeline order instead of sorting every claim of the claimant, and /events?claimant=…
    # one range per date precision, as actor_events does for actors.
    event_date_earliest: date
    event_date_precision: str = Field(max_length=10)
    event_date_latest: date
    # The event's type, for /events?claimant=…&type=… from the same index.
    event_type: str = Field(max_length=40)
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)

    __table_args__ = (
        Index("ix_claims_event_id", "event_id"),
        Index(
            "ix_claims_claimant_id_event_date_earliest_id",
            "claimant_id",
            "event_date_earliest",
            "id",
        ),
        # Named: the conventional name would pass PostgreSQL's 63-character limit.
        Index(
            "ix_claims_claimant_timeline",
            "claimant_id",
            "event_date_precision",
            "event_date_earliest",
            "event_id",
            "event_date_latest",
            "event_type",
        ),
        Index("ix_claims_document_id", "document_id"),
        Index("ix_claims_known_from", "known_from"),
        *_stamps("claims"),
    )


class ClaimVia(SQLModel, table=True):
    __tablename__ = "claim_via"

    claim_id: str = Field(
        foreign_key="claims.id", ondelete="CASCADE", max_length=ID_LENGTH, primary_key=True
    )
    position: int = Field(primary_key=True)
    actor_id: str = Field(foreign_key="actors.id", ondelete="RESTRICT", max_length=ID_LENGTH)
    # The claim's event, its dates and type, copied as on claims: /events?via=… and
    # ?source=… read an outlet's events from one index range per date precision.
    event_id: str = Field(max_length=ID_LENGTH)
    event_date_earliest: date
    event_date_precision: str = Field(max_length=10)
    event_date_latest: date
    event_type: str = Field(max_length=40)

    __table_args__ = (
        Index("ix_claim_via_actor_id_claim_id", "actor_id", "claim_id"),
        Index(
            "ix_claim_via_timeline",
            "actor_id",
            "event_date_precision",
            "event_date_earliest",
            "event_id",
            "event_date_latest",
            "event_type",
        ),
    )


class Figure(SQLModel, table=True):
    __tablename__ = "figures"

    claim_id: str = Field(
        foreign_key="claims.id", ondelete="CASCADE", max_length=ID_LENGTH, primary_key=True
    )
    position: int = Field(primary_key=True)
    quantity: str = Field(max_length=40)
    low: int | None = None
    high: int | None = None
    qualifier: str = Field(max_length=20)
    unit: str = Field(max_length=20)
    text: str


class Tombstone(SQLModel, table=True):
    """A record a load removed (kind: events, claims, actors or documents), kept forever so
    that /changes can tell any client, however long since it last synced; a record added
    again loses its tombstone."""

    __tablename__ = "tombstones"

    kind: str = Field(primary_key=True, max_length=20)
    id: str = Field(primary_key=True, max_length=ID_LENGTH)
    removed_at: datetime = Field(sa_type=UtcDateTime)

    __table_args__ = (Index("ix_tombstones_removed_at_kind_id", "removed_at", "kind", "id"),)


class DatasetMeta(SQLModel, table=True):
    """Facts about the loaded data as a whole, written by the loader and the generator."""

    __tablename__ = "dataset_meta"

    key: str = Field(primary_key=True, max_length=60)
    value: str


class ActorEvent(SQLModel, table=True):
    """Derived: one row per event for each actor involved and each of its ancestors, so that
    `actor=dprk` (which includes its sub-actors) is one key, scanned in date order per
    precision. Rebuilt by the loader and the generator (app/derived.py)."""

    __tablename__ = "actor_events"

    actor_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    date_precision: str = Field(primary_key=True, max_length=10)
    date_earliest: date = Field(primary_key=True)
    event_id: str = Field(
        foreign_key="events.id", ondelete="CASCADE", max_length=ID_LENGTH, primary_key=True
    )
    date_latest: date
    # The event's type, so that running_counts are filled from this table alone.
    type: str = Field(max_length=40)
    # Every actor of the event and every claimant of its claims, each with its ancestors,
    # comma-separated and without repeats: the actor and claimant facets of an actor's
    # events are then counted from the rows the actor's date range reads, rather than from
    # a lookup per event into event_actors and claims (app/facets.py).
    actor_ids: str
    claimant_ids: str
    # The day its first claim became known: `known_as_of` alone keeps the event when this is
    # on or before it, tested on the row the actor's scan reads (no lookup of its claims).
    known_first: date | None = None
    # The hedges of its claims, a bit each (vocab.HEDGE_BITS): `hedge=` with an actor is
    # then a test on this row, not a probe of the event's claims.
    hedge_mask: int = Field(default=0, sa_column_kwargs={"server_default": "0"})

    # Clustered on the key in SQLite: the scan reads one b-tree, with date_latest inline.
    __table_args__ = {"sqlite_with_rowid": False}


class EventJson(SQLModel, table=True):
    """Derived: each event's JSON as /events returns it with no claim filter, rendered once
    at load time by the same code as the general path (app/derived.py)."""

    __tablename__ = "event_json"

    event_id: str = Field(
        foreign_key="events.id", ondelete="CASCADE", max_length=ID_LENGTH, primary_key=True
    )
    body: bytes = Field(sa_type=LargeBinary)


class ActorAncestor(SQLModel, table=True):
    """Derived: each actor with itself and every actor above it, so that rolling events up
    to parent actors (actor_events, facet counts) is an indexed join."""

    __tablename__ = "actor_ancestors"

    actor_id: str = Field(
        foreign_key="actors.id", ondelete="CASCADE", max_length=ID_LENGTH, primary_key=True
    )
    ancestor_id: str = Field(
        foreign_key="actors.id", ondelete="CASCADE", max_length=ID_LENGTH, primary_key=True
    )

    __table_args__ = {"sqlite_with_rowid": False}


class RunningCount(SQLModel, table=True):
    """Derived: for each scope (of kind 'actor': every event, '', or an actor's with its
    sub-actors'; of kind 'claimant': the events with a claim by the actor or a sub-actor) and
    event type ('' for all), how many events have begun and how many have ended by each day
    on which one of them begins or ends; and for each actor's events and another actor (kinds
    'pair_actor', 'pair_claim': events involving it, or with a claim by it), the same by
    month (app/running_counts.py)."""

    __tablename__ = "running_counts"

    scope_kind: str = Field(primary_key=True, max_length=10)
    scope: str = Field(primary_key=True, max_length=ID_LENGTH)
    # An event type ('' for all), or the other actor of a pair kind.
    value: str = Field(primary_key=True, max_length=ID_LENGTH)
    day: date = Field(primary_key=True)
    started: int
    ended: int

    __table_args__ = {"sqlite_with_rowid": False}


class SearchEntry(SQLModel, table=True):
    """Derived: the searchable texts (app/search.py), one per event (title and summary) and
    one per claim (quote). SQLite indexes them in the FTS5 table `search_fts` (rowid = id);
    PostgreSQL in `tsv`, with a GIN index (both made by migration 0006, not from here)."""

    __tablename__ = "search_entries"

    id: int = Field(primary_key=True)
    event_id: str = Field(foreign_key="events.id", ondelete="CASCADE", max_length=ID_LENGTH)
    claim_id: str | None = Field(
        default=None, foreign_key="claims.id", ondelete="CASCADE", max_length=ID_LENGTH
    )
    # NULL for the event's own text: it is there from the start.
    known_from: date | None = None
    tsv: str | None = Field(default=None, sa_type=Text().with_variant(TSVECTOR(), "postgresql"))

    # An event's first and last entry ids, where a search page starts and stops reading.
    __table_args__ = (Index("ix_search_entries_event_id_id", "event_id", "id"),)


class ClaimConflict(SQLModel, table=True):
    """Derived: each pair of an event's claims, by different claimants, that dispute each
    other (app/corroboration.py): one denies what the other asserts (`kind` 'denial', the
    denial first), or both assert figures of one quantity and unit whose ranges do not meet
    (`kind` 'figures', the lower first). `known_from` is the later claim's: from that day
    on, the event is contested for `known_as_of`."""

    __tablename__ = "claim_conflicts"

    event_id: str = Field(
        foreign_key="events.id", ondelete="CASCADE", max_length=ID_LENGTH, primary_key=True
    )
    claim_a: str = Field(primary_key=True, max_length=ID_LENGTH)
    claim_b: str = Field(primary_key=True, max_length=ID_LENGTH)
    kind: str = Field(primary_key=True, max_length=10)
    # The figures' quantity; '' for a denial.
    quantity: str = Field(primary_key=True, max_length=40)
    known_from: date

    __table_args__ = {"sqlite_with_rowid": False}


def _compare_codes_bytewise(metadata: MetaData) -> None:
    """Every length-limited string (ids and codes: actor, event, claim and document ids,
    precisions, roles, series keys) is compared byte by byte on PostgreSQL, as SQLite and
    Python compare it (migration 0012). Under a server's linguistic collation, ids that
    differ in case or punctuation would sort otherwise, so a timeline's ties within a day
    would come in another order than on SQLite; and byte comparison makes index builds and
    key comparisons cheaper than strcoll. Free text (titles, quotes, names) keeps the
    server's collation."""
    for table in metadata.tables.values():
        for column in table.columns:
            # SQLModel's str fields are AutoString, a decorator over String.
            kind = column.type.impl if isinstance(column.type, AutoString) else column.type
            if isinstance(kind, String) and not isinstance(kind, Text) and kind.length:
                length = kind.length
                column.type = String(length).with_variant(
                    String(length, collation="C"), "postgresql"
                )


_compare_codes_bytewise(SQLModel.metadata)

# Load order: parents before children. Deletes run in reverse.
TABLES_IN_LOAD_ORDER: list[Table] = [
    SQLModel.metadata.tables[name]
    for name in ("actors", "actor_aliases", "documents", "events", "event_actors", "claims",
                 "claim_via", "figures")
]  # fmt: skip

actors_table = SQLModel.metadata.tables["actors"]
actor_aliases_table = SQLModel.metadata.tables["actor_aliases"]
documents_table = SQLModel.metadata.tables["documents"]
events_table = SQLModel.metadata.tables["events"]
event_actors_table = SQLModel.metadata.tables["event_actors"]
claims_table = SQLModel.metadata.tables["claims"]
claim_via_table = SQLModel.metadata.tables["claim_via"]
figures_table = SQLModel.metadata.tables["figures"]
dataset_meta_table = SQLModel.metadata.tables["dataset_meta"]
tombstones_table = SQLModel.metadata.tables["tombstones"]
# The records that carry created_at and updated_at, and get a tombstone when removed: the
# kinds of /changes, by table name.
STAMPED_TABLES: list[Table] = [actors_table, documents_table, events_table, claims_table]
STAMP_COLUMNS = ("created_at", "updated_at")
actor_events_table = SQLModel.metadata.tables["actor_events"]
event_json_table = SQLModel.metadata.tables["event_json"]
search_entries_table = SQLModel.metadata.tables["search_entries"]
actor_ancestors_table = SQLModel.metadata.tables["actor_ancestors"]
running_counts_table = SQLModel.metadata.tables["running_counts"]
claim_conflicts_table = SQLModel.metadata.tables["claim_conflicts"]
DERIVED_TABLES: list[Table] = [
    actor_ancestors_table,
    actor_events_table,
    running_counts_table,
    event_json_table,
    search_entries_table,
    claim_conflicts_table,
]
