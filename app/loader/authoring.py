"""Curator commands: add a document to the seeds, fill what can be computed (hashes, offsets).

Both write the seed files in place through yamledit, which changes only the fields they set;
neither touches the database. `claimline validate` then reports what is still to do."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.edtf import EdtfError, parse_edtf
from app.loader.hints import actor_index, did_you_mean
from app.loader.read import read_records, yaml_files
from app.loader.schemas import SeedActor
from app.loader.validate import TODO, quote_offsets
from app.loader.yamledit import RecordFile

_NUMBERED = re.compile(r"^(\d{3,})_")


class AuthoringError(ValueError):
    """The command cannot run as asked; nothing was written."""


@dataclass(frozen=True)
class DocumentOptions:
    outlet: str | None
    title: str | None = None
    url: str | None = None
    published: str | None = None
    published_basis: str | None = None
    published_confidence: str | None = None
    published_evidence: str | None = None
    outlet_evidence: str | None = None
    language: str = "fr"


@dataclass(frozen=True)
class AddedDocument:
    id: str
    text_path: Path
    claims_path: Path
    todo: list[str]


def document_id(number: int, sha256: str) -> str:
    """`NNN_<first 16 hex digits of the text's SHA-256>`, the seeds' file-stem ids."""
    return f"{number:03d}_{sha256[:16]}"


def add_document(seeds_dir: Path, source: Path, options: DocumentOptions) -> AddedDocument:
    """Copy `source` into seeds/documents/, append its record to documents.yaml and start an
    empty claims file. Every value not given is written as TODO, which validate reports."""
    data = source.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AuthoringError(f"{source}: not UTF-8 ({exc}); convert it first") from None
    _check_outlet(seeds_dir, options.outlet)
    if options.published is not None:
        try:
            parse_edtf(options.published)
        except EdtfError as exc:
            raise AuthoringError(f"--published: {exc}") from None
    manifest = RecordFile.read(seeds_dir / "documents.yaml")
    digest = hashlib.sha256(data).hexdigest()
    numbers = [-1]
    for entry in manifest.records:
        existing = entry.data if isinstance(entry.data, dict) else {}
        if existing.get("sha256") == digest:
            raise AuthoringError(f"{source} is already in the seeds as {existing.get('id')}")
        if match := _NUMBERED.match(str(existing.get("id", ""))):
            numbers.append(int(match.group(1)))
    doc_id = document_id(max(numbers) + 1, digest)
    text_path = seeds_dir / "documents" / f"{doc_id}.txt"
    claims_path = seeds_dir / "claims" / f"{doc_id}.yaml"
    for path in (text_path, claims_path):
        if path.exists():
            raise AuthoringError(f"{path} already exists")
    o = options
    record: dict[str, Any] = {
        "id": doc_id,
        "file": text_path.name,
        "sha256": digest,
        "title": o.title or TODO,
        "outlet": o.outlet,
        "outlet_evidence": o.outlet_evidence or TODO,
        "url": o.url,
        "language": o.language,
        "published": o.published or TODO,
        "published_basis": o.published_basis or TODO,
        "published_confidence": o.published_confidence or TODO,
        "published_evidence": o.published_evidence or TODO,
        "notes": None,
    }
    manifest.append(record)
    text_path.parent.mkdir(parents=True, exist_ok=True)
    claims_path.parent.mkdir(parents=True, exist_ok=True)
    text_path.write_bytes(data)
    claims_path.write_text(f"document: {doc_id}\nclaims:\n", encoding="utf-8")
    manifest.write()
    return AddedDocument(
        doc_id, text_path, claims_path, [k for k, v in record.items() if v == TODO]
    )


def _check_outlet(seeds_dir: Path, outlet: str | None) -> None:
    if outlet is None:
        return
    problems: list[Any] = []
    actors = []
    for raw in read_records(seeds_dir / "actors.yaml", seeds_dir, problems):
        try:
            actors.append(SeedActor.model_validate(raw.data))
        except ValueError:
            continue  # validate reports it
    index = actor_index(actors)
    if outlet not in index.actors:
        close = did_you_mean(a.id for a in index.suggest(outlet))
        raise AuthoringError(f"--outlet: unknown actor {outlet!r}{close}")


@dataclass
class FixReport:
    """What `validate --fix` wrote, and what it could not decide."""

    written: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)


def fix_seeds(seeds_dir: Path) -> FixReport:
    """Fill documents' missing sha256 and claims' missing offsets where the answer is certain:
    the file's hash, the one place the quote occurs. A quote found several times or not at
    all is left for the curator."""
    report = FixReport()
    texts = _fix_hashes(seeds_dir, report)
    for path in yaml_files(seeds_dir / "claims"):
        _fix_offsets(path, texts, seeds_dir, report)
    return report


def _missing(value: Any) -> bool:
    return value is None or value == TODO


def _fix_hashes(seeds_dir: Path, report: FixReport) -> dict[str, str]:
    """Returns every readable document's text by id."""
    path = seeds_dir / "documents.yaml"
    if not path.is_file():
        return {}
    manifest = RecordFile.read(path)
    texts: dict[str, str] = {}
    changed = False
    for record in manifest.records:
        data = record.data
        if not isinstance(data, dict) or not isinstance(data.get("file"), str):
            continue
        text_path = seeds_dir / "documents" / data["file"]
        if not text_path.is_file():
            continue
        raw = text_path.read_bytes()
        try:
            texts[str(data.get("id"))] = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if _missing(data.get("sha256")):
            record.set("sha256", hashlib.sha256(raw).hexdigest(), after="file")
            report.written.append(f"documents.yaml:{data.get('id')}: sha256")
            changed = True
    if changed:
        manifest.write()
    return texts


def _fix_offsets(path: Path, texts: dict[str, str], seeds_dir: Path, report: FixReport) -> None:
    claims = RecordFile.read(path)
    head_data = "".join(claims.head)
    match = re.search(r"^document:\s*(\S+)", head_data, re.MULTILINE)
    text = texts.get(match.group(1).strip("'\"")) if match else None
    if text is None:
        return
    shown = path.relative_to(seeds_dir.parent) if seeds_dir.parent in path.parents else path
    changed = False
    for record in claims.records:
        data = record.data
        if not isinstance(data, dict) or not _missing(data.get("offset")):
            continue
        quote = data.get("quote")
        if not isinstance(quote, str) or not quote:
            continue
        where = f"{shown}:{data.get('id')}: offset"
        places = quote_offsets(text, quote)
        if len(places) == 1:
            record.set("offset", places[0], after="quote")
            report.written.append(where)
            changed = True
        elif places:
            report.undecided.append(
                f"{where}: the quote occurs {len(places)} times, at "
                f"{', '.join(map(str, places))}; lengthen it or give the offset"
            )
        else:
            report.undecided.append(f"{where}: the quote is not in the document")
    if changed:
        claims.write()
