"""A process that has imported Claimline once and forks a `claimline load` on request, so
that the fault tests can start (and kill) dozens of loads without paying the interpreter's
start and imports each time.

Protocol, a line each way: `load<TAB>seeds<TAB>log file[<TAB>database URL]` on stdin starts a
child that runs `claimline load seeds` (app.cli.main, its stdout and stderr in the log file,
DATABASE_URL set to the URL if one is given) and answers
`pid N`; `wait<TAB>N` answers `exit N S` once that child has ended (S: its exit status, or
minus the signal that ended it)."""

from __future__ import annotations

import os
import sys

from app import cli
from app.loader import load_dataset  # noqa: F401  (imported once, for every child)


def _child(seeds: str, log: str, url: str | None = None) -> None:
    if url:
        os.environ["DATABASE_URL"] = url
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    try:
        status = cli.main(["load", seeds])
    except BaseException:  # a traceback here is what the tests look for in the log
        import traceback

        traceback.print_exc()
        status = 99
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def main() -> None:
    children: set[int] = set()
    for line in sys.stdin:
        command, *args = line.rstrip("\n").split("\t")
        if command == "load":
            pid = os.fork()
            if pid == 0:
                _child(*args)
            children.add(pid)
            print(f"pid {pid}", flush=True)
        elif command == "wait":
            pid = int(args[0])
            _, status = os.waitpid(pid, 0)
            children.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            print(f"exit {pid} {code}", flush=True)
    for pid in children:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
