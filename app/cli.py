"""`claimline` command line: migrate, validate, load, serve."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from app import migrate
from app.config import Settings
from app.db import make_engine
from app.loader import SeedError, load_dataset, validate_seeds


def _seeds_dir(arg: str | None, settings: Settings) -> Path:
    return Path(arg) if arg else settings.seeds_dir


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings.database_url)
    print(f"database at revision {migrate.head_revision()}")
    return 0


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    dataset = validate_seeds(_seeds_dir(args.seeds_dir, settings))
    counts = ", ".join(
        f"{dataset.count(t)} {t}" for t in ("documents", "actors", "events", "claims", "figures")
    )
    print(f"seeds are valid: {counts}")
    return 0


def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    dataset = validate_seeds(_seeds_dir(args.seeds_dir, settings))
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        summary = load_dataset(engine, dataset)
    finally:
        engine.dispose()
    for line in summary.lines():
        print(line)
    print("loaded" if summary.changed else "nothing to change: the database already matches")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claimline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database schema to the latest migration")
    for name, helptext in (
        ("validate", "check the seed files; write nothing"),
        ("load", "validate the seeds, then make the database match them in one transaction"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument(
            "seeds_dir", nargs="?", help="seed folder (default: $CLAIMLINE_SEEDS_DIR or seeds/)"
        )
    return parser


COMMANDS = {"migrate": cmd_migrate, "validate": cmd_validate, "load": cmd_load}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    try:
        return COMMANDS[args.command](args, settings)
    except SeedError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(
            f"{len(exc.problems)} problem(s) found; the database was not changed", file=sys.stderr
        )
        return 1
    except SQLAlchemyError as exc:
        print(f"database error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
