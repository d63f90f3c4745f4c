"""Shapes of the API's responses: what clients and generated clients see."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.vocab import (
    ActorKind,
    Confidence,
    DateBasis,
    EventType,
    Hedge,
    Precision,
    Qualifier,
    Quantity,
    Role,
    Stance,
    Unit,
)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ActorRef(_Out):
    id: str = Field(examples=["kor-nis"])
    name: str = Field(examples=["National Intelligence Service (South Korea)"])
    kind: ActorKind


class Alias(_Out):
    name: str = Field(examples=["Corée du Nord"])
    lang: str = Field(examples=["fr"])


class Actor(ActorRef):
    parent_id: str | None = Field(examples=["kor"])
    iso3: str | None = Field(description="ISO 3166-1 alpha-3, for states", examples=[None])
    wikidata: str | None = Field(description="Wikidata QID where known", examples=[None])
    aliases: list[Alias]
    children: list[str] = Field(description="ids of the actor's direct sub-actors")


class EventActor(ActorRef):
    role: Role


class DateInfo(_Out):
    edtf: str = Field(description="EDTF (ISO 8601-2) notation", examples=["2024-23"])
    earliest: date = Field(examples=["2024-09-01"])
    latest: date = Field(examples=["2024-11-30"])
    precision: Precision
    approximate: bool
    uncertain: bool


class EventDate(DateInfo):
    basis: str = Field(description="How the date was resolved from the documents' words")


class Location(_Out):
    name: str = Field(examples=["Kursk Oblast, Russia"])
    lat: float | None = Field(examples=[51.7])
    lon: float | None = Field(examples=[36.2])


class DocumentRef(_Out):
    id: str = Field(examples=["000_d40e8277d782d5f4"])
    title: str
    outlet: ActorRef | None
    url: str | None
    published: DateInfo


class Figure(_Out):
    quantity: Quantity
    low: int | None = Field(examples=[1000])
    high: int | None = Field(examples=[None])
    qualifier: Qualifier
    unit: Unit
    text: str = Field(description="The figure's words in the document", examples=["plus de 1 000"])


class Claim(_Out):
    id: str = Field(examples=["c000-kor-over-1000-casualties"])
    event_id: str = Field(examples=["dprk-casualties-2024-12"])
    claimant: ActorRef
    via: list[ActorRef] = Field(description="Outlets that relayed the claim, in order")
    document: DocumentRef
    quote: str = Field(description="Verbatim words of the document")
    quote_start: int = Field(description="Offset of the quote in the document text (code points)")
    quote_end: int
    stance: Stance
    hedge: Hedge
    claimed_on: DateInfo | None = Field(description="When the claimant made it, if the text says")
    known_from: date = Field(
        description="The day the claim became public: its document's (latest) publication day"
    )
    note: str | None
    figures: list[Figure]
    matched: bool = Field(
        description="Whether this claim satisfies the claim filters of the request"
    )


class Event(_Out):
    id: str = Field(examples=["dprk-casualties-2024-12"])
    type: EventType
    title: str
    summary: str
    date: EventDate
    location: Location | None
    actors: list[EventActor]
    claims: list[Claim]


class EventSummaryRef(_Out):
    id: str
    type: EventType
    title: str
    date: DateInfo


class ClaimRow(Claim):
    event: EventSummaryRef


class ResolvedActor(_Out):
    input: str = Field(description="The value as given", examples=["Corée du Nord"])
    actor: ActorRef
    matched: str = Field(description="The id, name or alias it matched", examples=["Corée du Nord"])
    includes: list[str] = Field(description="The actor and its sub-actors, all matched")


class ResolvedFilters(_Out):
    actor: list[ResolvedActor] = []
    claimant: list[ResolvedActor] = []
    via: list[ResolvedActor] = []
    source: list[ResolvedActor] = []
    from_: date | None = Field(default=None, alias="from", serialization_alias="from")
    to: date | None = None
    date_match: str = "overlap"
    type: list[EventType] = []
    document: list[str] = []
    hedge: list[Hedge] = []
    known_as_of: date | None = None
    q: list[str] = Field(
        default=[], description="The searched words as matched: folded, * marking a prefix"
    )

    model_config = ConfigDict(frozen=True, populate_by_name=True)


class Page(_Out):
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )
    next: str | None = Field(description="URL of the next page; null at the end")
    filters: ResolvedFilters


class EventPage(Page):
    data: list[Event]


class ClaimPage(Page):
    data: list[ClaimRow]


class FacetCount(_Out):
    value: str = Field(
        description="The value: a type, a year (YYYY) or an actor id", examples=["casualties"]
    )
    count: int = Field(description="Matching events that adding this value would select")
    actor: ActorRef | None = Field(default=None, description="For actor and claimant facets")


class Facets(_Out):
    """The requested facets, each most frequent value first; facets not requested are absent."""

    type: list[FacetCount] | None = None
    year: list[FacetCount] | None = None
    actor: list[FacetCount] | None = None
    claimant: list[FacetCount] | None = None


class EventFacets(_Out):
    total: int = Field(description="Events matching the filters")
    facets: Facets
    filters: ResolvedFilters


class TimelineFigure(_Out):
    claimant_id: str
    quantity: Quantity
    low: int | None
    high: int | None
    qualifier: Qualifier


class TimelineItem(_Out):
    id: str
    type: EventType
    title: str
    date: DateInfo
    claim_count: int
    claimants: list[ActorRef]
    hedges: list[Hedge]
    figures: list[TimelineFigure]
    matched_claim_ids: list[str]


class TimelineGroup(_Out):
    label: str = Field(examples=["Autumn 2024"])
    date: DateInfo
    events: list[TimelineItem]


class Timeline(Page):
    groups: list[TimelineGroup]


class DocumentSummary(_Out):
    id: str
    file_name: str
    title: str
    outlet: ActorRef | None
    outlet_evidence: str
    url: str | None
    language: str
    published: DateInfo
    published_basis: DateBasis
    published_confidence: Confidence
    published_evidence: str
    notes: str | None
    sha256: str
    claim_count: int


class DocumentFull(DocumentSummary):
    text: str


class Health(_Out):
    status: str = Field(examples=["ok"])
    checks: dict[str, Any] = {}
