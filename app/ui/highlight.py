"""An article's text cut where claims' quotes start and end, so each piece knows which
claims cover it: the template marks covered pieces and leaves the rest plain. Quotes may
overlap (a standfirst repeated by a later claim), so a piece can belong to several."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Piece:
    text: str
    claims: tuple[str, ...]  # ids of the claims whose quote covers this piece, by start
    starts: tuple[str, ...]  # ids of the claims whose quote begins here


def segments(text: str, claims: Sequence[dict[str, Any]]) -> list[Piece]:
    """`claims`: dicts with id, quote_start and quote_end (code point offsets into `text`)."""
    cuts = sorted({0, len(text), *(c["quote_start"] for c in claims),
                   *(c["quote_end"] for c in claims)})  # fmt: skip
    pieces = []
    for start, end in itertools.pairwise(cuts):
        covering = tuple(
            c["id"] for c in claims if c["quote_start"] <= start and end <= c["quote_end"]
        )
        starting = tuple(c["id"] for c in claims if c["quote_start"] == start)
        pieces.append(Piece(text[start:end], covering, starting))
    return pieces
