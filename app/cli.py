"""`claimline` command line: migrate, validate, load, serve."""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from alembic.util import CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Column
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app import __version__, dataset_meta, derived, migrate
from app.api import limits
from app.config import Settings, SettingsError
from app.db import make_engine
from app.drafting import commands as drafting
from app.loader import LoadBusyError, SeedError, load_dataset, validate_seeds
from app.loader.authoring import AuthoringError, DocumentOptions, add_document, fix_seeds
from app.loader.lock import DEFAULT_LOCK_TIMEOUT, write_transaction
from app.models import documents_table
from app.vocab import Confidence, DateBasis

if TYPE_CHECKING:
    from bench.generate import Progress as GenerateProgress


def _seeds_dir(arg: str | None, settings: Settings) -> Path:
    return Path(arg) if arg else settings.seeds_dir


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings.database_url, lock_timeout=settings.load_lock_timeout)
    print(f"database at revision {migrate.head_revision()}")
    if not _is_empty(settings.database_url):
        _refresh_derived(settings.database_url)
    return 0


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    seeds_dir = _seeds_dir(args.seeds_dir, settings)
    if getattr(args, "fix", False):
        report = fix_seeds(seeds_dir)
        for line in report.written:
            print(f"wrote {line}")
        for line in report.undecided:
            print(f"left {line}", file=sys.stderr)
    dataset = validate_seeds(seeds_dir)
    counts = ", ".join(
        f"{dataset.count(t)} {t}" for t in ("documents", "actors", "events", "claims", "figures")
    )
    print(f"seeds are valid: {counts}")
    return 0


def cmd_add_document(args: argparse.Namespace, settings: Settings) -> int:
    seeds_dir = _seeds_dir(args.seeds_dir, settings)
    options = DocumentOptions(
        outlet=None if args.outlet == "none" else args.outlet,
        title=args.title,
        url=args.url,
        published=args.published,
        published_basis=args.published_basis,
        published_confidence=args.published_confidence,
        published_evidence=args.published_evidence,
        outlet_evidence=args.outlet_evidence,
        language=args.language,
    )
    try:
        added = add_document(seeds_dir, Path(args.file), options)
    except (AuthoringError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"added document {added.id}")
    print(f"  text:   {added.text_path}")
    print(f"  claims: {added.claims_path} (add the claims under `claims:`)")
    if added.todo:
        print(f"  still TODO in documents.yaml: {', '.join(added.todo)}")
    return 0


def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    dataset = validate_seeds(_seeds_dir(args.seeds_dir, settings))
    migrate.upgrade(settings.database_url, lock_timeout=settings.load_lock_timeout)
    engine = make_engine(settings.database_url)
    try:
        summary = load_dataset(engine, dataset, settings.load_lock_timeout)
    finally:
        engine.dispose()
    for line in summary.lines():
        print(line)
    print("loaded" if summary.changed else "nothing to change: the database already matches")
    return 0


def _is_empty(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            # Not a count: on a large file that is a read of the whole table.
            return conn.execute(select(documents_table.c.id).limit(1)).first() is None
    finally:
        engine.dispose()


def _refresh_derived(url: str) -> None:
    """Rebuild the derived tables when they do not match the data (a migration that changes
    what they hold marks them stale): until then /readyz is 503 and search answers 503."""
    engine = make_engine(url)
    try:
        # Under the load's lock: a load running meanwhile rebuilds them too.
        with write_transaction(engine, DEFAULT_LOCK_TIMEOUT) as conn:
            if not dataset_meta.read(conn).derived:
                print("derived tables are missing or stale: rebuilding them", flush=True)
                print(f"rebuilt for {derived.rebuild(conn)} events")
    finally:
        engine.dispose()


def _stale_seeds(settings: Settings) -> bool:
    """Whether the seeds differ from those the database was last loaded from; False for
    data loaded by other means, which records no digest (it is said, not silently)."""
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            loaded = dataset_meta.seeds_digest(conn)
    finally:
        engine.dispose()
    if loaded is None:
        print(
            "the database records no seeds it was loaded from (claimline generate, or a "
            "load before this version): serving it as it is"
        )
        return False
    return validate_seeds(settings.seeds_dir).digest() != loaded


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings.database_url, lock_timeout=settings.load_lock_timeout)
    mode = settings.serve_seeds
    load = argparse.Namespace(seeds_dir=None)
    if mode == "none":
        print("CLAIMLINE_SERVE_SEEDS=none: serving the database as it is")
    elif _is_empty(settings.database_url):
        print("empty database: loading the seeds")
        cmd_load(load, settings)
    elif _stale_seeds(settings):
        if mode == "check":
            print(
                f"the seeds in {settings.seeds_dir} differ from the data loaded: run `claimline "
                "load` (or set CLAIMLINE_SERVE_SEEDS=load to load them on start)",
                file=sys.stderr,
            )
            return 1
        print(f"the seeds in {settings.seeds_dir} differ from the data loaded: loading them")
        cmd_load(load, settings)
    if not _is_empty(settings.database_url):
        _refresh_derived(settings.database_url)
    # Piped (a container's log), what was printed above would wait in the buffer until exit.
    sys.stdout.flush()
    # Workers re-read DATABASE_URL; pin it so they use the same database as the checks above.
    os.environ["DATABASE_URL"] = settings.database_url
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        # uvloop serves some connections late while the loop is busy answering /events
        # inline: p99 10-25 times p50 at 32 connections, against 1.4-1.7 times with
        # asyncio's loop at the same throughput (docs/benchmarks.md).
        loop="asyncio",
        # httptools with bounded request heads, refused in problem+json (app/api/limits.py).
        http=limits.PROTOCOL,
        ws="none",
        # No `server: uvicorn`: a version banner only helps whoever probes for flaws.
        server_header=False,
    )
    return 0


def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    # Checked before anything is opened: a bad request must not leave a file or a folder.
    if args.events < 1:
        print(f"cannot generate: --events must be at least 1, got {args.events}", file=sys.stderr)
        return 2
    if args.out and "://" in args.out:
        print(
            f"cannot generate: --out takes a SQLite file path, not a URL ({args.out}); to fill "
            "another database, set DATABASE_URL and leave out --out",
            file=sys.stderr,
        )
        return 2
    # Benchmark tooling, kept out of the application: only this command imports it.
    from bench.generate import PRODUCERS, generate

    url = f"sqlite:///{Path(args.out).resolve()}" if args.out else settings.database_url
    started = time.perf_counter()
    phases: dict[str, float] = {}
    steps: dict[str, float] = {}
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            display = _progress_display(args.events, args.progress_every)
            with display or contextlib.nullcontext():
                hook = display.update if display else None
                counts = generate(engine, args.events, args.seed, phases, steps, hook)
        finally:
            engine.dispose()
    except ValueError as exc:
        print(f"cannot generate: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        if not _in_use(exc):
            raise
        target = make_url(url).render_as_string(hide_password=True)
        print(
            f"cannot generate: {target} is in use by another process (a running server?); "
            "stop it, or generate into a new file with --out",
            file=sys.stderr,
        )
        return 1
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # RUSAGE_CHILDREN gives the largest child, not the sum: each producer peaks about there.
    producer = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(", ".join(f"{n} {t}" for t, n in counts.items()))
    print(f"generated in {elapsed:.1f} s; peak RSS {peak:.0f} MiB (writer), ", end="")
    print(f"{producer:.0f} MiB (each of {PRODUCERS} producers)")
    print("phases: " + ", ".join(f"{name} {s:.1f} s" for name, s in phases.items()))
    longest = sorted(steps.items(), key=lambda item: item[1], reverse=True)[:8]
    print("longest steps: " + ", ".join(f"{name} {s:.1f} s" for name, s in longest))
    return 0


def _in_use(exc: OperationalError) -> bool:
    """SQLite could not get the lock it needs: another connection holds the file. (Leaving
    WAL mode, as generate does, needs every other connection closed.)"""
    return str(getattr(exc.orig, "sqlite_errorname", "")) in ("SQLITE_BUSY", "SQLITE_LOCKED")


def _progress_display(events: int, every: float) -> _Lines | _Bar | None:
    """A bar when stderr is a terminal rich can redraw, a line every `every` seconds
    otherwise (a log, a pipe: redraws would fill it with partial bars); none for 0."""
    if every <= 0:
        return None
    console = Console(stderr=True)
    if sys.stderr.isatty() and console.is_terminal and not console.is_dumb_terminal:
        return _Bar(events, console)
    return _Lines(events, every)


def _stage(p: GenerateProgress) -> str:
    if not p.total_steps:
        return f"writing rows, {p.events}/{p.total_events} events"
    running = f" ({', '.join(p.running)})" if p.running else ""
    return f"finishing steps, {p.steps_done}/{p.total_steps} done{running}"


class _Lines:
    """A line on stderr every `every` seconds while generate runs, so that a run of minutes
    is not silent, saying the stage, how far it has got, and the time so far."""

    def __init__(self, events: int, every: float) -> None:
        from bench.generate import Progress  # benchmark tooling: imported by generate only

        self.events, self.every = events, every
        self.latest = Progress(0, events)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def update(self, progress: GenerateProgress) -> None:
        self.latest = progress  # one reference swap: the thread reads a whole snapshot

    def __enter__(self) -> _Lines:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        started = time.perf_counter()
        while not self._stop.wait(self.every):
            elapsed = time.perf_counter() - started
            line = f"generating {self.events} events: {_stage(self.latest)}, {elapsed:.0f} s"
            print(line, file=sys.stderr, flush=True)


class _Bar:
    """rich's progress bars on the terminal: events written, then finishing steps done,
    with the steps running now named beside the second bar."""

    def __init__(self, events: int, console: Console) -> None:
        self.bars = RichProgress(
            TextColumn("{task.description:<15}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[running]}", table_column=Column(no_wrap=True)),
            console=console,
        )
        self.rows = self.bars.add_task("writing rows", total=events, running="")
        self.steps: TaskID | None = None

    def update(self, progress: GenerateProgress) -> None:
        self.bars.update(self.rows, completed=progress.events)
        if progress.total_steps:
            if self.steps is None:
                self.bars.stop_task(self.rows)  # its clock stops at the rows' end
                self.steps = self.bars.add_task(
                    "finishing steps", total=progress.total_steps, running=""
                )
            self.bars.update(
                self.steps, completed=progress.steps_done, running=", ".join(progress.running)
            )

    def __enter__(self) -> _Bar:
        self.bars.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.bars.stop()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claimline", description=__doc__)
    parser.add_argument("--version", action="version", version=f"claimline {__version__}")
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
        if name == "validate":
            p.add_argument(
                "--fix",
                action="store_true",
                help="first write what can be computed: a document's missing sha256, a claim's "
                "missing offset when its quote occurs once in the document (default: off)",
            )
    _add_document_parser(sub)
    serve = sub.add_parser(
        "serve",
        help="migrate, load the seeds if the database is empty or they changed since the last "
        "load (CLAIMLINE_SERVE_SEEDS), serve HTTP",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes, each with its own response cache (default: %(default)s)",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=LOG_LEVELS,
        help="uvicorn's log level (default: %(default)s)",
    )
    gen = sub.add_parser("generate", help="fill an empty database with synthetic data (benchmarks)")
    gen.add_argument("--events", type=int, required=True, help="how many events (at least 1)")
    gen.add_argument("--out", help="SQLite file to create (default: the database of $DATABASE_URL)")
    gen.add_argument(
        "--seed",
        type=int,
        default=1,
        help="random seed; a seed always gives the same data (default: %(default)s)",
    )
    gen.add_argument(
        "--progress-every",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="seconds between progress lines on stderr when it is not a terminal (a terminal "
        "gets a progress bar); 0 for neither (default: %(default)s)",
    )
    drafting.add_parsers(sub)
    return parser


def _add_document_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add = sub.add_parser(
        "add-document",
        help="copy an article into the seeds, hash it, and write its documents.yaml record "
        "(values not given are written as TODO, which validate reports)",
    )
    add.add_argument("file", help="the article's text, UTF-8")
    add.add_argument(
        "--outlet", required=True, help="actor id of the publishing outlet, or 'none' if unknown"
    )
    add.add_argument(
        "--title", help="the headline, or a descriptive title in [brackets] (default: TODO)"
    )
    add.add_argument("--url", help="the article's address, if the text gives one (default: null)")
    add.add_argument(
        "--published", metavar="EDTF", help="publication date, e.g. 2024-10-23 (default: TODO)"
    )
    add.add_argument(
        "--published-basis",
        choices=[b.value for b in DateBasis],
        help="is the date stated in the text or inferred? (default: TODO)",
    )
    add.add_argument(
        "--published-confidence",
        choices=[c.value for c in Confidence],
        help="how sure the date is (default: TODO)",
    )
    add.add_argument(
        "--published-evidence", help="the words of the text that date it (default: TODO)"
    )
    add.add_argument("--outlet-evidence", help="why this outlet (default: TODO)")
    add.add_argument("--language", default="fr", help="ISO 639-1 (default: %(default)s)")
    add.add_argument(
        "--seeds-dir",
        dest="seeds_dir",
        help="seed folder (default: $CLAIMLINE_SEEDS_DIR or seeds/)",
    )


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
COMMANDS = {
    "generate": cmd_generate,
    "migrate": cmd_migrate,
    "validate": cmd_validate,
    "add-document": cmd_add_document,
    "load": cmd_load,
    "serve": cmd_serve,
    # Assisted drafts (app/drafting): draft, accept, draft-eval.
    **drafting.COMMANDS,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](args, settings)
    except SeedError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(
            f"{len(exc.problems)} problem(s) found; the database was not changed", file=sys.stderr
        )
        return 1
    except LoadBusyError as exc:
        print(exc, file=sys.stderr)
        return 1
    except CommandError as exc:
        # Alembic's: most often a revision this version does not know (a newer Claimline's).
        print(
            f"cannot migrate the database: {str(exc).strip().splitlines()[0]}; is it from a newer "
            "version of Claimline? Nothing was written",
            file=sys.stderr,
        )
        return 2
    except SQLAlchemyError as exc:
        print(f"database error: {_one_line(exc)}", file=sys.stderr)
        return 2


def _one_line(exc: SQLAlchemyError) -> str:
    """The driver's first line, without SQLAlchemy's statement and parameters (kilobytes of
    SQL for a failed load)."""
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip().splitlines() or [""]
    return f"{type(orig if orig is not None else exc).__name__}: {message[0]}"


if __name__ == "__main__":
    sys.exit(main())
