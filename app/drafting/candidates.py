"""Candidate claims for one document, from its text, its publication date and its outlet.

Nothing here reads the document's curated claims: the evaluation depends on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.drafting import nlp
from app.drafting.actors import ActorAliases
from app.drafting.attribution import Attribution, attribute
from app.drafting.dates import STATEMENT_PRECISIONS, DateMention, resolve_dates
from app.drafting.event_types import propose_type
from app.drafting.figures import Figure, classify, parse_figures
from app.drafting.hedges import read_hedge, read_stance
from app.drafting.segment import SegmentKind, segments
from app.edtf import EdtfDate, EdtfError, parse_edtf
from app.vocab import EventType, Hedge, Quantity, Stance

UNATTRIBUTED = "unattributed"
_SAME_TIME = re.compile(
    r"^(?:dans le même temps|au même moment|le même jour|simultanément)\b", re.IGNORECASE
)


class DocumentError(ValueError):
    """The document cannot be drafted: unknown, or without a publication date."""


@dataclass(frozen=True)
class SourceDocument:
    id: str
    text: str
    published: EdtfDate
    outlet: str | None

    @classmethod
    def from_seeds(cls, seeds_dir: Path, document_id: str) -> SourceDocument:
        """The document's text and metadata from documents.yaml, never its claims."""
        records = yaml.safe_load((seeds_dir / "documents.yaml").read_text(encoding="utf-8"))
        for record in records or []:
            if isinstance(record, dict) and record.get("id") == document_id:
                text = (seeds_dir / "documents" / str(record["file"])).read_bytes().decode("utf-8")
                try:
                    published = parse_edtf(str(record.get("published")))
                except EdtfError as exc:
                    raise DocumentError(
                        f"{document_id}: its publication date is needed to resolve relative "
                        f"dates; set `published` in documents.yaml ({exc})"
                    ) from None
                outlet = record.get("outlet")
                return cls(document_id, text, published, str(outlet) if outlet else None)
        known = sorted(str(r.get("id")) for r in records or [] if isinstance(r, dict))
        raise DocumentError(
            f"no document {document_id!r} in documents.yaml (known: {', '.join(known)})"
        )


@dataclass
class Candidate:
    id: str
    start: int
    end: int
    quote: str
    claimants: list[str]
    claimant_words: str | None
    attribution_cue: str | None
    via: list[str]
    stance: Stance
    hedge: Hedge
    hedge_cue: str | None
    claimed_on: str | None
    dates: list[DateMention]
    figures: list[Figure]
    event_type: EventType
    confidence: float
    notes: list[str] = field(default_factory=list)

    @property
    def claimant(self) -> str | None:
        return self.claimants[0] if self.claimants else None


def _confidence(attribution: Attribution, heading: bool, narrator: str) -> float:
    """Rough: an attribution read from an explicit cue is likelier right than narration."""
    if not attribution.resolved:
        score = 0.3
    elif attribution.cue is not None and not attribution.inherited:
        score = 0.8
    elif attribution.inherited:
        score = 0.6
    else:
        score = 0.5 if narrator != UNATTRIBUTED else 0.4
    return round(score - (0.2 if heading else 0.0), 2)


def _in_context(
    attribution: Attribution,
    previous: Attribution | None,
    carried: Attribution | None,
    text: str,
    same_line: bool,
) -> Attribution:
    """A segment's attribution given the segments before it."""
    if attribution.cue is None and carried is not None and carried.cue is not None:
        # "Le NIS a également constaté … :" hands its speaker to the list below.
        return Attribution(
            list(carried.claimants), list(carried.via), carried.cue, carried.words, True
        )
    if previous is None or not same_line:
        return attribution
    if text[:1].islower() and previous.via and not attribution.via:
        # "Selon l'AFP, X a déclaré …, tandis que Y a déclaré …": the outlet relays both.
        attribution.via = list(previous.via)
    return attribution


def _claim_date(
    text: str,
    dates: list[DateMention],
    attribution: Attribution,
    spoken_on: dict[tuple[str, ...], str],
    last_claimed_on: str | None,
) -> tuple[str | None, list[str]]:
    """When an attributed statement was made, and a note when it comes from elsewhere."""
    for d in dates:
        if parse_edtf(d.edtf).precision in STATEMENT_PRECISIONS:
            return d.edtf, []
    if _SAME_TIME.match(text) and last_claimed_on:
        return last_claimed_on, ["claim date of the statement before ('Dans le même temps')"]
    key = tuple(attribution.claimants)
    if key and key in spoken_on:
        # Reports date a speaker's first statement and not the ones that follow.
        return spoken_on[key], ["claim date carried from the claimant's earlier statement"]
    return None, []


def draft(document: SourceDocument, aliases: ActorAliases) -> list[Candidate]:
    text = document.text
    narrator = document.outlet or UNATTRIBUTED
    mentions = aliases.mentions(text)
    verbs = nlp.verb_forms(text)
    out: list[Candidate] = []
    previous: Attribution | None = None
    speaker: Attribution | None = None  # the last one a cue attributed: "Il a ajouté" is theirs
    carried: Attribution | None = None  # an 'X a constaté … :' line hands X to its list
    last_line = -1
    last_quantity: Quantity | None = None
    last_claimed_on: str | None = None
    spoken_on: dict[tuple[str, ...], str] = {}  # claimants -> their first statement's date
    for seg in segments(text):
        if seg.kind is SegmentKind.intro:
            carried = attribute(text, seg.start, seg.end, aliases, mentions, narrator, speaker)
            last_line = seg.line
            continue
        if carried is not None and seg.line != last_line + 1:
            carried = None
        attribution = _in_context(
            attribute(text, seg.start, seg.end, aliases, mentions, narrator, speaker),
            previous,
            carried,
            seg.text,
            same_line=seg.line == last_line,
        )
        carried = None
        last_line = seg.line
        notes: list[str] = []
        seg_verbs = [v for v in verbs if seg.start <= v.start and v.end <= seg.end]
        question = seg.text.rstrip().endswith("?")
        hedge = read_hedge(seg.text, seg_verbs, attribution.cue, bool(attribution.via), question)
        stance = read_stance(seg.text, question)
        dates = resolve_dates(
            text, seg.start, seg.end, document.published, future=hedge.hedge is Hedge.expected
        )
        claimed_on = None
        if attribution.cue is not None:
            claimed_on, why = _claim_date(seg.text, dates, attribution, spoken_on, last_claimed_on)
            notes.extend(why)
            if claimed_on is not None:
                spoken_on.setdefault(tuple(attribution.claimants), claimed_on)
                last_claimed_on = claimed_on
        figures = []
        for f in parse_figures(text, seg.start, seg.end):
            quantity = classify(text, seg.start, seg.end, f, last_quantity)
            figures.append(
                Figure(f.start, f.end, f.text, f.low, f.high, f.qualifier, f.unit, quantity)
            )
            last_quantity = quantity or last_quantity
        if seg.kind is SegmentKind.heading:
            notes.append("a line without closing punctuation: a headline, subheading or caption")
        if attribution.inherited:
            notes.append("claimant carried over from the previous sentence or list heading")
        if not attribution.resolved:
            close = ", ".join(a.id for a in aliases.index.suggest(attribution.words or ""))
            notes.append(
                f"speaker {attribution.words!r} is no actor or alias in actors.yaml"
                + (f" (closest: {close})" if close else "")
            )
        out.append(
            Candidate(
                id=f"d{len(out) + 1:03d}",
                start=seg.start,
                end=seg.end,
                quote=seg.text,
                claimants=attribution.claimants,
                claimant_words=attribution.words,
                attribution_cue=attribution.cue,
                via=attribution.via,
                stance=stance,
                hedge=hedge.hedge,
                hedge_cue=hedge.cue,
                claimed_on=claimed_on,
                dates=dates,
                figures=figures,
                event_type=propose_type(seg.text, stance),
                confidence=_confidence(attribution, seg.kind is SegmentKind.heading, narrator),
                notes=notes,
            )
        )
        previous = attribution
        if attribution.cue is not None and attribution.claimants:
            speaker = attribution
    return out


def to_record(c: Candidate) -> dict[str, Any]:
    """A candidate as the draft file holds it: the seed claim's fields plus review aids."""
    return {
        "id": c.id,
        "accept": False,
        "event": None,
        "event_type": c.event_type.value,
        "confidence": c.confidence,
        "quote": c.quote,
        "offset": c.start,
        "claimant": c.claimant,
        "also_claimed_by": c.claimants[1:],
        "claimant_words": c.claimant_words,
        "attribution_cue": c.attribution_cue,
        "via": c.via,
        "stance": c.stance.value,
        "hedge": c.hedge.value,
        "hedge_cue": c.hedge_cue,
        "claimed_on": c.claimed_on,
        "dates": [
            {
                "text": d.text,
                "edtf": d.edtf,
                "earliest": d.earliest.isoformat(),
                "latest": d.latest.isoformat(),
            }
            for d in c.dates
        ],
        "figures": [
            {
                "quantity": f.quantity.value if f.quantity else None,
                "low": f.low,
                "high": f.high,
                "qualifier": f.qualifier.value,
                "unit": f.unit.value,
                "text": f.text,
            }
            for f in c.figures
        ],
        "notes": c.notes,
    }
