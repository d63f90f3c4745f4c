"""Who corroborates an event and whether it is contested, from the claims a request can see.

Support counts the event's claims that assert it (a denial, or a claim that neither
confirms nor denies, supports nothing): how many distinct claimants (actor ids: South
Korea and its NIS are two), documents, and outlets, the last being the actors the claims
were relayed `via` together with the outlets that published their documents.

An event is contested when two of its claims by different claimants dispute each other: one
denies what the other asserts, or both assert figures of the same quantity and unit whose
[low, high] ranges do not meet (a null bound is open on that side, so "more than 1,000"
and "more than 3,000" agree). A claimant that revises its own figure, or denies what it
asserted earlier, is not disputed by anyone: that is a change of story, not a conflict.

Everything here reads the claims as the event JSON lists them (app/assemble.py), so the
general path, the stored bodies patched for `known_as_of` and the generator count alike;
`claim_conflicts` (app/derived.py) keeps each disputing pair with the day its later claim
became known, for the `contested=` filter under any `known_as_of`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, distinct, exists, func, select

from app import binds
from app.filters import TimelineFilter
from app.models import claim_conflicts_table as CC
from app.models import claims_table
from app.vocab import DisputeKind, Stance

Json = dict[str, Any]
ASSERTS, DENIES = Stance.asserts.value, Stance.denies.value
DENIAL, FIGURES = DisputeKind.denial.value, DisputeKind.figures.value
# The largest `min_claimants` accepted: more claimants than any event could have.
MAX_MIN_CLAIMANTS = 1000


@dataclass(frozen=True)
class Conflict:
    """Two claims that dispute each other: `a` denies what `b` asserts ('denial'), or
    `a`'s figure of `quantity` lies wholly below `b`'s ('figures')."""

    kind: str
    a: str
    b: str
    quantity: str | None
    known_from: str  # ISO day: the later of the two claims'

    def json(self) -> Json:
        return {
            "kind": self.kind, "claim_ids": [self.a, self.b], "quantity": self.quantity,
            "known_from": self.known_from,
        }  # fmt: skip


def _below(a: Sequence[Json], b: Sequence[Json]) -> Iterator[str]:
    """The quantities of which a figure of `a` ends before a figure of `b` begins."""
    for fa in a:
        for fb in b:
            if (
                fa["quantity"] == fb["quantity"]
                and fa["unit"] == fb["unit"]
                and fa["high"] is not None
                and fb["low"] is not None
                and fa["high"] < fb["low"]
            ):
                yield fa["quantity"]


def conflicts(claims: Sequence[Json]) -> list[Conflict]:
    """The disputing pairs among these claims, in the claims' order (first claim, then
    second)."""
    found: dict[tuple[str, str, str, str | None], Conflict] = {}
    for a in claims:
        for b in claims:
            if a["claimant"]["id"] == b["claimant"]["id"] or b["stance"] != ASSERTS:
                continue
            known = max(a["known_from"], b["known_from"])
            if a["stance"] == DENIES:
                found.setdefault(
                    (DENIAL, a["id"], b["id"], None),
                    Conflict(DENIAL, a["id"], b["id"], None, known),
                )
            elif a["stance"] == ASSERTS:
                for quantity in _below(a["figures"], b["figures"]):
                    found.setdefault(
                        (FIGURES, a["id"], b["id"], quantity),
                        Conflict(FIGURES, a["id"], b["id"], quantity, known),
                    )
    return list(found.values())


def support(claims: Sequence[Json]) -> Json:
    asserting = [c for c in claims if c["stance"] == ASSERTS]
    outlets = {v["id"] for c in asserting for v in c["via"]}
    outlets |= {c["document"]["outlet"]["id"] for c in asserting if c["document"]["outlet"]}
    return {
        "claimants": len({c["claimant"]["id"] for c in asserting}),
        "documents": len({c["document"]["id"] for c in asserting}),
        "outlets": len(outlets),
    }


def summary(claims: Sequence[Json]) -> Json:
    """An event's `support`, `contested` and `contested_by`, from the claims it lists."""
    disputes = conflicts(claims)
    return {
        "support": support(claims),
        "contested": bool(disputes),
        "contested_by": [d.json() for d in disputes],
    }


def conflict_rows(event: Json) -> list[dict[str, Any]]:
    """The claim_conflicts rows of an event rendered with every claim."""
    return [
        {
            "event_id": event["id"], "claim_a": d.a, "claim_b": d.b, "kind": d.kind,
            "quantity": d.quantity or "", "known_from": date.fromisoformat(d.known_from),
        }
        for d in conflicts(event["claims"])
    ]  # fmt: skip


# Aliased: the conditions sit in statements that read the claims table themselves (/claims,
# a claimant's events), whose rows they must not correlate with.
_SC = claims_table.alias("support_claims")


def conditions(f: TimelineFilter, event_id: ColumnElement[Any]) -> list[ColumnElement[bool]]:
    """`min_claimants` and `contested` as conditions on the event whose id is `event_id`,
    counting only the claims known on `known_as_of`."""
    v = binds.values_of(f)
    conds: list[ColumnElement[bool]] = []
    if f.min_claimants is not None:
        known = [_SC.c.known_from <= v.param("known")] if f.known_as_of is not None else []
        claimants = (
            select(func.count(distinct(_SC.c.claimant_id)))
            .where(_SC.c.event_id == event_id, _SC.c.stance == ASSERTS, *known)
            .scalar_subquery()
        )
        conds.append(claimants >= v.param("min_claimants"))
    if f.contested is not None:
        known = [CC.c.known_from <= v.param("known")] if f.known_as_of is not None else []
        disputed = exists(select(1).where(CC.c.event_id == event_id, *known))
        conds.append(disputed if f.contested == "true" else ~disputed)
    return conds
