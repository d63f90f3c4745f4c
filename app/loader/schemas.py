"""The shape of each seed record. Cross-record rules live in validate.py."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.vocab import (
    ActorKind,
    Confidence,
    DateBasis,
    EventType,
    Hedge,
    Qualifier,
    Quantity,
    Role,
    Stance,
    Unit,
)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DOCUMENT_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]*$")


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("must be a lowercase slug: letters a-z, digits and '-'")
    return value


Slug = Annotated[str, AfterValidator(_slug), Field(max_length=120)]
Text = Annotated[str, Field(min_length=1)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeedAlias(_Record):
    name: Text
    lang: Annotated[str, Field(pattern=r"^[a-z]{2}$")]


class SeedActor(_Record):
    id: Slug
    name: Text
    kind: ActorKind
    parent: Slug | None = None
    iso3: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    wikidata: Annotated[str, Field(pattern=r"^Q[1-9][0-9]*$")] | None = None
    aliases: list[SeedAlias] = []


class SeedDocument(_Record):
    id: Annotated[str, Field(pattern=_DOCUMENT_ID.pattern, max_length=120)]
    file: Text
    # None until `claimline validate --fix` computes it (validate.py reports it as not set).
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    title: Text
    outlet: Slug | None
    outlet_evidence: Text
    url: str | None
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")]
    published: Text
    published_basis: DateBasis
    published_confidence: Confidence
    published_evidence: Text
    notes: str | None = None


class SeedLocation(_Record):
    name: Text
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    # The place's Wikidata item: where its coordinates (or its outline) come from.
    wikidata: Annotated[str, Field(pattern=r"^Q[1-9][0-9]*$")] | None = None


class SeedEventActor(_Record):
    actor: Slug
    role: Role


class SeedEvent(_Record):
    id: Slug
    type: EventType
    title: Text
    summary: Text
    date: Text
    date_basis: Text
    location: SeedLocation | None = None
    actors: list[SeedEventActor] = []
    # An expectation or forecast: its interval may end after its documents were published.
    forecast: bool = False
    # Background the documents recall rather than report as news (seeds/README.md gives the
    # rule); strict, so that a quoted "false" is not read as a boolean.
    context: StrictBool = False
    # Why, in a line, so that a reviewer can check the judgement: required with `context`.
    context_reason: str | None = Field(default=None, validate_default=True)

    @field_validator("context_reason")
    @classmethod
    def _reason_with_context(cls, reason: str | None, info: ValidationInfo) -> str | None:
        context = info.data.get("context")  # absent when `context` itself is invalid
        if context is True and not (reason and reason.strip()):
            raise ValueError("required with `context: true`: say why the event is background")
        if context is False and reason is not None:
            raise ValueError("only for an event marked `context: true`")
        return reason


class SeedFigure(_Record):
    quantity: Quantity
    low: Annotated[int, Field(ge=0)] | None = None
    high: Annotated[int, Field(ge=0)] | None = None
    qualifier: Qualifier
    unit: Unit
    text: Text

    @model_validator(mode="after")
    def _bounds_fit_qualifier(self) -> SeedFigure:
        low, high, q = self.low, self.high, self.qualifier
        if q in (Qualifier.exact, Qualifier.about):
            ok, rule = low is not None and low == high, "low and high set and equal"
        elif q in (Qualifier.at_least, Qualifier.more_than, Qualifier.vague):
            ok, rule = low is not None and high is None, "low set, high null"
        elif q is Qualifier.up_to:
            ok, rule = low is None and high is not None, "high set, low null"
        else:
            ok, rule = low is not None and high is not None and low < high, "low < high"
        if not ok:
            raise ValueError(f"qualifier {q.value!r} needs {rule} (got low={low}, high={high})")
        return self


class SeedClaim(_Record):
    id: Slug
    event: Slug
    claimant: Slug
    via: list[Slug] = []
    quote: Text
    # None until `claimline validate --fix` finds the quote in the document.
    offset: Annotated[int, Field(ge=0)] | None = None
    stance: Stance
    hedge: Hedge
    claimed_on: str | None = None
    note: str | None = None
    figures: list[SeedFigure] = []


class SeedClaimFile(_Record):
    document: Text
    # `claims:` with nothing under it yet (a new document's file) is an empty list.
    claims: list[dict[str, object]] | None
