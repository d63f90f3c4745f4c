"""The work of one generator producer, without the writer or the database: for counting
its instructions before and after a change, which, unlike seconds, the VM's drift does not
move.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python bench/producer_work.py 20000 [postgres]

runs `bench.generate._produce` for the first of its slices of 20,000 events (with
`postgres`, as for a PostgreSQL target: with the search entries' lexemes); subtract the
count for `0` (the imports and the actors) to get the events' own cost.
"""

from __future__ import annotations

import sys

from bench.generate import _produce


class Discard:
    """Stands in for the queue to the writer."""

    def put(self, item: object) -> None:
        pass


def main() -> None:
    _produce(int(sys.argv[1]), 1, 0, sys.argv[2:] == ["postgres"], Discard())


if __name__ == "__main__":
    main()
