"""A proposed event type (app.vocab.EventType) from a segment's words; the curator decides."""

from __future__ import annotations

import re

from app.vocab import EventType, Stance

_I = re.IGNORECASE
# First match wins: the more specific kinds come first.
_RULES: list[tuple[re.Pattern[str], EventType]] = [
    (re.compile(p, _I), t)
    for p, t in (
        (r"\b(?:tués?|blessés?|morts?|victimes?|pertes|perdu)\b", EventType.casualties),
        (r"\b(?:déserté|désert\w*|ont quitté|fui)\b", EventType.desertion),
        (r"\b(?:formés?|formées?|formation|entraîn\w*|instructeurs?|enseigné)\b", EventType.training),
        (r"\b(?:sommets?|rencontre|se sont rencontrés|toast)\b", EventType.summit),
        (r"\b(?:accord|traité|pacte|ratifié)\b", EventType.agreement),
        (r"\b(?:armes?|missiles?|munitions?|obus|livraisons?|équipements?)\b", EventType.arms_transfer),
        (r"\b(?:combat\w*|se battai\w*|affrontements?|contre-attaques?|offensive|front)\b", EventType.combat),
        (r"\b(?:condamn\w*|convoqué|sanction\w*|inquiétudes?|protest\w*|exhort\w*|demandé à ses alliés)\b", EventType.diplomatic_reaction),
        (r"\b(?:envoy\w*|déploy\w*|dépêch\w*|troupes|soldats|mobilisation)\b", EventType.deployment),
        (r"\b(?:renseignement\w*|NIS|services secrets)\b", EventType.intelligence_assessment),
        (r"\b(?:experts?|analystes?|stratégie|risques?|pourrait|permettrait)\b", EventType.analysis),
    )
]  # fmt: skip


def propose_type(text: str, stance: Stance) -> EventType:
    if stance is Stance.denies:
        return EventType.denial
    for pattern, event_type in _RULES:
        if pattern.search(text):
            return event_type
    return EventType.statement
