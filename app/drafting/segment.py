"""Cut a document into candidate segments (sentences, clauses) and drop page furniture.

Offsets are Python str indices into the text decoded from the file's UTF-8 bytes, as the
loader reads it, so a segment's quote is always `text[start:end]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class SegmentKind(StrEnum):
    sentence = "sentence"
    heading = "heading"  # a line without closing punctuation: headline, subheading, caption
    intro = "intro"  # ends in ':' and announces the next line's list


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    text: str
    kind: SegmentKind
    line: int  # index of the non-blank line it is on
    line_start: bool  # the first segment of its line


# Whole lines that are page furniture, never content.
_FURNITURE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(?:source|sources|crédit|credit|photo)\s*:\s*\S+$",
        r"^https?://\S+$",
        r"^(?:comment(?:aire)?s?|réactions?)\s*\(\d+\)$",
        r"^(?:laisser|ajouter|écrire|poster) un commentaire$",
        r"^\d+\s*[×x+*-]\s*\d+\s*=\s*\d*$",  # a comment form's arithmetic captcha
        r"^(?:partager|partagez)(?: cet article| sur \w+)?$",
        r"^(?:tweeter|facebook|twitter|linkedin|whatsapp|e-?mail|imprimer|copier le lien)$",
        r"^(?:publicité|advertisement|annonce|sponsorisé)$",
        r"^(?:à lire aussi|lire aussi|voir aussi|sur le même sujet|en savoir plus|"
        r"articles? (?:liés|similaires)|dans la même rubrique)\b.*$",
        r"^(?:par|by)\s+[A-ZÀ-Ý][\w'’-]+(?:\s+[A-ZÀ-Ý][\w'’-]+){0,3}$",
        r"^(?:mis à jour|publié) le\b.*$",
    )
]
# An invitation to read another piece ("Lisez le rapport de …") is a related-article link.
# A "Lire aussi" line alone heads the related article's title on the next line.
_READ_MORE_HEADING = re.compile(
    r"^(?:à lire aussi|lire aussi|voir aussi|sur le même sujet|à lire également)\s*:?$", re.I
)
_READ_MORE = re.compile(
    r"\b(?:lisez|lire|découvrez|regardez)\b.*\b(?:rapport|article|dossier|reportage)\b", re.I
)
# A listing's time stamp ("Aujourd'hui · 02:04", "22 novembre 2024 · 10:28"): the line after
# it is a related article's title.
_TIMESTAMP = re.compile(r"^[^.!?]{0,40}\s[·|•-]\s\d{1,2}[:h]\d{2}$|^\d{1,2}[:h]\d{2}$")
# A byline: two to four capitalised words, nothing else.
_BYLINE = re.compile(
    r"^[A-ZÀ-Ý][a-zà-ÿ'’-]+(?:\s+(?:de |du |d'|van |von )?[A-ZÀ-Ý][a-zà-ÿ'’-]+){1,3}$"
)

_END = ".?!…"
_CLOSERS = '»"”’)'
# A capital after '. ' starts a sentence unless the period closes an abbreviation.
_ABBREVIATION = re.compile(r"(?:\b[A-Z]|\bM|\bMM|\bMme|\bDr|\bSt|\bav|\bapr|\bJ\.-C)\.$")
# Clause boundaries that join two separately attributed statements.
# A fronted subordinate clause, up to its comma ("Lorsque les troupes …, certains …").
_FRONTED = re.compile(
    r"(?:bien qu['’e]|lorsqu['’e]|quand |en plus d['’e]|après qu['’e]|avant qu['’e]|"
    r"alors qu['’e]|puisqu['’e])[^,;:«»]{10,200}?,",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"(?:,|;)\s+(?=tandis que\b|mais (?!aussi\b|encore\b|également\b|pas\b))|;\s+")


def is_furniture(line: str, previous: str | None) -> bool:
    stripped = line.strip()
    if any(p.match(stripped) for p in _FURNITURE):
        return True
    if _READ_MORE.search(stripped) and len(stripped) < 200:
        return True
    if _TIMESTAMP.match(stripped):
        return True
    if previous is not None and (
        _TIMESTAMP.match(previous.strip()) or _READ_MORE_HEADING.match(previous.strip())
    ):
        return True  # the title of a related article
    return bool(_BYLINE.match(stripped))


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank line, whitespace trimmed."""
    out: list[tuple[int, int]] = []
    pos = 0
    for raw in text.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            out.append((start, end))
    return out


def _sentence_ends(text: str, start: int, end: int) -> list[int]:
    """Offsets just past each sentence's last character within text[start:end]."""
    ends: list[int] = []
    quoted = False
    i = start
    while i < end:
        ch = text[i]
        if ch == "«":
            # A '«' right before ',' or '.' closes a quotation (translations mistype '»').
            after = text[i + 1 : i + 3].lstrip()[:1]
            quoted = not (quoted and after in (",", "."))
        elif ch == "»":
            quoted = False
        elif ch in _END and not quoted:
            j = i + 1
            while j < end and text[j] in _END + _CLOSERS:
                j += 1
            k = j
            while k < end and text[k] == " ":
                k += 1
            # Split before a capital or an opening quote, never before a digit or a lowercase
            # word (translations leave stray full stops inside sentences).
            starts_sentence = k > j and k < end and (text[k].isupper() or text[k] in '«"“')
            abbreviation = ch == "." and _ABBREVIATION.search(text[max(start, i - 4) : i + 1])
            if starts_sentence and not abbreviation:
                ends.append(j)
            i = j
            continue
        i += 1
    if not ends or ends[-1] < end:
        ends.append(end)
    return ends


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    fronted = _FRONTED.match(text, start, end)
    if fronted is not None:
        # "Bien qu'ils soient …, les experts disent …": the concession is the outlet's, the
        # main clause the speaker's.
        out.append((start, fronted.end() - 1))
        pos = fronted.end() + 1
    for match in _CLAUSE.finditer(text, start, end):
        out.append((pos, match.start()))
        pos = match.end()
    out.append((pos, end))
    return [(a, b) for a, b in out if b > a]


def segments(text: str) -> list[Segment]:
    """The document's candidate segments, page furniture and rhetorical questions left out."""
    out: list[Segment] = []
    previous: str | None = None
    for number, (start, end) in enumerate(_lines(text)):
        line = text[start:end]
        if is_furniture(line, previous):
            previous = line
            continue
        previous = line
        pos = start
        first_in_line = True
        for stop in _sentence_ends(text, start, end):
            a, b = pos, stop
            pos = stop
            while a < b and text[a].isspace():
                a += 1
            if a >= b:
                continue
            sentence = text[a:b]
            if sentence.endswith("?") and out:
                continue  # a question after the headline is rhetoric, not a claim
            if sentence.endswith(":"):
                kind = SegmentKind.intro
            elif sentence[-1] in _END + _CLOSERS:
                kind = SegmentKind.sentence
            else:
                kind = SegmentKind.heading
            for c_start, c_end in _clauses(text, a, b):
                out.append(
                    Segment(
                        c_start,
                        c_end,
                        text[c_start:c_end],
                        kind,
                        number,
                        first_in_line,
                    )
                )
                first_in_line = False
    return out
