"""Where a running load's CPU goes, every few seconds: the share of one core used by each
group of processes, and how idle the machine is. For telling a phase that is CPU-bound on
both cores from one that leaves a core idle.

    python bench/cpu_sample.py [--every 5] [--for 600] > cpu.txt

while `claimline generate` runs. Groups: the generator's writer, its producers, the
PostgreSQL backend serving it, PostgreSQL's parallel workers, everything else.
"""

from __future__ import annotations

import argparse
import os
import time

TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = ("writer", "producers", "pg backend", "pg workers", "other")


def group(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "other"
    if "multiprocessing-fork" in args:
        return "producers"
    if "claimline generate" in args:
        return "writer"
    if args.startswith("postgres: ") and "parallel worker" in args:
        return "pg workers"
    if args.startswith("postgres: ") and "127.0.0.1" in args:
        return "pg backend"
    return "other"


def cpu_ticks() -> dict[str, int]:
    ticks = dict.fromkeys(GROUPS, 0)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[group(pid)] += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def idle_ticks() -> tuple[int, int]:
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return values[3] + values[4], sum(values)  # idle + iowait, all


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--for", dest="duration", type=float, default=600.0)
    args = parser.parse_args()
    print("seconds", *GROUPS, "machine idle %", sep="\t")
    before, (idle0, all0) = cpu_ticks(), idle_ticks()
    start = time.monotonic()
    while time.monotonic() - start < args.duration:
        time.sleep(args.every)
        after, (idle1, all1) = cpu_ticks(), idle_ticks()
        # A process that exited between samples takes its ticks with it: its group reads low.
        used = [max(0, after[g] - before[g]) * 100 / TICKS / args.every for g in GROUPS]
        idle = 100 * (idle1 - idle0) / max(1, all1 - all0)
        print(f"{time.monotonic() - start:.0f}", *(f"{u:.0f}" for u in used), f"{idle:.0f}",
              sep="\t", flush=True)  # fmt: skip
        before, idle0, all0 = after, idle1, all1


if __name__ == "__main__":
    main()
