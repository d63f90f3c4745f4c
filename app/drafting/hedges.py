"""How firmly a segment states its claim, in the seeds' hedge vocabulary (app.vocab.Hedge).

The weakest cue wins: "Selon X, ils pourraient …" is speculative, not reported. The
conditional mood and the future tense come from spaCy's morphology, with the
conditional's endings as a fallback where the small model misses a verb.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.drafting.nlp import VerbForm
from app.vocab import Hedge, Stance

_I = re.IGNORECASE
# "puisse" is speculative after a fear or a possibility, not after "afin que".
_SPECULATIVE = re.compile(
    r"\b(?P<w>pourrai(?:en)?t|possiblement|peut-être|éventuellement|"
    r"permettrai(?:en)?t|entraînerai(?:en)?t|si l['’]information se confirme|"
    r"il est possible que|risque de)\b|"
    r"\b(?:crai\w*|peur|possible|risque)\b[^.;]{0,40}?\b(?P<s>puisse(?:nt)?)\b",
    _I,
)
# "auraient été tués", "serait déjà formé": the conditional of reported, unverified fact.
_ALLEGED = re.compile(
    r"\b(?:aurai(?:en)?t|serai(?:en)?t)\s+(?:\w+\s+){0,2}?\w+(?:é|ée|és|ées|i|is|ie|ies|u|us|ue|ues|t|ts)\b|"
    # "la prétendue contribution" doubts; "comme Kiev l'a prétendu" only reports.
    r"\b(?:la|le|les|un|une|des|du|sa|son|ses|leur|leurs|cette|ce|ces)\s+"
    r"(?:prétendu|présumé|supposé)(?:e|s|es)?\b",
    _I,
)
_EXPECTED = re.compile(
    r"\b(?:devrai(?:en)?t|probablement|vraisemblablement|sans doute|attendu(?:e|s|es)?|"
    r"prévu(?:e|s|es)? de)\b",
    _I,
)
_CONFIRMED = re.compile(r"\b(?:confirmé|confirme|confirment|reconnu|reconnaît|reconnait)\b", _I)
_NEGATED_CONFIRM = re.compile(r"\bn['’](?:\w+\s+){0,2}pas\s+(?:\w+\s+)?confirm", _I)
_REPORTED = re.compile(
    r"\b(?:selon|d['’]après|a rapporté|ont rapporté|rapporte|rapportent|"
    r"considérés? comme|considérées? comme|citant)\b",
    _I,
)
_ESTIMATED = re.compile(
    r"\b(?:estim\w*|croi(?:t|ent)|croient|pens(?:e|ent)|de l['’]avis d(?:e|u|es)|"
    r"interprét\w*|évalu\w*|jug(?:e|ent))\b",
    _I,
)
# The conditional's endings where spaCy's small model misses one; imperfects of -rer verbs
# ("coopérait", "déclarait") and nouns ("retrait") do not end so.
# "selon les estimations américaines": an estimate, relayed.
_ESTIMATE_SOURCE = re.compile(
    r"\b(?:selon|d['’]après)\s+(?:les|des|une|l['’]|leurs?|ses)\s*(?:estimations?|évaluations?)\b",
    _I,
)
_CONDITIONAL_ENDING = re.compile(
    r"\b\w*(?:erai|irai|vrai|rrai|ttrai|îtrai|drai|aurai|serai|ferai)(?:en)?t\b", _I
)
_DENIES = re.compile(
    r"\b(?:(?:a|ont|avait|avaient)\s+(?:[\w'’]+\s+)?(?:nié|démenti)|nie|nient|dément|démentent|rejette|"
    r"n['’](?:\w+\s+){0,2}pas\s+(?:\w+\s+)?confirmé)\b",
    _I,
)
_NEITHER = re.compile(r"\bni ne (?:nie|confirme|dément)\b|\bne confirme ni\b", _I)


@dataclass(frozen=True)
class HedgeReading:
    hedge: Hedge
    cue: str | None


def _cue_hedge(cue: str) -> Hedge | None:
    """The hedge an attribution cue itself carries ("selon" relays, "estiment" assesses)."""
    for pattern, hedge in (
        (_REPORTED, Hedge.reported),
        (_ESTIMATED, Hedge.estimated),
        (_CONFIRMED, Hedge.confirmed),
    ):
        if pattern.search(cue):
            return hedge
    return None


def read_hedge(
    text: str,
    verbs: list[VerbForm],
    cue: str | None = None,
    relayed: bool = False,
    question: bool = False,
) -> HedgeReading:
    """`verbs`: the segment's conditional and future verb forms; `cue`: the words that
    attributed it to a speaker; `relayed`: an outlet relays it."""
    if m := _SPECULATIVE.search(text):
        return HedgeReading(Hedge.speculative, m.group(m.lastgroup or 0))
    if question:
        return HedgeReading(Hedge.speculative, "?")
    if m := _ALLEGED.search(text):
        return HedgeReading(Hedge.alleged, m.group(0))
    if m := _EXPECTED.search(text):
        return HedgeReading(Hedge.expected, m.group(0))
    future = [v for v in verbs if v.future]
    if future:
        return HedgeReading(Hedge.expected, future[0].text)
    # Any other conditional distances the narration from what it tells ("où ils
    # recevraient une formation"); in a speaker's words it is their hypothesis ("ce qui
    # signifierait"), and the attribution decides.
    conditional = [v.text for v in verbs if v.conditional]
    ending = _CONDITIONAL_ENDING.search(text)
    if cue is None and (conditional or ending):
        return HedgeReading(
            Hedge.alleged, conditional[0] if conditional else ending and ending.group(0)
        )
    if relayed:
        return HedgeReading(Hedge.reported, cue)
    negated = _NEGATED_CONFIRM.search(text) or _NEITHER.search(text)
    hedge = _cue_hedge(cue) if cue is not None else None
    if hedge is Hedge.reported and (m := _ESTIMATE_SOURCE.search(text)):
        return HedgeReading(Hedge.estimated, m.group(0))
    if hedge is not None and not (hedge is Hedge.confirmed and negated):
        return HedgeReading(hedge, cue)
    if (m := _CONFIRMED.search(text)) and not negated:
        return HedgeReading(Hedge.confirmed, m.group(0))
    if cue is None and (m := _REPORTED.search(text)):
        return HedgeReading(Hedge.reported, m.group(0))
    if cue is None and (m := _ESTIMATED.search(text)):
        return HedgeReading(Hedge.estimated, m.group(0))
    return HedgeReading(Hedge.asserted, cue)


def read_stance(text: str, question: bool) -> Stance:
    if question or _NEITHER.search(text):
        return Stance.neither
    if _DENIES.search(text):
        return Stance.denies
    return Stance.asserts
