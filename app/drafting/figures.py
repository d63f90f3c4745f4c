"""Figures in French text with their qualifier, in the seeds' figure shape.

Numbers: "3.000", "3 000" (any space, no-break or thin), "12 000", "18", number words up to
twenty and "des milliers"-style vague amounts. Qualifiers: "plus de", "au moins",
"environ", "jusqu'à", "supérieur à", "entre X et Y", "de X à Y". Years, days of the month
and clock times are not figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.vocab import Qualifier, Quantity, Unit

_I = re.IGNORECASE
_SP = r"[ \u00a0\u202f\u2009]"
_NUMBER = rf"(?:\d{{1,3}}(?:(?:{_SP}|\.)\d{{3}})+|\d+)"
_WORDS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "quinze": 15, "vingt": 20,
    "cent": 100, "mille": 1000,
}  # fmt: skip
_WORD_NUMBER = r"(?:" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")"
_VAGUE = {
    "dizaines de milliers": 10000, "centaines de milliers": 100000, "milliers": 1000,
    "centaines": 100, "dizaines": 10,
}  # fmt: skip
_UNITS: dict[str, Unit] = {
    "soldat": Unit.soldiers, "troupe": Unit.soldiers, "militaire": Unit.soldiers,
    "homme": Unit.soldiers, "personne": Unit.soldiers, "combattant": Unit.soldiers,
    "instructeur": Unit.soldiers, "recrue": Unit.soldiers, "mercenaire": Unit.soldiers,
    "brigade": Unit.brigades, "victime": Unit.casualties, "mort": Unit.casualties,
    "blessé": Unit.casualties, "tué": Unit.casualties, "perte": Unit.casualties,
}  # fmt: skip
_UNIT = r"(?:" + "|".join(_UNITS) + r")s?\b"
_QUALIFIERS: list[tuple[str, Qualifier]] = [
    (r"plus de|supérieure? à|au-delà de|davantage que", Qualifier.more_than),
    (r"au moins|au minimum|pas moins de", Qualifier.at_least),
    (r"environ|près de|quelque|autour de|approximativement|à peu près|presque", Qualifier.about),
    (r"jusqu['’]à|au plus|au maximum|moins de|pas plus de", Qualifier.up_to),
]
_QUALIFIER = "|".join(f"(?P<q{i}>{p})" for i, (p, _) in enumerate(_QUALIFIERS))
_AMOUNT = rf"(?:{_NUMBER}|{_WORD_NUMBER})"
# A qualifier may be glued to a dateline before it ("ParisEnviron 3 000").
_FIGURE = re.compile(
    rf"(?:(?:\b|(?-i:(?<=[a-zà-ÿ])(?=[A-ZÀ-Ý])))(?:{_QUALIFIER}){_SP}+)?"
    rf"(?:(?:entre|de){_SP}+(?P<lo>{_NUMBER}){_SP}+(?:et|à){_SP}+(?P<hi>{_NUMBER})"
    rf"|(?P<lo2>{_NUMBER}){_SP}*(?:à|-|–){_SP}*(?P<hi2>{_NUMBER})(?={_SP}+{_UNIT})"
    rf"|(?P<n>\b{_AMOUNT})\b)",
    _I,
)
_VAGUE_FIGURE = re.compile(r"\b(?:des|plusieurs|quelques)\s+(?P<v>" + "|".join(_VAGUE) + r")\b", _I)
_MONTHS = (
    r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
    r"january|february|march|april|may|june|july|august|september|october|november|december"
)
_AFTER_UNIT = re.compile(
    rf"^{_SP}*(?:d['’]entre eux{_SP}+)?(?:de{_SP}+|d['’])?(?:\w+{_SP}+)??({_UNIT})", _I
)
_PART_OF = re.compile(rf"^{_SP}+(?:des|de|sur){_SP}+{_NUMBER}{_SP}+({_UNIT})", _I)
_NOT_FIGURE_AFTER = re.compile(
    rf"^{_SP}*(?:{_MONTHS}|ans?\b|années?\b|jours?\b|heures?\b|h\b|%|km|kilomètres|mètres|"
    r"dernières|derniers|premières|premiers|pour cent|fois|dollars|euros|\$|€|:)",
    _I,
)
_NOT_FIGURE_BEFORE = re.compile(
    rf"(?:\b(?:le|du|au|en|depuis|on|l['’]an|année|le{_SP}+\d+)|[(:/-]){_SP}*$", _I
)


@dataclass(frozen=True)
class Figure:
    start: int
    end: int
    text: str
    low: int | None
    high: int | None
    qualifier: Qualifier
    unit: Unit
    quantity: Quantity | None


def _value(token: str) -> int:
    word = token.lower()
    if word in _WORDS:
        return _WORDS[word]
    return int(re.sub(rf"{_SP}|\.", "", token))


def _unit_of(text: str, end: int) -> Unit | None:
    rest = text[end : end + 60]
    if m := _AFTER_UNIT.match(rest):
        return _UNITS[m.group(1).lower().rstrip("s")]
    if m := _PART_OF.match(rest):
        return _UNITS[m.group(1).lower().rstrip("s")]
    return None


def _is_year(token: str) -> bool:
    return bool(re.fullmatch(r"\d{4}", token)) and 1900 <= int(token) <= 2100


def parse_figures(text: str, start: int = 0, end: int | None = None) -> list[Figure]:
    """Figures in `text[start:end]`, with offsets into `text`."""
    stop = len(text) if end is None else end
    out: list[Figure] = []
    for m in _FIGURE.finditer(text, start, stop):
        qualifier: Qualifier | None = None
        for i, (_, q) in enumerate(_QUALIFIERS):
            if m.group(f"q{i}"):
                qualifier = q
        lo_text = m.group("lo") or m.group("lo2")
        if lo_text is not None:
            hi_text = m.group("hi") or m.group("hi2")
            lo_value, hi_value = _value(lo_text), _value(hi_text)
            if _is_year(lo_text) or _is_year(hi_text) or lo_value >= hi_value:
                continue
            range_unit = _unit_of(text, m.end()) or Unit.soldiers
            out.append(
                Figure(
                    m.start(),
                    m.end(),
                    m.group(0),
                    lo_value,
                    hi_value,
                    Qualifier.range,
                    range_unit,
                    None,
                )
            )
            continue
        token = m.group("n")
        value = _value(token)
        is_word = not token[0].isdigit()
        unit = _unit_of(text, m.end())
        if _NOT_FIGURE_AFTER.match(text, m.end()) or (
            m.start("n") == m.start()
            and _NOT_FIGURE_BEFORE.search(text[max(0, m.start() - 12) : m.start()])
        ):
            continue
        if _is_year(token) and qualifier is None:
            continue
        if unit is None and (is_word or (qualifier is None and value < 100)):
            continue  # "deux dirigeants", "18 heures": a bare small number needs its unit
        q = qualifier or Qualifier.exact
        low: int | None = value
        high: int | None = value
        if q in (Qualifier.more_than, Qualifier.at_least):
            high = None
        elif q is Qualifier.up_to:
            low = None
        out.append(
            Figure(m.start(), m.end(), m.group(0), low, high, q, unit or Unit.soldiers, None)
        )
    for m in _VAGUE_FIGURE.finditer(text, start, stop):
        value = _VAGUE[m.group("v").lower()]
        vague_unit = _unit_of(text, m.end()) or Unit.soldiers
        out.append(
            Figure(m.start(), m.end(), m.group(0), value, None, Qualifier.vague, vague_unit, None)
        )
    out.sort(key=lambda f: f.start)
    return out


_ADDITIONAL = r"supplément|supplémentaires|de plus|additionnel|renforts"
_QUANTITY_CUES: list[tuple[str, Quantity]] = [
    (r"par jour|chaque jour|quotidienn", Quantity.russian_casualties_per_day),
    (
        r"(?:russie|russes?|kremlin|moscou)\b.{0,40}\b(?:a perdu|perd|pertes)",
        Quantity.russian_losses_total,
    ),
    (r"tués|blessés|morts|victimes|pertes", Quantity.troops_killed_or_wounded),
    (r"quitté|déserté|désert|fui|abandonné", Quantity.troops_deserted),
    (r"formés|formées|formation|entraîn", Quantity.troops_trained),
    (_ADDITIONAL, Quantity.troops_additional),
    (
        r"promis|promet|fournir|décidé d['’]envoyer|prévoit d['’]envoyer|s['’]est engagé",
        Quantity.troops_pledged,
    ),
    (r"se trouv|présents?|stationn|sur place|à l['’]intérieur", Quantity.troops_present),
    (r"envoy|déploy|dépêch|arriv", Quantity.troops_sent),
]


_WINDOW = 40  # characters either side of a figure whose words describe it first
_PART_OF_GROUP = re.compile(rf"\d{_SP}+(?:des|de|sur){_SP}+$", _I)
_BACK_REFERENCE = re.compile(r"\bce (?:nombre|chiffre|bilan|total)\b", _I)


def classify(
    text: str, start: int, end: int, figure: Figure, previous: Quantity | None = None
) -> Quantity | None:
    """A proposed quantity for `figure` in the segment text[start:end]: from the nearest
    cue within a few words, else from the segment's words; "ce nombre" takes `previous`,
    the quantity of the figure before."""
    segment = text[start:end]
    if figure.unit is Unit.brigades:
        return Quantity.brigade_count
    if re.search(r"\bchacun(?:e)?\b|\bpar brigade\b", segment, _I) and re.search(
        r"brigade", segment, _I
    ):
        return Quantity.brigade_size
    if _PART_OF_GROUP.search(text[max(start, figure.start - 12) : figure.start]):
        return Quantity.troops_in_group  # "18 des 40 soldats": the 40
    # Whole-sentence modifiers first: "… chaque jour", "la Russie a perdu …".
    for pattern, quantity in _QUANTITY_CUES[:2]:
        if re.search(pattern, segment, _I):
            return quantity
    lo, hi = max(start, figure.start - _WINDOW), min(end, figure.end + _WINDOW)
    if re.search(_ADDITIONAL, text[lo:hi], _I):
        return Quantity.troops_additional  # "envoyer 5 000 soldats de plus": more, sent
    nearest: tuple[int, int, Quantity] | None = None
    for rank, (pattern, quantity) in enumerate(_QUANTITY_CUES[2:]):
        for m in re.finditer(pattern, text[lo:hi], _I):
            a, b = lo + m.start(), lo + m.end()
            gap = max(figure.start - b, a - figure.end, 0)
            if nearest is None or (gap, rank) < nearest[:2]:
                nearest = (gap, rank, quantity)
    if nearest is not None:
        return nearest[2]
    if _BACK_REFERENCE.search(segment) and previous is not None:
        return previous
    for pattern, quantity in _QUANTITY_CUES[2:]:
        if re.search(pattern, segment, _I):
            return quantity
    return None
