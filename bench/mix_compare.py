"""Two runs of bench/mix.py side by side: one markdown table per database, shape by shape.

    python bench/mix_compare.py --before before.json --after after.json [--label new1m.db]

Each table has, for every shape, the two builds' req/s, CPU ms per request and p99/p50,
and the ratio to Datasette's req/s (from whichever run measured Datasette, the after run
first). Targets of "Fast for every question" are marked: at least 3 times Datasette at 1M
(once at 10k), at most 3 ms of CPU per request at 1M, p99 at most 5 times p50.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.mix import label_of


def _get(run: dict[str, Any], label: str, key: str, side: str) -> dict[str, float] | None:
    row = run.get(label, {}).get(key, {})
    r = row.get(side)
    return r if r and r.get("requests") else None


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None or value != value else f"{value:.{digits}f}"


def table(before: dict[str, Any], after: dict[str, Any], label: str, big: bool) -> str:
    keys = list(after.get(label, {}))
    lines = [
        "| shape | req/s before | req/s after | CPU ms before | CPU ms after "
        "| p99/p50 before | p99/p50 after | Datasette req/s | × DS before | × DS after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    floor = 3.0 if big else 1.0
    for key in keys:
        b, a = _get(before, label, key, "claimline"), _get(after, label, key, "claimline")
        ds = _get(after, label, key, "datasette") or _get(before, label, key, "datasette")
        cells = [label_of(key)]
        cells += [_num(b and b["rps"]), _num(a and a["rps"])]
        cpu_a = a and a["cpu_ms"]
        cpu_mark = "" if not big or cpu_a is None or cpu_a <= 3 else " ✗"
        cells += [_num(b and b["cpu_ms"], 2), _num(cpu_a, 2) + cpu_mark]
        tail = [r and r["p99"] / r["p50"] for r in (b, a)]
        cells += [_num(tail[0]), _num(tail[1]) + ("" if not tail[1] or tail[1] <= 5 else " ✗")]
        cells.append(_num(ds and ds["rps"]))
        for r in (b, a):
            ratio = r["rps"] / ds["rps"] if r and ds else None
            mark = "" if ratio is None or r is b or ratio >= floor else " ✗"
            cells.append(_num(ratio, 2) + mark)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--label", action="append", help="a database label (default: all)")
    parser.add_argument("--small", action="append", default=[], help="labels of 10k runs")
    args = parser.parse_args()
    before, after = json.loads(args.before.read_text()), json.loads(args.after.read_text())
    for label in args.label or list(after):
        print(f"### {label}\n")
        print(table(before, after, label, big=label not in args.small and "10k" not in label))
        print()


if __name__ == "__main__":
    main()
