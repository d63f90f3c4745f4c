"""Validate every seed file and build the rows to write. Writes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from app.actor_index import ActorIndex
from app.aliases import normalize_name
from app.edtf import EdtfDate, EdtfError, parse_edtf
from app.loader.errors import SeedError, SeedProblem
from app.loader.hints import actor_index, close_values, did_you_mean, enum_hint
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


# A value the curator has still to give; `claimline add-document` writes it.
TODO = "TODO"


@dataclass
class _Context:
    seeds_dir: Path
    problems: list[SeedProblem] = field(default_factory=list)
    # Ids of records that exist but are invalid: references to them are not reported again
    # (one root cause, one problem), per kind ("actor", "document", "event").
    broken: dict[str, set[str]] = field(
        default_factory=lambda: {"actor": set(), "document": set(), "event": set()}
    )
    actor_index: ActorIndex | None = None

    def add(self, file: str, record: str, field_name: str, message: str) -> None:
        self.problems.append(SeedProblem(file, record, field_name, message))


_NOT_SET = {
    "published": "publication date not set (TODO): give it as EDTF, e.g. 2024-10-23",
}


def _parse(model: type[M], raw: RawRecord, ctx: _Context, kind: str | None = None) -> M | None:
    if not isinstance(raw.data, dict):
        ctx.add(raw.file, raw.label, "-", "expected a mapping of fields")
        return None
    todo = {k for k, v in raw.data.items() if v == TODO and k != "id"}
    for key in sorted(todo):
        ctx.add(raw.file, raw.label, key, _NOT_SET.get(key, "not set (TODO)"))
    try:
        record = model.model_validate({k: v for k, v in raw.data.items() if k not in todo})
    except ValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(part) for part in error["loc"]) or "-"
            if error["loc"] and error["loc"][0] in todo:
                continue  # already reported as not set
            hint = enum_hint(dict(error))
            ctx.add(raw.file, raw.label, loc, error["msg"] + hint)
        record = None
    if (record is None or todo) and kind is not None and isinstance(raw.data.get("id"), str):
        ctx.broken[kind].add(raw.data["id"])
        return None
    return record


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


def _check_actor(value: object, raw: RawRecord, field_name: str, ctx: _Context) -> None:
    """Report an actor reference that names no actor, with the closest ones."""
    if not isinstance(value, str) or ctx.actor_index is None:
        return
    if value in ctx.actor_index.actors or value in ctx.broken["actor"]:
        return
    close = [a.id for a in ctx.actor_index.suggest(value)]
    ctx.add(raw.file, raw.label, field_name, f"unknown actor {value!r}{did_you_mean(close)}")


def _actors(ctx: _Context) -> dict[str, tuple[RawRecord, SeedActor]]:
    raws = read_records(ctx.seeds_dir / "actors.yaml", ctx.seeds_dir, ctx.problems)
    parsed = [(raw, a) for raw in raws if (a := _parse(SeedActor, raw, ctx, "actor")) is not None]
    actors = _unique(parsed, "actor", ctx)
    ctx.actor_index = actor_index(actor for _, actor in actors.values())
    owners: dict[str, str] = {}
    for actor_id, (raw, actor) in actors.items():
        if actor.parent is not None:
            _check_actor(actor.parent, raw, "parent", ctx)
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


@dataclass
class _Documents:
    valid: dict[str, tuple[RawRecord, SeedDocument, str, EdtfDate | None]]
    # The text of every document whose file could be read, valid record or not: quotes are
    # checked against it even while the record itself has a problem.
    texts: dict[str, str]


def _read_text(path: Path, raw: RawRecord, ctx: _Context) -> str | None:
    if not path.is_file():
        shown = display_path(path, ctx.seeds_dir)
        ctx.add(raw.file, raw.label, "file", f"no such file {shown}")
        return None
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        ctx.add(raw.file, raw.label, "file", f"not UTF-8: {exc}")
        return None


def _documents(ctx: _Context) -> _Documents:
    manifest = ctx.seeds_dir / "documents.yaml"
    raws = read_records(manifest, ctx.seeds_dir, ctx.problems)
    parsed = []
    folder = ctx.seeds_dir / "documents"
    texts: dict[str, str] = {}
    for raw in raws:
        doc = _parse(SeedDocument, raw, ctx, "document")
        if doc is not None:
            parsed.append((raw, doc))
            continue
        data = raw.data if isinstance(raw.data, dict) else {}
        doc_id, file_name = data.get("id"), data.get("file")
        if isinstance(doc_id, str) and isinstance(file_name, str) and file_name:
            text = _read_text(folder / file_name, raw, ctx)
            if text is not None:
                texts.setdefault(doc_id, text)
        if isinstance(data.get("outlet"), str):
            _check_actor(data["outlet"], raw, "outlet", ctx)
    result: dict[str, tuple[RawRecord, SeedDocument, str, EdtfDate | None]] = {}
    for doc_id, (raw, doc) in _unique(parsed, "document", ctx).items():
        path = folder / doc.file
        if doc.outlet is not None:
            _check_actor(doc.outlet, raw, "outlet", ctx)
        published = _edtf(doc.published, raw, "published", ctx)
        text = _read_text(path, raw, ctx)
        if text is None:
            ctx.broken["document"].add(doc_id)
            continue
        texts[doc_id] = text
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if doc.sha256 is None:
            ctx.add(raw.file, raw.label, "sha256", "not set: `claimline validate --fix` writes it")
        elif digest != doc.sha256:
            ctx.add(raw.file, raw.label, "sha256", f"file hashes to {digest}, not {doc.sha256}")
        if published is None or doc.sha256 is None:
            ctx.broken["document"].add(doc_id)
            continue
        result[doc_id] = (raw, doc, text, published)
    named = {raw.data.get("file") for raw in raws if isinstance(raw.data, dict)}
    for path in sorted(folder.glob("*.txt")):
        if path.name not in named and not any(r.label == path.stem for r in raws):
            shown = display_path(manifest, ctx.seeds_dir)
            ctx.add(shown, path.stem, "file", f"{path.name} has no record in the manifest")
    return _Documents(result, texts)


def _events(ctx: _Context) -> dict[str, tuple[RawRecord, SeedEvent, EdtfDate | None]]:
    parsed: list[tuple[RawRecord, SeedEvent]] = []
    for path in yaml_files(ctx.seeds_dir / "events"):
        for raw in read_records(path, ctx.seeds_dir, ctx.problems):
            if (event := _parse(SeedEvent, raw, ctx, "event")) is not None:
                parsed.append((raw, event))
                continue
            links = raw.data.get("actors") if isinstance(raw.data, dict) else None
            for i, link in enumerate(links if isinstance(links, list) else []):
                if isinstance(link, dict):
                    _check_actor(link.get("actor"), raw, f"actors.{i}.actor", ctx)
    result: dict[str, tuple[RawRecord, SeedEvent, EdtfDate | None]] = {}
    for event_id, (raw, event) in _unique(parsed, "event", ctx).items():
        seen_pairs = set()
        for i, link in enumerate(event.actors):
            _check_actor(link.actor, raw, f"actors.{i}.actor", ctx)
            if (link.actor, link.role) in seen_pairs:
                ctx.add(raw.file, raw.label, f"actors.{i}", "actor listed twice with one role")
            seen_pairs.add((link.actor, link.role))
        when = _edtf(event.date, raw, "date", ctx)
        if when is None:
            ctx.broken["event"].add(event_id)
            continue
        result[event_id] = (raw, event, when)
    return result


def quote_offsets(text: str, quote: str) -> list[int]:
    """Every offset where `quote` occurs in `text`, overlapping ones included."""
    found, at = [], text.find(quote)
    while at >= 0 and quote:
        found.append(at)
        at = text.find(quote, at + 1)
    return found


def _check_quote(quote: object, offset: object, text: str, raw: RawRecord, ctx: _Context) -> None:
    if not isinstance(quote, str) or not quote:
        return
    if isinstance(offset, int) and not isinstance(offset, bool):
        if text[offset : offset + len(quote)] == quote:
            return
    elif offset is not None and offset != TODO:
        return  # not a number: the schema reports it
    places = quote_offsets(text, quote)
    if offset is None or offset == TODO:
        if not places:
            ctx.add(raw.file, raw.label, "quote", "not in the document")
        elif len(places) == 1:
            fix = "`claimline validate --fix` writes it"
            ctx.add(raw.file, raw.label, "offset", f"not set: the quote is at {places[0]}; {fix}")
        else:
            listed = ", ".join(map(str, places))
            ctx.add(raw.file, raw.label, "offset",
                    f"not set, and the quote occurs {len(places)} times: at {listed}; "
                    "give the right one")  # fmt: skip
        return
    if not places:
        hint = "; not in the document"
    elif len(places) == 1:
        hint = f"; the quote is at offset {places[0]}"
    else:
        hint = f"; the quote is at offsets {', '.join(map(str, places))}"
    ctx.add(raw.file, raw.label, "quote", f"text at offset {offset} differs{hint}")


def _check_reference(
    value: object,
    known: Collection[str],
    broken: set[str],
    kind: str,
    raw: RawRecord,
    field_name: str,
    ctx: _Context,
) -> None:
    if not isinstance(value, str) or value in known or value in broken:
        return
    hint = did_you_mean(close_values(value, known))
    ctx.add(raw.file, raw.label, field_name, f"unknown {kind} {value!r}{hint}")


@dataclass
class _Claims:
    valid: list[tuple[RawRecord, SeedClaim, str, EdtfDate | None]]
    # event id -> the documents of the claims on it, invalid claims included: an event is
    # sourced by a claim that has a problem of its own.
    sources: dict[str, set[str]]


def _claims(ctx: _Context, documents: _Documents, events: dict[str, Any]) -> _Claims:
    parsed: list[tuple[RawRecord, SeedClaim, str]] = []
    sources: dict[str, set[str]] = {}
    for path in yaml_files(ctx.seeds_dir / "claims"):
        shown = display_path(path, ctx.seeds_dir)
        file_raw = RawRecord(shown, "-", read_yaml(path, ctx.seeds_dir, ctx.problems))
        claim_file = _parse(SeedClaimFile, file_raw, ctx) if file_raw.data is not None else None
        if claim_file is None:
            continue
        doc_id = claim_file.document
        known_doc = doc_id in documents.valid or doc_id in ctx.broken["document"]
        if not known_doc:
            hint = did_you_mean(close_values(doc_id, documents.valid))
            ctx.add(shown, "-", "document", f"unknown document {doc_id!r}{hint}")
        text = documents.texts.get(doc_id)
        for i, item in enumerate(claim_file.claims or []):
            raw = RawRecord(shown, str(item.get("id") or f"#{i}"), item)
            claim = _parse(SeedClaim, raw, ctx)
            # References are checked on the raw fields, so that a claim with a schema
            # problem still has every other problem reported in the same run.
            _check_reference(item.get("event"), events, ctx.broken["event"], "event", raw,
                             "event", ctx)  # fmt: skip
            _check_actor(item.get("claimant"), raw, "claimant", ctx)
            via = item.get("via")
            for j, relay in enumerate(via if isinstance(via, list) else []):
                _check_actor(relay, raw, f"via.{j}", ctx)
            if text is not None:
                _check_quote(item.get("quote"), item.get("offset"), text, raw, ctx)
            if isinstance(event_id := item.get("event"), str):
                sources.setdefault(event_id, set()).add(doc_id)
            if claim is not None and known_doc:
                parsed.append((raw, claim, doc_id))
    unique = _unique(((raw, (claim, doc)) for raw, claim, doc in parsed), "claim", ctx)
    result = []
    for raw, (claim, doc_id) in unique.values():
        claimed = None
        if claim.claimed_on is not None:
            claimed = _edtf(claim.claimed_on, raw, "claimed_on", ctx)
        result.append((raw, claim, doc_id, claimed))
    return _Claims(result, sources)


def _date_rule(
    ctx: _Context,
    documents: _Documents,
    events: dict[str, tuple[RawRecord, SeedEvent, EdtfDate | None]],
    sources: dict[str, set[str]],
) -> None:
    """An event cannot be known to end after the last of its documents was published,
    unless it is a forecast."""
    for event_id, (raw, event, when) in events.items():
        docs = sources.get(event_id, set())
        if event.forecast or when is None or not docs:
            continue
        published = {d: documents.valid[d][3] for d in docs if d in documents.valid}
        latest = {d: p.latest for d, p in published.items() if p is not None}
        if len(latest) < len(docs):
            continue  # a document's own problem is reported; no bound to check against
        bound = max(latest.values())
        if when.latest > bound:
            latest_docs = sorted(d for d, day in latest.items() if day == bound)
            ctx.add(raw.file, raw.label, "date",
                    f"{event.date!r} ends {when.latest}, after the latest publication of its "
                    f"documents ({bound}, {', '.join(latest_docs)}): end it by {bound}, or "
                    "mark the event `forecast: true` if it is an expectation")  # fmt: skip


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
    """Check every file and cross-reference; raise SeedError listing every problem.

    One run reports them all, and a broken record is reported once: what refers to it
    (claims of a document whose record is invalid, events of those claims) is not."""
    ctx = _Context(seeds_dir)
    if not seeds_dir.is_dir():
        raise SeedError([SeedProblem(str(seeds_dir), "-", "-", "seeds folder not found")])
    actors = _actors(ctx)
    documents = _documents(ctx)
    events = _events(ctx)
    claims = _claims(ctx, documents, events)
    for event_id, (raw, _, _) in events.items():
        if event_id not in claims.sources:
            ctx.add(raw.file, raw.label, "id", "event has no claim: every event needs a source")
    _date_rule(ctx, documents, events, claims.sources)
    if ctx.problems:
        # A record listed twice under one id has its problems found twice: say them once.
        raise SeedError(list(set(ctx.problems)))
    return _build(actors, documents.valid, events, claims.valid)


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
            "location_key": phrase_key(loc.name) if loc else None, "context": event.context,
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
        earliest, precision, latest, type_ = event_dates[claim.event]
        assert known_from is not None and claim.offset is not None
        ds.tables["claims"].append({
            "id": claim.id, "event_id": claim.event, "document_id": doc_id,
            "claimant_id": claim.claimant, "quote": claim.quote, "quote_start": claim.offset,
            "quote_end": claim.offset + len(claim.quote), "stance": claim.stance.value,
            "hedge": claim.hedge.value, "claimed_edtf": claimed.text if claimed else None,
            "claimed_earliest": claimed.earliest if claimed else None,
            "claimed_latest": claimed.latest if claimed else None,
            "known_from": known_from.latest, "note": claim.note,
            "event_date_earliest": earliest, "event_date_precision": precision,
            "event_date_latest": latest, "event_type": type_,
        })  # fmt: skip
        ds.tables["claim_via"].extend(
            {"claim_id": claim.id, "position": i, "actor_id": via, "event_id": claim.event,
             "event_date_earliest": earliest, "event_date_precision": precision,
             "event_date_latest": latest, "event_type": type_}
            for i, via in enumerate(claim.via)
        )  # fmt: skip
        ds.tables["figures"].extend(
            {"claim_id": claim.id, "position": i, "quantity": f.quantity.value, "low": f.low,
             "high": f.high, "qualifier": f.qualifier.value, "unit": f.unit.value, "text": f.text}
            for i, f in enumerate(claim.figures)
        )  # fmt: skip
    return ds
