"""Which records a load changes, for their `updated_at`: a record counts as changed when
anything its JSON shows changes, not only its own row.

An event shows its actors (names and kinds), its claims whole, and through them their
figures, via, documents (title, outlet, dates) and claimants; a /claims row shows its
event's title, type and date; a document its outlet and claim count; an actor its aliases
and the ids of its sub-actors. A sync client then refetches exactly the records that read
differently, and never misses one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.loader.validate import Dataset, Row
from app.queries import DOCUMENT_REF_COLUMNS, EVENT_DATE_COLUMNS

KINDS = ("actors", "documents", "events", "claims")
# The fields other records embed (assemble.actor_ref, document_ref, build_claim_rows).
ACTOR_REF = ("name", "kind")
DOCUMENT_REF = tuple(c.name for c in DOCUMENT_REF_COLUMNS)
EVENT_IN_CLAIM_ROW = ("type", "title", *EVENT_DATE_COLUMNS)


@dataclass
class TableDiff:
    """One table's rows that a load inserts, updates (old, new) and deletes (old)."""

    inserted: list[Row] = field(default_factory=list)
    updated: list[tuple[Row, Row]] = field(default_factory=list)
    deleted: list[Row] = field(default_factory=list)

    def rows(self) -> list[Row]:
        """Every row on either side of a change."""
        return [*self.inserted, *(r for pair in self.updated for r in pair), *self.deleted]

    def changed_in(self, names: Iterable[str]) -> set[str]:
        """The ids of updated rows whose `names` differ."""
        names = tuple(names)
        return {new["id"] for old, new in self.updated if any(old[n] != new[n] for n in names)}


def changed_records(diffs: dict[str, TableDiff], dataset: Dataset) -> dict[str, set[str]]:
    """The ids, by kind, of the records the load inserts or changes (as above); removed
    records are not among them."""
    rows = dataset.tables
    out: dict[str, set[str]] = {k: {r["id"] for r in _own(diffs[k])} for k in KINDS}

    out["actors"] |= {r["actor_id"] for r in diffs["actor_aliases"].rows()}
    actors = diffs["actors"]
    out["actors"] |= {r["parent_id"] for r in [*actors.inserted, *actors.deleted]}
    for old, new in actors.updated:
        if old["parent_id"] != new["parent_id"]:
            out["actors"] |= {old["parent_id"], new["parent_id"]}

    renamed = actors.changed_in(ACTOR_REF)
    shown_documents = diffs["documents"].changed_in(DOCUMENT_REF) | {
        d["id"] for d in rows["documents"] if d["outlet_id"] in renamed
    }
    out["documents"] |= shown_documents

    claims = out["claims"]
    claims |= {r["claim_id"] for r in [*diffs["claim_via"].rows(), *diffs["figures"].rows()]}
    claims |= {v["claim_id"] for v in rows["claim_via"] if v["actor_id"] in renamed}
    retitled = diffs["events"].changed_in(EVENT_IN_CLAIM_ROW)
    claims |= {
        c["id"]
        for c in rows["claims"]
        if c["document_id"] in shown_documents
        or c["claimant_id"] in renamed
        or c["event_id"] in retitled
    }

    events = out["events"]
    events |= {r["event_id"] for r in [*diffs["event_actors"].rows(), *diffs["claims"].rows()]}
    events |= {a["event_id"] for a in rows["event_actors"] if a["actor_id"] in renamed}
    events |= {c["event_id"] for c in rows["claims"] if c["id"] in claims}

    # A document's claim count.
    moved = diffs["claims"]
    out["documents"] |= {r["document_id"] for r in [*moved.inserted, *moved.deleted]}
    for old, new in moved.updated:
        if old["document_id"] != new["document_id"]:
            out["documents"] |= {old["document_id"], new["document_id"]}

    for kind in KINDS:
        out[kind] -= {r["id"] for r in diffs[kind].deleted}
        out[kind].discard(None)  # a top-level actor's parent
    return out


def _own(diff: TableDiff) -> list[Row]:
    return [*diff.inserted, *(new for _, new in diff.updated)]
