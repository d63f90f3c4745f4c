"""French date expressions resolved against a document's publication date, as EDTF.

"mercredi", "ce mercredi", "mardi soir" are the latest such weekday on or before
publication; "le 18 octobre" the latest 18 October on or before it; "la semaine dernière"
the Monday–Sunday week before; "l'année dernière" the previous year; "cet automne" the
season of publication; "en novembre" the latest November on or before it (the next one when
the sentence speaks of the future). When the publication date is itself an interval, an
expression resolves against both ends and becomes an interval if they disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from app.edtf import EdtfDate, parse_edtf
from app.vocab import Precision

_I = re.IGNORECASE
_MONTHS = {
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}  # fmt: skip
_WEEKDAYS = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5,
    "dimanche": 6,
}  # fmt: skip
_SEASONS = {"printemps": 21, "été": 22, "automne": 23, "hiver": 24}
_MONTH = "|".join(_MONTHS)
_DAY_MONTH = re.compile(
    rf"\b(?:le|du|au|ce|dès le|depuis le)?\s*(?P<day>\d{{1,2}}|1er)\s+(?P<month>{_MONTH})"
    rf"(?:\s+(?P<year>\d{{4}}))?\b",
    _I,
)
_WEEKDAY = re.compile(
    rf"\b(?P<this>ce\s+)?(?P<wd>{'|'.join(_WEEKDAYS)})(?!\s+\d)(?:\s+(?:soir|matin|après-midi))?\b",
    _I,
)
_RELATIVE = re.compile(
    r"\b(?P<rel>la semaine dernière|la semaine passée|cette semaine|l['’]année dernière|"
    r"l['’]an dernier|l['’]année passée|cette année|le mois dernier|ce mois-ci|hier|"
    r"aujourd['’]hui|avant-hier)\b",
    _I,
)
_SEASON = re.compile(
    r"\b(?:cet|cette|ce|au|à l['’]|en)\s*(?P<season>printemps|été|automne|hiver)\b", _I
)
_MONTH_ONLY = re.compile(
    rf"\b(?P<pre>en|début|fin|mi-|courant|depuis)\s*(?P<month>{_MONTH})(?:\s+(?P<year>\d{{4}}))?\b",
    _I,
)
_YEAR = re.compile(r"\ben\s+(?P<year>(?:19|20)\d{2})\b", _I)
# Dates of the statement itself, rather than of what it reports.
STATEMENT_PRECISIONS = frozenset({Precision.day, Precision.range})


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    edtf: str
    earliest: date
    latest: date


def _latest_on_or_before(anchor: date, month: int, day: int) -> date | None:
    for year in (anchor.year, anchor.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= anchor:
            return candidate
    return None


def _span(a: date, b: date) -> str:
    return a.isoformat() if a == b else f"{a.isoformat()}/{b.isoformat()}"


def _resolve(
    kind: str, m: re.Match[str], anchor: date, future: bool
) -> tuple[date, date] | str | None:
    """A (first day, last day) or an EDTF string, for one publication day `anchor`."""
    if kind == "day":
        month = _MONTHS[m.group("month").lower()]
        day = 1 if m.group("day") == "1er" else int(m.group("day"))
        if m.group("year"):
            try:
                d = date(int(m.group("year")), month, day)
            except ValueError:
                return None
            return d, d
        found = _latest_on_or_before(anchor, month, day)
        return (found, found) if found else None
    if kind == "weekday":
        back = (anchor.weekday() - _WEEKDAYS[m.group("wd").lower()]) % 7
        d = anchor - timedelta(days=back)
        return d, d
    if kind == "relative":
        rel = m.group("rel").lower().replace("’", "'")
        monday = anchor - timedelta(days=anchor.weekday())
        if rel in ("la semaine dernière", "la semaine passée"):
            return monday - timedelta(days=7), monday - timedelta(days=1)
        if rel == "cette semaine":
            return monday, monday + timedelta(days=6)
        if rel in ("l'année dernière", "l'an dernier", "l'année passée"):
            return f"{anchor.year - 1}"
        if rel == "cette année":
            return f"{anchor.year}"
        if rel == "le mois dernier":
            first = anchor.replace(day=1) - timedelta(days=1)
            return f"{first.year}-{first.month:02d}"
        if rel == "ce mois-ci":
            return f"{anchor.year}-{anchor.month:02d}"
        offsets = {"hier": 1, "avant-hier": 2, "aujourd'hui": 0}
        d = anchor - timedelta(days=offsets[rel])
        return d, d
    if kind == "season":
        code = _SEASONS[m.group("season").lower()]
        year = anchor.year - 1 if code == 24 and anchor.month <= 2 else anchor.year
        return f"{year}-{code}"
    if kind == "month":
        month = _MONTHS[m.group("month").lower()]
        if m.group("year"):
            return f"{m.group('year')}-{month:02d}"
        year = anchor.year if month <= anchor.month else anchor.year - 1
        if future and month < anchor.month:
            year = anchor.year + 1
        elif future and month >= anchor.month:
            year = anchor.year
        return f"{year}-{month:02d}"
    if kind == "year":
        return m.group("year")
    return None


def _edtf_of(value: tuple[date, date] | str) -> EdtfDate:
    return parse_edtf(_span(*value) if isinstance(value, tuple) else value)


def resolve_dates(
    text: str, start: int, end: int, published: EdtfDate, future: bool = False
) -> list[DateMention]:
    """Date expressions in `text[start:end]`, resolved against the publication interval."""
    found: list[tuple[int, int, str, re.Match[str]]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in (
        ("day", _DAY_MONTH),
        ("relative", _RELATIVE),
        ("weekday", _WEEKDAY),
        ("season", _SEASON),
        ("month", _MONTH_ONLY),
        ("year", _YEAR),
    ):
        for m in pattern.finditer(text, start, end):
            a, b = m.span()
            if any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
            found.append((a, b, kind, m))
    out: list[DateMention] = []
    for a, b, kind, m in sorted(found, key=lambda item: item[0]):
        ends = [
            _resolve(kind, m, anchor, future) for anchor in (published.earliest, published.latest)
        ]
        if ends[0] is None or ends[1] is None:
            continue
        first, last = _edtf_of(ends[0]), _edtf_of(ends[1])
        if first.text == last.text:
            resolved = first
        else:
            resolved = parse_edtf(
                _span(min(first.earliest, last.earliest), max(first.latest, last.latest))
            )
        out.append(
            DateMention(a, b, text[a:b].strip(), resolved.text, resolved.earliest, resolved.latest)
        )
    return out
