"""A proposed event type (app.vocab.EventType) from a segment's words; the curator decides."""

from __future__ import annotations

import re

from app.vocab import EventType, Stance

_I = re.IGNORECASE
# First match wins: the more specific kinds come first.
_RULES: list[tuple[re.Pattern[str], EventType]] = [
    (re.compile(rf"\b(?:{words})\b", _I), t)
    for words, t in (
        (r"tués?|blessés?|morts?|victimes?|pertes|perdu", EventType.casualties),
        (r"déserté|désert\w*|ont quitté|fui", EventType.desertion),
        (r"formés?|formées?|formation|entraîn\w*|instructeurs?|enseigné", EventType.training),
        (r"sommets?|rencontre|se sont rencontrés|toast", EventType.summit),
        (r"accord|traité|pacte|ratifié", EventType.agreement),
        (r"armes?|missiles?|munitions?|obus|livraisons?|équipements?", EventType.arms_transfer),
        (r"combat\w*|se battai\w*|affrontements?|contre-attaques?|offensive|front",
         EventType.combat),
        (r"condamn\w*|convoqué|sanction\w*|inquiétudes?|protest\w*|exhort\w*",
         EventType.diplomatic_reaction),
        (r"envoy\w*|déploy\w*|dépêch\w*|troupes|soldats|mobilisation", EventType.deployment),
        (r"renseignement\w*|services secrets", EventType.intelligence_assessment),
        (r"experts?|analystes?|stratégie|risques?|pourrait|permettrait", EventType.analysis),
    )
]  # fmt: skip


def propose_type(text: str, stance: Stance) -> EventType:
    if stance is Stance.denies:
        return EventType.denial
    for pattern, event_type in _RULES:
        if pattern.search(text):
            return event_type
    return EventType.statement
