"""Shapes of the API's responses: what clients and generated clients see.

Every class has a docstring and every field a description: they are the OpenAPI document's
descriptions, and tests/test_openapi.py fails on one left out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.vocab import (
    ActorKind,
    ChangeType,
    Confidence,
    ContextFilter,
    DateBasis,
    DateMatch,
    DisputeKind,
    EventType,
    Hedge,
    Precision,
    Qualifier,
    Quantity,
    RecordKind,
    Role,
    Stance,
    Unit,
)

ACTOR_ID = "The actor's id, a stable lowercase slug (see /actors)"
CONTEXT = (
    "Background rather than news: the documents recall it to explain what they report "
    "(history, a standing state, a pattern over more than a year), by the curators' "
    "judgement; `context=exclude` leaves such events out, `context=only` keeps only them"
)
STAMP_EXAMPLE = "2026-12-07T19:52:51.123456Z"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ActorRef(_Out):
    """An actor as other records mention it: id, name and kind; /actors/{id} has the rest."""

    id: str = Field(description=ACTOR_ID, examples=["kor-nis"])
    name: str = Field(
        description="The actor's name, in English",
        examples=["National Intelligence Service (South Korea)"],
    )
    kind: ActorKind = Field(description="What sort of actor this is")


class Alias(_Out):
    """Another name of an actor, by which filters such as `actor=` also find it."""

    name: str = Field(
        description="The name as written in that language", examples=["Corée du Nord"]
    )
    lang: str = Field(description="ISO 639-1 language code of the name", examples=["fr"])


class Actor(ActorRef):
    """A state, agency, person, outlet or group that acts in events or makes claims."""

    parent_id: str | None = Field(
        description="The actor this one belongs to (the NIS belongs to South Korea); filters "
        "on the parent include it. Null for a top-level actor",
        examples=["kor"],
    )
    iso3: str | None = Field(description="ISO 3166-1 alpha-3, for states", examples=[None])
    wikidata: str | None = Field(description="Wikidata QID where known", examples=[None])
    aliases: list[Alias] = Field(
        description="Other names, in English and French, matched by the actor filters"
    )
    children: list[str] = Field(description="ids of the actor's direct sub-actors")


class EventActor(ActorRef):
    """An actor involved in an event, with its part in it."""

    role: Role = Field(description="The actor's part in the event")


class DateInfo(_Out):
    """A date as the documents give it (EDTF), with the interval of days it may mean."""

    edtf: str = Field(
        description="The date in EDTF (ISO 8601-2): `2024-10-23`, `2024-10`, `2024`, a season "
        "`2024-21`..`2024-24` (spring..winter), or an interval `A/B`; a trailing `~` means "
        "approximate, `?` uncertain, `%` both",
        examples=["2024-23"],
    )
    earliest: date = Field(
        description="First day the date can mean (a season's or month's first day)",
        examples=["2024-09-01"],
    )
    latest: date = Field(
        description="Last day the date can mean, inclusive; equal to `earliest` for a day",
        examples=["2024-11-30"],
    )
    precision: Precision = Field(description="The unit the date is given in")
    approximate: bool = Field(description="EDTF `~`: the text says about that date")
    uncertain: bool = Field(description="EDTF `?`: the text is unsure of that date")


class EventDate(DateInfo):
    """An event's date, with how it was resolved from the documents."""

    basis: str = Field(
        description="How the date was resolved: the document words it rests on, quoted, and "
        "any outside knowledge used to bound it"
    )


class Location(_Out):
    """Where an event took place, as the documents name it."""

    name: str = Field(
        description="The place's name (the `location=` filter matches its words)",
        examples=["Kursk Oblast, Russia"],
    )
    lat: float | None = Field(description="Latitude in degrees (WGS 84), if known", examples=[51.7])
    lon: float | None = Field(
        description="Longitude in degrees (WGS 84), if known", examples=[36.2]
    )


class DocumentRef(_Out):
    """The source document a claim was read in; /documents/{id} has its text."""

    id: str = Field(
        description="The document's id (see /documents)", examples=["000_d40e8277d782d5f4"]
    )
    title: str = Field(
        description="The headline, or a descriptive title in [brackets] when there is none"
    )
    outlet: ActorRef | None = Field(description="The publishing outlet; null if unknown")
    url: str | None = Field(description="The article's address, only if the text gives one")
    published: DateInfo = Field(
        description="When it was published: a day, or an interval when only bounded"
    )


class Figure(_Out):
    """A number in a claim, kept as a range with the words it was read from."""

    quantity: Quantity = Field(description="What the figure counts")
    low: int | None = Field(
        description="Lower bound (inclusive); null when the words give none", examples=[1000]
    )
    high: int | None = Field(
        description="Upper bound (inclusive); null when the words give none", examples=[None]
    )
    qualifier: Qualifier = Field(description="How the words bound the number")
    unit: Unit = Field(description="What the number is of")
    text: str = Field(description="The figure's words in the document", examples=["plus de 1 000"])


class Claim(_Out):
    """One source's statement about an event: who made it, who relayed it, where it was read,
    the verbatim quote, how hedged it is and any figures. Claims are never merged: two
    sources' differing figures stay two claims."""

    id: str = Field(description="The claim's id", examples=["c000-kor-over-1000-casualties"])
    event_id: str = Field(
        description="The id of the event the claim is about", examples=["dprk-casualties-2024-12"]
    )
    claimant: ActorRef = Field(
        description="Who the document says makes the claim; a document's own narration is "
        "claimed by its outlet, or by `unattributed`"
    )
    via: list[ActorRef] = Field(description="Outlets that relayed the claim, in order")
    document: DocumentRef = Field(description="The document the claim was read in")
    quote: str = Field(description="Verbatim words of the document")
    quote_start: int = Field(description="Offset of the quote in the document text (code points)")
    quote_end: int = Field(
        description="Offset just past the quote's last character (code points): "
        "`text[quote_start:quote_end] == quote`"
    )
    stance: Stance = Field(description="Whether the claim affirms or denies the event")
    hedge: Hedge = Field(description="How firmly the document attributes the claim")
    claimed_on: DateInfo | None = Field(description="When the claimant made it, if the text says")
    known_from: date = Field(
        description="The day the claim became public: its document's (latest) publication day"
    )
    note: str | None = Field(
        description="The curators' note: an ambiguity, or a statement attributed jointly and "
        "so split into one claim per claimant"
    )
    figures: list[Figure] = Field(
        description="The numbers the claim states, in the order it states them"
    )
    created_at: datetime = Field(
        description="When a load first added the claim (RFC 3339, UTC, microseconds)",
        examples=[STAMP_EXAMPLE],
    )
    updated_at: datetime = Field(
        description="When a load last changed anything this claim's JSON shows, on /events "
        "or /claims: its own fields, its figures, via, document, claimant or event title; "
        "equal to `created_at` until then",
        examples=[STAMP_EXAMPLE],
    )
    matched: bool = Field(
        description="Whether this claim satisfies the request's claim filters (`claimant`, "
        "`via`, `source`, `document`, `hedge`); true for every claim when there are none"
    )


class Support(_Out):
    """Who asserts an event: the claims listed with it whose stance is `asserts` (a denial,
    or a claim that neither confirms nor denies, supports nothing), counted each once."""

    claimants: int = Field(
        description="Distinct claimants (actor ids: South Korea and its NIS count as two; "
        "`unattributed` narration as one)",
        examples=[2],
    )
    documents: int = Field(description="Distinct documents the claims were read in", examples=[1])
    outlets: int = Field(
        description="Distinct outlets that carried the claims: the actors they were relayed "
        "`via` and the publishers of their documents, together",
        examples=[2],
    )


class Dispute(_Out):
    """Two claims of an event, by different claimants, that contradict each other."""

    kind: DisputeKind = Field(
        description="`denial`: the first claim denies what the second asserts; `figures`: "
        "both assert figures of `quantity` in one unit, and the first's range ends below "
        'the second\'s (a null bound is open: "more than 1,000" and "more than 3,000" '
        "agree)",
        examples=["denial"],
    )
    claim_ids: list[str] = Field(
        description="The two claims, in the order `kind` says",
        examples=[["c000-dprk-initially-denied-sending-troops", "c000-ukr-at-least-10000-sent"]],
    )
    quantity: Quantity | None = Field(
        description="The quantity whose figures disagree; null for a denial"
    )
    known_from: date = Field(
        description="The day both claims were public: from then on, `known_as_of` sees the dispute"
    )


class Event(_Out):
    """Something that happened, with the actors involved and every claim reporting it. An
    event holds no figures of its own: they belong to its claims."""

    id: str = Field(
        description="The event's id, a stable slug", examples=["dprk-casualties-2024-12"]
    )
    type: EventType = Field(description="What kind of happening it is")
    context: bool = Field(description=CONTEXT)
    title: str = Field(description="A one-line English title")
    summary: str = Field(description="A neutral English summary; who says what is in the claims")
    date: EventDate = Field(description="When it happened, as precisely as the documents say")
    location: Location | None = Field(description="Where it happened; null if nowhere is said")
    actors: list[EventActor] = Field(
        description="The actors involved, by role (alphabetical), then id"
    )
    support: Support = Field(
        description="Who asserts it, counted over the claims listed (with `known_as_of`, "
        "those published by that day)"
    )
    contested: bool = Field(
        description="Whether two claims listed, by different claimants, dispute each other "
        "(see `contested_by`). A claimant that revises its own figure or denies what it "
        "said before is not disputed by it"
    )
    contested_by: list[Dispute] = Field(
        description="Each disputing pair of claims, in the order the claims are listed; "
        "empty when not contested"
    )
    claims: list[Claim] = Field(
        description="The claims reporting the event, by `known_from`, then id; with "
        "`known_as_of`, only those published by that day"
    )
    created_at: datetime = Field(
        description="When a load first added the event (RFC 3339, UTC, microseconds)",
        examples=[STAMP_EXAMPLE],
    )
    updated_at: datetime = Field(
        description="When a load last changed anything this event's JSON shows: its own "
        "fields, its actors, or any of its claims (added, changed or removed); what "
        "`updated_since` filters on. Equal to `created_at` until then",
        examples=[STAMP_EXAMPLE],
    )


class EventSummaryRef(_Out):
    """The event a claim row is about, without its claims."""

    id: str = Field(description="The event's id")
    type: EventType = Field(description="What kind of happening it is")
    context: bool = Field(description=CONTEXT)
    title: str = Field(description="A one-line English title")
    date: DateInfo = Field(description="When it happened")


class ClaimRow(Claim):
    """A claim as /claims lists it, with the event it is about."""

    event: EventSummaryRef = Field(description="The event the claim is about")


class ResolvedActor(_Out):
    """How one actor filter value was read: the actor it names and those it includes."""

    input: str = Field(description="The value as given", examples=["Corée du Nord"])
    actor: ActorRef = Field(description="The actor the value names")
    matched: str = Field(description="The id, name or alias it matched", examples=["Corée du Nord"])
    includes: list[str] = Field(description="The actor and its sub-actors, all matched")


class ResolvedFilters(_Out):
    """The request's filters as the service read them: actors resolved, dates as days, search
    words folded. Empty lists and nulls are filters not given."""

    actor: list[ResolvedActor] = Field(default=[], description="The `actor` values")
    claimant: list[ResolvedActor] = Field(default=[], description="The `claimant` values")
    via: list[ResolvedActor] = Field(default=[], description="The `via` values")
    source: list[ResolvedActor] = Field(default=[], description="The `source` values")
    from_: date | None = Field(
        default=None,
        alias="from",
        serialization_alias="from",
        description="The first day of the range (`from=2024-10` reads as 2024-10-01)",
    )
    to: date | None = Field(
        default=None, description="The last day of the range (`to=2024-10` reads as 2024-10-31)"
    )
    date_match: DateMatch = Field(
        default=DateMatch.overlap, description="How event dates meet the range"
    )
    type: list[EventType] = Field(default=[], description="The `type` values")
    document: list[str] = Field(default=[], description="The `document` ids")
    hedge: list[Hedge] = Field(default=[], description="The `hedge` values")
    known_as_of: date | None = Field(default=None, description="The `known_as_of` day")
    q: list[str] = Field(
        default=[], description="The searched words as matched: folded, * marking a prefix"
    )
    context: ContextFilter | None = Field(
        default=None, description="The `context` value: background events left out or alone"
    )
    updated_since: datetime | None = Field(
        default=None, description="The `updated_since` instant, in UTC"
    )
    min_claimants: int | None = Field(
        default=None, description="The `min_claimants` value", examples=[2]
    )
    contested: bool | None = Field(default=None, description="The `contested` value")

    model_config = ConfigDict(frozen=True, populate_by_name=True)


class Page(_Out):
    """A page of a listing, ordered by earliest date, then id, with keyset paging."""

    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )
    next: str | None = Field(
        description="URL of the next page, also sent as the `Link` header; null at the end"
    )
    filters: ResolvedFilters = Field(description="The filters as the service read them")


class EventPage(Page):
    """A page of events, each with its actors and claims."""

    data: list[Event] = Field(description="The events, earliest first")


class ClaimPage(Page):
    """A page of claims, one row per claim, each with its event."""

    data: list[ClaimRow] = Field(
        description="The claims, by their event's earliest date, then claim id"
    )


class FigureRow(Figure):
    """One claimed figure, with who claimed it, where, when it became known and the event it
    is about: a row ready to chart how the claimants' numbers differ."""

    claim_id: str = Field(
        description="The claim that states it", examples=["c000-kor-over-1000-casualties"]
    )
    position: int = Field(description="Its place among its claim's figures, from 0")
    claimant: ActorRef = Field(description="Who claims the figure")
    via: list[ActorRef] = Field(description="Outlets that relayed the claim, in order")
    document: DocumentRef = Field(description="The document the claim was read in")
    known_from: date = Field(
        description="The day the figure became public: its document's (latest) publication day"
    )
    claimed_on: DateInfo | None = Field(description="When the claimant made it, if the text says")
    stance: Stance = Field(description="Whether the claim affirms or denies the event")
    hedge: Hedge = Field(description="How firmly the document attributes the claim")
    quote: str = Field(description="The claim's verbatim words, which hold the figure")
    quote_start: int = Field(description="Offset of the quote in the document text (code points)")
    quote_end: int = Field(description="Offset just past the quote's last character")
    event: EventSummaryRef = Field(description="The event the claim is about")


class FigurePage(Page):
    """A page of claimed figures, in the order they became known."""

    data: list[FigureRow] = Field(
        description="The figures, by `known_from`, then claim id, then position"
    )


class QuantityCount(_Out):
    """A quantity that claims give figures for, and how many match the filters."""

    quantity: Quantity = Field(description="What the figures count")
    count: int = Field(description="How many claimed figures of it match the filters")


class QuantityList(_Out):
    """The quantities claimed figures count, with how many match the filters."""

    data: list[QuantityCount] = Field(description="Each quantity with a match, by name")
    filters: ResolvedFilters = Field(description="The filters as the service read them")


class FacetCount(_Out):
    """One value of a facet and how many of the selected events have it."""

    value: str = Field(
        description="The value: a type, a year (YYYY) or an actor id", examples=["casualties"]
    )
    count: int = Field(description="Matching events that adding this value would select")
    actor: ActorRef | None = Field(default=None, description="For actor and claimant facets")


class Facets(_Out):
    """The requested facets, each most frequent value first; facets not requested are absent."""

    type: list[FacetCount] | None = Field(default=None, description="Counts by event type")
    year: list[FacetCount] | None = Field(
        default=None, description="Counts by the years an event's date overlaps"
    )
    actor: list[FacetCount] | None = Field(
        default=None, description="Counts by actor involved, sub-actors' events included"
    )
    claimant: list[FacetCount] | None = Field(
        default=None, description="Counts by claimant of the events' claims, sub-actors included"
    )


class EventFacets(_Out):
    """How the events a request selects divide, by type, year, actor and claimant."""

    total: int = Field(description="Events matching the filters")
    facets: Facets = Field(description="The counts, by facet")
    filters: ResolvedFilters = Field(description="The filters as the service read them")


class TimelineFigure(_Out):
    """A figure of one of the event's claims, in short."""

    claimant_id: str = Field(description="Who claimed it (an actor id)")
    quantity: Quantity = Field(description="What the figure counts")
    low: int | None = Field(description="Lower bound (inclusive); null when none is given")
    high: int | None = Field(description="Upper bound (inclusive); null when none is given")
    qualifier: Qualifier = Field(description="How the words bound the number")


class TimelineItem(_Out):
    """An event in the timeline: its claims summarised rather than listed."""

    id: str = Field(description="The event's id (/events/{id} has it whole)")
    type: EventType = Field(description="What kind of happening it is")
    context: bool = Field(description=CONTEXT)
    title: str = Field(description="A one-line English title")
    date: DateInfo = Field(description="When it happened")
    claim_count: int = Field(description="How many claims report it")
    claimants: list[ActorRef] = Field(description="Who made those claims, each once")
    hedges: list[Hedge] = Field(description="The claims' hedges, each once, sorted")
    figures: list[TimelineFigure] = Field(description="Every figure of every claim")
    matched_claim_ids: list[str] = Field(
        description="The claims that satisfy the request's claim filters (all of them "
        "when there are none)"
    )
    support: Support = Field(description="Who asserts it, as /events counts it")
    contested: bool = Field(description="Whether two claimants dispute it, as on /events")
    contested_by: list[Dispute] = Field(description="The disputing pairs, as on /events")


class TimelineGroup(_Out):
    """The events of a page that share one date, under a heading for it."""

    label: str = Field(
        description="An English heading that keeps the date's precision", examples=["Autumn 2024"]
    )
    date: DateInfo = Field(description="The date the events share")
    events: list[TimelineItem] = Field(description="The events, in timeline order")


class Timeline(Page):
    """A page of the /events selection grouped under its dates, for rendering."""

    groups: list[TimelineGroup] = Field(
        description="Groups in order of their first event; the page's events in order"
    )


class DocumentSummary(_Out):
    """A source document's metadata: where it comes from and how its date was determined."""

    id: str = Field(description="The document's id (its file name without `.txt`)")
    file_name: str = Field(description="The text file it was read from")
    title: str = Field(
        description="The headline, or a descriptive title in [brackets] when there is none"
    )
    outlet: ActorRef | None = Field(description="The publishing outlet; null if unknown")
    outlet_evidence: str = Field(description="Why the outlet is thought to be this one")
    url: str | None = Field(description="The article's address, only if the text gives one")
    language: str = Field(description="ISO 639-1 code of the text's language", examples=["fr"])
    published: DateInfo = Field(
        description="When it was published: a day, or an interval when only bounded"
    )
    published_basis: DateBasis = Field(description="Whether the text states the date")
    published_confidence: Confidence = Field(description="How sure that date is")
    published_evidence: str = Field(description="The textual evidence for the date, quoted")
    notes: str | None = Field(description="Ambiguities, translation artefacts, what is left out")
    sha256: str = Field(description="SHA-256 of the text file's bytes, hex")
    claim_count: int = Field(description="How many claims were read in it")


class DocumentFull(DocumentSummary):
    """A source document's metadata and its full text."""

    text: str = Field(
        description="The full text, to which claims' `quote_start` and `quote_end` point"
    )


class Change(_Out):
    """One record that a load created, updated or removed, at the load's instant."""

    kind: RecordKind = Field(description="The kind of record")
    id: str = Field(description="The record's id", examples=["dprk-casualties-2024-12"])
    change: ChangeType = Field(description="What happened to it after `since`")
    at: datetime = Field(
        description="When: the instant of the load that last changed it (RFC 3339, UTC)",
        examples=[STAMP_EXAMPLE],
    )


class ChangePage(_Out):
    """A page of the records changed after `since`, in the order the loads changed them
    (instant, then kind, then id), with keyset paging. A record appears once, with its
    latest change."""

    since: datetime | None = Field(
        description="The `since` instant as read, in UTC; null: from the beginning"
    )
    until: datetime | None = Field(
        description="The instant of the latest change in the data now served: pass it as "
        "`since` next time, once every page is read (take it from the last page). Null "
        "when nothing was ever loaded",
        examples=[STAMP_EXAMPLE],
    )
    data: list[Change] = Field(description="The changes, oldest first")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )
    next: str | None = Field(
        description="URL of the next page, also sent as the `Link` header; null at the end"
    )


class Health(_Out):
    """The service's state."""

    status: str = Field(description="`ok` when the check passed", examples=["ok"])
    checks: dict[str, Any] = Field(
        default={},
        description="/readyz only: the schema revision and how many documents are loaded",
    )
