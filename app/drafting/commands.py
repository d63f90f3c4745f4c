"""The drafting subcommands of `claimline`: draft, accept, draft-eval."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from app.config import Settings
from app.drafting import nlp

_HEADER = """\
# Candidate claims drafted by `claimline draft` for a curator to review. The loader never
# reads this folder. To keep a candidate: set accept: true and event: <an event id>, fix
# what is wrong (quote and offset, claimant, hedge, figures' quantity), delete the review
# aids if you like, then run `claimline accept {path}`.
"""


def _seeds_dir(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.seeds_dir) if args.seeds_dir else settings.seeds_dir


def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    seeds_dir = _seeds_dir(args, settings)
    from app.drafting.actors import ActorAliases
    from app.drafting.candidates import DocumentError, SourceDocument, draft, to_record

    try:
        document = SourceDocument.from_seeds(seeds_dir, args.document_id)
    except DocumentError as exc:
        print(exc, file=sys.stderr)
        return 1
    out_dir = Path(args.out) if args.out else seeds_dir / "drafts"
    path = out_dir / f"{document.id}.yaml"
    if path.exists() and not args.force:
        print(
            f"{path} exists (it may hold a curator's edits): use --force to replace it",
            file=sys.stderr,
        )
        return 1
    try:
        candidates = draft(document, ActorAliases.from_seeds(seeds_dir))
    except nlp.PipelineMissingError as exc:
        print(exc, file=sys.stderr)
        return 2
    data: dict[str, Any] = {
        "document": document.id,
        "published": document.published.text,
        "candidates": [to_record(c) for c in candidates],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)
    path.write_text(_HEADER.format(path=path) + body, encoding="utf-8")
    print(f"{len(candidates)} candidate claims written to {path}")
    return 0


def cmd_accept(args: argparse.Namespace, settings: Settings) -> int:
    seeds_dir = _seeds_dir(args, settings)
    from app.drafting.accept import DraftError, accept

    try:
        count, claims_file = accept(Path(args.draft_file), seeds_dir)
    except DraftError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found; nothing was written", file=sys.stderr)
        return 1
    if count == 0:
        print("no candidate has accept: true; nothing was written")
    else:
        print(f"{count} claim(s) added to {claims_file}; check them with `claimline validate`")
    return 0


def cmd_draft_eval(args: argparse.Namespace, settings: Settings) -> int:
    seeds_dir = _seeds_dir(args, settings)
    from app.drafting.evaluate import evaluate, markdown_table

    try:
        scores = evaluate(seeds_dir)
    except nlp.PipelineMissingError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(markdown_table(scores))
    return 0


_SEEDS_HELP = "seed folder (default: $CLAIMLINE_SEEDS_DIR or seeds/)"


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("draft", help="propose candidate claims for a seed document (a draft file)")
    p.add_argument("document_id", help="a document id from documents.yaml")
    p.add_argument("--out", help="folder for the draft file (default: drafts/ in the seed folder)")
    p.add_argument(
        "--force", action="store_true", help="replace an existing draft file (default: refuse)"
    )
    p.add_argument("--seeds-dir", help=_SEEDS_HELP)
    p = sub.add_parser("accept", help="move a draft's accepted candidates into the seed claims")
    p.add_argument("draft_file", help="a file written by `claimline draft`")
    p.add_argument("--seeds-dir", help=_SEEDS_HELP)
    p = sub.add_parser(
        "draft-eval", help="draft every seed document and score it (docs/drafting.md)"
    )
    p.add_argument("--seeds-dir", help=_SEEDS_HELP)


COMMANDS = {"draft": cmd_draft, "accept": cmd_accept, "draft-eval": cmd_draft_eval}
