"""Measure the drafts against the curated claims: `claimline draft-eval`.

Each document is drafted first, from its text and documents.yaml only; its curated claims
are read afterwards, to score. A curated claim is found when one candidate covers at least
half of its quote's characters (its match is the candidate covering most); a candidate is
right when it covers half of some curated quote. For found claims the evaluation counts
the claimant (the curated claimant is among the candidate's claimants), the hedge, each
curated figure (a candidate figure with the same low, high and qualifier), the claim date
and the event type (the curated event's). Candidates are sentences or clauses, coarser than
many curated quotes, so the share of candidate characters inside curated quotes is given too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.drafting.actors import ActorAliases
from app.drafting.candidates import Candidate, SourceDocument, draft


@dataclass
class Score:
    curated: int = 0
    found: int = 0
    candidates: int = 0
    right_candidates: int = 0
    claimant: int = 0
    hedge: int = 0
    figures: int = 0
    figures_exact: int = 0
    figures_quantity: int = 0
    dated: int = 0
    dated_right: int = 0
    dates_right: int = 0
    event_type: int = 0
    chars: int = 0  # candidate characters
    chars_curated: int = 0  # of them, inside some curated quote
    misses: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name, value in vars(other).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def _curated(seeds_dir: Path, document_id: str, text: str) -> list[dict[str, Any]]:
    events: dict[str, str] = {}
    for path in sorted((seeds_dir / "events").glob("*.yaml")):
        for event in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            events[str(event["id"])] = str(event["type"])
    out = []
    for path in sorted((seeds_dir / "claims").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("document") != document_id:
            continue
        for claim in data.get("claims") or []:
            quote = str(claim["quote"])
            offset = claim.get("offset")
            start = int(offset) if offset is not None else text.find(quote)
            claim = dict(claim, _start=start, _end=start + len(quote))
            claim["_type"] = events.get(str(claim.get("event")))
            out.append(claim)
    return out


def score_document(candidates: list[Candidate], curated: list[dict[str, Any]]) -> Score:
    s = Score(curated=len(curated), candidates=len(candidates))
    right: set[str] = set()
    for claim in curated:
        a, b = claim["_start"], claim["_end"]
        best = max(candidates, key=lambda c: _overlap(a, b, c.start, c.end), default=None)
        for c in candidates:
            if 2 * _overlap(a, b, c.start, c.end) >= b - a:
                right.add(c.id)
        if best is None or 2 * _overlap(a, b, best.start, best.end) < b - a:
            s.misses.append(f"{claim['id']}: {claim['quote'][:70]}")
            continue
        s.found += 1
        s.claimant += claim["claimant"] in best.claimants
        s.hedge += claim["hedge"] == best.hedge.value
        s.event_type += claim["_type"] == best.event_type.value
        curated_on = claim.get("claimed_on")
        s.dates_right += (str(curated_on) if curated_on else None) == best.claimed_on
        if curated_on:
            s.dated += 1
            s.dated_right += str(curated_on) == best.claimed_on
        for fig in claim.get("figures") or []:
            s.figures += 1
            same = [
                f
                for f in best.figures
                if (f.low, f.high, f.qualifier.value) == (fig["low"], fig["high"], fig["qualifier"])
            ]
            s.figures_exact += bool(same)
            s.figures_quantity += any(
                f.quantity is not None and f.quantity.value == fig["quantity"] for f in same
            )
    s.right_candidates = len(right)
    curated_chars = {i for claim in curated for i in range(claim["_start"], claim["_end"])}
    s.chars = sum(c.end - c.start for c in candidates)
    s.chars_curated = sum(i in curated_chars for c in candidates for i in range(c.start, c.end))
    return s


def evaluate(seeds_dir: Path) -> dict[str, Score]:
    aliases = ActorAliases.from_seeds(seeds_dir)
    records = yaml.safe_load((seeds_dir / "documents.yaml").read_text(encoding="utf-8"))
    scores: dict[str, Score] = {}
    for record in records:
        document = SourceDocument.from_seeds(seeds_dir, str(record["id"]))
        candidates = draft(document, aliases)  # before its claims are read
        curated = _curated(seeds_dir, document.id, document.text)
        if curated:  # a document not curated yet has nothing to score against
            scores[document.id] = score_document(candidates, curated)
    total = Score()
    for s in scores.values():
        total.add(s)
    scores["all"] = total
    return scores


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.0f} % ({n}/{d})" if d else "–"


ROWS: list[tuple[str, str]] = [
    ("recall: curated claims found", "recall"),
    ("precision: candidates that match a curated claim", "precision"),
    ("candidate characters inside a curated quote", "chars"),
    ("claimant right (found claims)", "claimant"),
    ("hedge right (found claims)", "hedge"),
    ("figures exact: low, high, qualifier (curated figures found)", "figures"),
    ("figure quantity right (curated figures found)", "quantity"),
    ("claim date right, where the curators dated the claim", "dated"),
    ("claim date right, null included (found claims)", "dates"),
    ("event type right (found claims)", "event_type"),
]


def metric(s: Score, key: str) -> tuple[int, int]:
    return {
        "recall": (s.found, s.curated),
        "precision": (s.right_candidates, s.candidates),
        "chars": (s.chars_curated, s.chars),
        "claimant": (s.claimant, s.found),
        "hedge": (s.hedge, s.found),
        "figures": (s.figures_exact, s.figures),
        "quantity": (s.figures_quantity, s.figures),
        "dated": (s.dated_right, s.dated),
        "dates": (s.dates_right, s.found),
        "event_type": (s.event_type, s.found),
    }[key]


def markdown_table(scores: dict[str, Score]) -> str:
    names = list(scores)
    header = "| measure | " + " | ".join(n if n == "all" else n[:3] for n in names) + " |"
    lines = [header, "|---|" + "---|" * len(names)]
    for label, key in ROWS:
        cells = [_pct(*metric(scores[n], key)) for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="claimline draft-eval", description=__doc__)
    parser.add_argument(
        "seeds_dir", nargs="?", default="seeds", help="seed folder (default: seeds)"
    )
    parser.add_argument("--misses", action="store_true", help="list the curated claims not found")
    args = parser.parse_args(argv)
    scores = evaluate(Path(args.seeds_dir))
    print(markdown_table(scores))
    if args.misses:
        for name, s in scores.items():
            for miss in s.misses if name != "all" else []:
                print(f"{name} missed {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
