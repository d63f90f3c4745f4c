"""Move reviewed candidates from a draft file into the seed claims (`claimline accept`).

The curator sets `accept: true` and an `event` id on each candidate to keep, corrects what
needs correcting (quote and offset, claimant, figures' quantity, …), and runs accept. It
checks everything first and writes nothing if any candidate is not ready; then it appends
the claims to `claims/<document>.yaml` and removes them from the draft.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

# The claim fields a candidate carries into the seeds, in the seed files' order.
_CLAIM_FIELDS = ("claimant", "via", "quote", "offset", "stance", "hedge", "claimed_on")


class DraftError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _dump(data: object, path: Path) -> None:
    path.write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88), encoding="utf-8"
    )


def _claim_id(document_id: str, candidate: dict[str, Any], claimant: str, joint: bool) -> str:
    given = candidate.get("claim_id")
    base = str(given) if given else f"c{document_id}-{candidate['id']}"
    slug = re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")
    return f"{slug}-{claimant}" if joint else slug


def _claims_of(
    document_id: str, text: str, candidate: dict[str, Any], problems: list[str]
) -> list[dict[str, Any]]:
    label = f"candidate {candidate.get('id')}"
    quote, offset = str(candidate.get("quote") or ""), candidate.get("offset")
    if not isinstance(offset, int) or text[offset : offset + len(quote)] != quote:
        count = text.count(quote) if quote else 0
        if count == 1:
            offset = text.index(quote)
        else:
            where = "not in the document" if count == 0 else f"found {count} times"
            problems.append(f"{label}: the quote is not at offset {offset} and is {where}")
            return []
    if not candidate.get("event"):
        problems.append(f"{label}: set `event` to the id of the event it supports")
    if not candidate.get("claimant"):
        problems.append(f"{label}: set `claimant` to an actor id")
    figures = []
    for i, fig in enumerate(candidate.get("figures") or []):
        if not fig.get("quantity"):
            problems.append(f"{label}: figures.{i} needs a `quantity` (or remove the figure)")
        figures.append(
            {k: fig.get(k) for k in ("quantity", "low", "high", "qualifier", "unit", "text")}
        )
    claimants = [candidate.get("claimant"), *(candidate.get("also_claimed_by") or [])]
    out = []
    for claimant in claimants:
        claim: dict[str, Any] = {
            "id": _claim_id(document_id, candidate, str(claimant), len(claimants) > 1),
            "event": candidate.get("event"),
        }
        claim.update({k: candidate.get(k) for k in _CLAIM_FIELDS})
        claim.update(claimant=claimant, offset=offset, via=candidate.get("via") or [])
        claim["note"] = candidate.get("note")
        claim["figures"] = figures
        out.append(claim)
    return out


def accept(draft_file: Path, seeds_dir: Path) -> tuple[int, Path]:
    """Accept the reviewed candidates; return how many claims were written, and where."""
    draft = yaml.safe_load(draft_file.read_text(encoding="utf-8"))
    if not isinstance(draft, dict) or "document" not in draft:
        raise DraftError([f"{draft_file}: not a draft file (no `document`)"])
    document_id = str(draft["document"])
    records = yaml.safe_load((seeds_dir / "documents.yaml").read_text(encoding="utf-8")) or []
    record = next((r for r in records if isinstance(r, dict) and r.get("id") == document_id), None)
    if record is None:
        raise DraftError([f"{draft_file}: unknown document {document_id!r}"])
    text = (seeds_dir / "documents" / str(record["file"])).read_bytes().decode("utf-8")
    problems: list[str] = []
    kept, new_claims = [], []
    for candidate in draft.get("candidates") or []:
        if candidate.get("accept") is True:
            new_claims.extend(_claims_of(document_id, text, candidate, problems))
        else:
            kept.append(candidate)
    claims_file = seeds_dir / "claims" / f"{document_id}.yaml"
    existing: dict[str, Any] = {"document": document_id, "claims": []}
    if claims_file.is_file():
        existing = yaml.safe_load(claims_file.read_text(encoding="utf-8")) or existing
    taken = {c.get("id") for c in existing.get("claims") or []}
    for claim in new_claims:
        if claim["id"] in taken:
            problems.append(f"claim id {claim['id']!r} already exists: set `claim_id`")
        taken.add(claim["id"])
    if problems:
        raise DraftError(problems)
    if not new_claims:
        return 0, claims_file
    existing["claims"] = [*(existing.get("claims") or []), *new_claims]
    claims_file.parent.mkdir(parents=True, exist_ok=True)
    _dump(existing, claims_file)
    if kept:
        _dump(dict(draft, candidates=kept), draft_file)
    else:
        draft_file.unlink()
    return len(new_claims), claims_file
