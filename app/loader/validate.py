"""Validate every seed file and build the rows to write. Writes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from app.aliases import normalize_name
from app.edtf import EdtfDate, EdtfError, parse_edtf
from app.loader.errors import SeedError, SeedProblem
from app.loader.read import RawRecord, display_path, read_records, read_yaml, yaml_files
from app.loader.schemas import (
    SeedActor,
    SeedClaim,
    SeedClaimFile,
    SeedDocument,
    SeedEvent,
)
from app.search import phrase_key

Row = dict[str, Any]
M = TypeVar("M", bound=BaseModel)


@dataclass
class Dataset:
    """Rows per table name, parents before children."""

    tables: dict[str, list[Row]] = field(default_factory=dict)

    def count(self, table: str) -> int:
        return len(self.tables.get(table, []))

    def digest(self) -> str:
        """Of the rows, in no particular order, not of the files: a comment or records
        moved within or between files change nothing a load would write."""
        digest = hashlib.sha256()
        for name in sorted(self.tables):
            digest.update(name.encode() + b"\n")
            rows = (orjson.dumps(row, option=orjson.OPT_SORT_KEYS) for row in self.tables[name])
            for row in sorted(rows):
                digest.update(row + b"\n")
        return digest.hexdigest()


@dataclass
class _Context:
    seeds_dir: Path
    problems: list[SeedProblem] = field(default_factory=list)

    def add(self, file: str, record: str, field_name: str, message: str) -> None:
        self.problems.append(SeedProblem(file, record, field_name, message))


def _parse(model: type[M], raw: RawRecord, ctx: _Context) -> M | None:
    if not isinstance(raw.data, dict):
        ctx.add(raw.file, raw.label, "-", "expected a mapping of fields")
        return None
    try:
        return model.model_validate(raw.data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(part) for part in error["loc"]) or "-"
            ctx.add(raw.file, raw.label, loc, error["msg"])
        return None


def _edtf(value: str, raw: RawRecord, field_name: str, ctx: _Context) -> EdtfDate | None:
    try:
        return parse_edtf(value)
    except EdtfError as exc:
        ctx.add(raw.file, raw.label, field_name, str(exc))
        return None


def _unique(
    parsed: Iterable[tuple[RawRecord, Any]], kind: str, ctx: _Context
) -> dict[str, tuple[RawRecord, Any]]:
    """Keep the first record of each id; report the others."""
    seen: dict[str, tuple[RawRecord, Any]] = {}
    for raw, record in parsed:
        record_id = record[0].id if isinstance(record, tuple) else record.id
        if record_id in seen:
            first = seen[record_id][0]
            ctx.add(raw.file, raw.label, "id", f"duplicate {kind} id (first in {first.file})")
            continue
        seen[record_id] = (raw, record)
    return seen


def _actors(ctx: _Context) -> dict[str, tuple[RawRecord, SeedActor]]:
    raws = read_records(ctx.seeds_dir / "actors.yaml", ctx.seeds_dir, ctx.problems)
    parsed = [(raw, a) for raw in raws if (a := _parse(SeedActor, raw, ctx)) is not None]
    actors = _unique(parsed, "actor", ctx)
    owners: dict[str, str] = {}
    for actor_id, (raw, actor) in actors.items():
        if actor.parent is not None and actor.parent not in actors:
            ctx.add(raw.file, raw.label, "parent", f"unknown actor {actor.parent!r}")
        for i, alias in enumerate(actor.aliases):
            key = normalize_name(alias.name)
            owner = owners.setdefault(key, actor_id)
            if owner != actor_id:
                ctx.add(
                    raw.file,
                    raw.label,
                    f"aliases.{i}.name",
                    f"alias {alias.name!r} already belongs to actor {owner!r}",
                )
    for actor_id, (raw, _) in actors.items():
        seen, cursor = {actor_id}, actors[actor_id][1].parent
        while cursor is not None and cursor in actors:
            if cursor in seen:
                ctx.add(raw.file, raw.label, "parent", "parent chain forms a cycle")
                break
            seen.add(cursor)
            cursor = actors[cursor][1].parent
    return actors


def _documents(
    ctx: _Context, actors: dict[str, Any]
) -> dict[str, tuple[RawRecord, SeedDocument, str, EdtfDate | None]]:
    manifest = ctx.seeds_dir / "documents.yaml"
    raws = read_records(manifest, ctx.seeds_dir, ctx.problems)
    parsed = [(raw, d) for raw in raws if (d := _parse(SeedDocument, raw, ctx)) is not None]
    result: dict[str, tuple[RawRecord, SeedDocument, str, EdtfDate | None]] = {}
    folder = ctx.seeds_dir / "documents"
    for doc_id, (raw, doc) in _unique(parsed, "document", ctx).items():
        path = folder / doc.file
        if not path.is_file():
            ctx.add(
                raw.file, raw.label, "file", f"no such file {display_path(path, ctx.seeds_dir)}"
            )
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != doc.sha256:
            ctx.add(raw.file, raw.label, "sha256", f"file hashes to {digest}, not {doc.sha256}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            ctx.add(raw.file, raw.label, "file", f"not UTF-8: {exc}")
            continue
        if doc.outlet is not None and doc.outlet not in actors:
            ctx.add(raw.file, raw.label, "outlet", f"unknown actor {doc.outlet!r}")
        result[doc_id] = (raw, doc, text, _edtf(doc.published, raw, "published", ctx))
    listed = {doc.file for _, doc, _, _ in result.values()}
    for path in sorted(folder.glob("*.txt")):
        if path.name not in listed and not any(r.label == path.stem for r in raws):
            shown = display_path(manifest, ctx.seeds_dir)
            ctx.add(shown, path.stem, "file", f"{path.name} has no record in the manifest")
    return result


def _events(
    ctx: _Context, actors: dict[str, Any]
) -> dict[str, tuple[RawRecord, SeedEvent, EdtfDate | None]]:
    parsed: list[tuple[RawRecord, SeedEvent]] = []
    for path in yaml_files(ctx.seeds_dir / "events"):
        for raw in read_records(path, ctx.seeds_dir, ctx.problems):
            if (event := _parse(SeedEvent, raw, ctx)) is not None:
                parsed.append((raw, event))
    result = {}
    for event_id, (raw, event) in _unique(parsed, "event", ctx).items():
        seen_pairs = set()
        for i, link in enumerate(event.actors):
            if link.actor not in actors:
                ctx.add(raw.file, raw.label, f"actors.{i}.actor", f"unknown actor {link.actor!r}")
            if (link.actor, link.role) in seen_pairs:
                ctx.add(raw.file, raw.label, f"actors.{i}", "actor listed twice with one role")
            seen_pairs.add((link.actor, link.role))
        result[event_id] = (raw, event, _edtf(event.date, raw, "date", ctx))
    return result


def _claims(
    ctx: _Context,
    actors: dict[str, Any],
    documents: dict[str, tuple[RawRecord, SeedDocument, str, EdtfDate | None]],
    events: dict[str, Any],
) -> list[tuple[RawRecord, SeedClaim, str, EdtfDate | None]]:
    parsed: list[tuple[RawRecord, SeedClaim, str]] = []
    for path in yaml_files(ctx.seeds_dir / "claims"):
        shown = display_path(path, ctx.seeds_dir)
        file_raw = RawRecord(shown, "-", read_yaml(path, ctx.seeds_dir, ctx.problems))
        claim_file = _parse(SeedClaimFile, file_raw, ctx) if file_raw.data is not None else None
        if claim_file is None:
            continue
        if claim_file.document not in documents:
            ctx.add(shown, "-", "document", f"unknown document {claim_file.document!r}")
            continue
        for i, item in enumerate(claim_file.claims):
            raw = RawRecord(shown, str(item.get("id") or f"#{i}"), item)
            if (claim := _parse(SeedClaim, raw, ctx)) is not None:
                parsed.append((raw, claim, claim_file.document))
    unique = _unique(((raw, (claim, doc)) for raw, claim, doc in parsed), "claim", ctx)
    result = []
    for raw, (claim, doc_id) in unique.values():
        text = documents[doc_id][2]
        found = text[claim.offset : claim.offset + len(claim.quote)]
        if found != claim.quote:
            where = text.find(claim.quote)
            hint = f"; the quote is at offset {where}" if where >= 0 else "; not in the document"
            ctx.add(raw.file, raw.label, "quote", f"text at offset {claim.offset} differs{hint}")
        if claim.event not in events:
            ctx.add(raw.file, raw.label, "event", f"unknown event {claim.event!r}")
        if claim.claimant not in actors:
            ctx.add(raw.file, raw.label, "claimant", f"unknown actor {claim.claimant!r}")
        for i, via in enumerate(claim.via):
            if via not in actors:
                ctx.add(raw.file, raw.label, f"via.{i}", f"unknown actor {via!r}")
        claimed = None
        if claim.claimed_on is not None:
            claimed = _edtf(claim.claimed_on, raw, "claimed_on", ctx)
        result.append((raw, claim, doc_id, claimed))
    return result


def _actor_order(actors: dict[str, tuple[RawRecord, SeedActor]]) -> list[SeedActor]:
    """Parents before children, so inserts satisfy the self-referencing foreign key."""
    ordered: list[SeedActor] = []
    placed: set[str] = set()

    def place(actor_id: str, depth: int = 0) -> None:
        if actor_id in placed or actor_id not in actors or depth > len(actors):
            return
        parent = actors[actor_id][1].parent
        if parent is not None:
            place(parent, depth + 1)
        placed.add(actor_id)
        ordered.append(actors[actor_id][1])

    for actor_id in sorted(actors):
        place(actor_id)
    return ordered


def validate_seeds(seeds_dir: Path) -> Dataset:
    """Check every file and cross-reference; raise SeedError listing every problem."""
    ctx = _Context(seeds_dir)
    if not seeds_dir.is_dir():
        raise SeedError([SeedProblem(str(seeds_dir), "-", "-", "seeds folder not found")])
    actors = _actors(ctx)
    documents = _documents(ctx, actors)
    events = _events(ctx, actors)
    claims = _claims(ctx, actors, documents, events)
    claimed_events = {claim.event for _, claim, _, _ in claims}
    for event_id, (raw, _, _) in events.items():
        if event_id not in claimed_events:
            ctx.add(raw.file, raw.label, "id", "event has no claim: every event needs a source")
    if ctx.problems:
        raise SeedError(ctx.problems)
    return _build(actors, documents, events, claims)


def _build(
    actors: dict[str, tuple[RawRecord, SeedActor]],
    documents: dict[str, tuple[RawRecord, SeedDocument, str, EdtfDate | None]],
    events: dict[str, tuple[RawRecord, SeedEvent, EdtfDate | None]],
    claims: list[tuple[RawRecord, SeedClaim, str, EdtfDate | None]],
) -> Dataset:
    ds = Dataset()
    ordered = _actor_order(actors)
    ds.tables["actors"] = [
        {"id": a.id, "name": a.name, "kind": a.kind.value, "parent_id": a.parent,
         "iso3": a.iso3, "wikidata": a.wikidata}
        for a in ordered
    ]  # fmt: skip
    aliases: dict[str, Row] = {}
    for a in ordered:
        for alias in a.aliases:
            key = normalize_name(alias.name)
            aliases.setdefault(
                key, {"normalized": key, "actor_id": a.id, "name": alias.name, "lang": alias.lang}
            )
    ds.tables["actor_aliases"] = list(aliases.values())
    ds.tables["documents"] = []
    for _, doc, text, published in documents.values():
        assert published is not None  # validated above
        ds.tables["documents"].append({
            "id": doc.id, "file_name": doc.file, "title": doc.title, "outlet_id": doc.outlet,
            "outlet_evidence": doc.outlet_evidence, "url": doc.url, "language": doc.language,
            "published": published.text, "published_earliest": published.earliest,
            "published_latest": published.latest,
            "published_precision": published.precision.value,
            "published_basis": doc.published_basis.value,
            "published_confidence": doc.published_confidence.value,
            "published_evidence": doc.published_evidence, "notes": doc.notes,
            "sha256": doc.sha256, "text": text,
        })  # fmt: skip
    ds.tables["events"], ds.tables["event_actors"] = [], []
    for _, event, when in events.values():
        assert when is not None
        loc = event.location
        ds.tables["events"].append({
            "id": event.id, "type": event.type.value, "title": event.title,
            "summary": event.summary, "date_edtf": when.text, "date_earliest": when.earliest,
            "date_latest": when.latest, "date_precision": when.precision.value,
            "date_approximate": when.approximate, "date_uncertain": when.uncertain,
            "date_basis": event.date_basis, "location_name": loc.name if loc else None,
            "location_lat": loc.lat if loc else None, "location_lon": loc.lon if loc else None,
            "location_key": phrase_key(loc.name) if loc else None,
        })  # fmt: skip
        ds.tables["event_actors"].extend(
            {"event_id": event.id, "actor_id": link.actor, "role": link.role.value}
            for link in event.actors
        )
    ds.tables["claims"], ds.tables["claim_via"], ds.tables["figures"] = [], [], []
    event_dates = {
        e["id"]: (e["date_earliest"], e["date_precision"], e["date_latest"], e["type"])
        for e in ds.tables["events"]
    }
    for _, claim, doc_id, claimed in claims:
        known_from = documents[doc_id][3]
        assert known_from is not None
        ds.tables["claims"].append({
            "id": claim.id, "event_id": claim.event, "document_id": doc_id,
            "claimant_id": claim.claimant, "quote": claim.quote, "quote_start": claim.offset,
            "quote_end": claim.offset + len(claim.quote), "stance": claim.stance.value,
            "hedge": claim.hedge.value, "claimed_edtf": claimed.text if claimed else None,
            "claimed_earliest": claimed.earliest if claimed else None,
            "claimed_latest": claimed.latest if claimed else None,
            "known_from": known_from.latest, "note": claim.note,
            "event_date_earliest": event_dates[claim.event][0],
            "event_date_precision": event_dates[claim.event][1],
            "event_date_latest": event_dates[claim.event][2],
            "event_type": event_dates[claim.event][3],
        })  # fmt: skip
        ds.tables["claim_via"].extend(
            {"claim_id": claim.id, "position": i, "actor_id": via}
            for i, via in enumerate(claim.via)
        )
        ds.tables["figures"].extend(
            {"claim_id": claim.id, "position": i, "quantity": f.quantity.value, "low": f.low,
             "high": f.high, "qualifier": f.qualifier.value, "unit": f.unit.value, "text": f.text}
            for i, f in enumerate(claim.figures)
        )  # fmt: skip
    return ds
