"""One `claimline serve` (1 worker, response cache off), one URL, several wrk runs: for
measuring a change to one query shape before and after, on the same machine.

    python bench/shape.py --url sqlite:////tmp/1m.db \\
        --path '/events?q=casualties&limit=50' [--reps 3] [--duration 8]

Prints requests/s, p50 and server CPU ms per request for each run, measured as
bench/run.py measures them (a 2 s warm-up, then `wrk -t2 -c32`). The numbers quoted
beside commits in docs/benchmarks.md ("before -> after") come from this command, run on
each build in turn.
"""

from __future__ import annotations

import argparse

from run import BIN, free_port, measure, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="DATABASE_URL of a generated database")
    parser.add_argument("--path", required=True, help="the request path and query")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    port = free_port()
    cmd = [str(BIN / "claimline"), "serve", "--port", str(port), "--log-level", "warning"]
    env = {"DATABASE_URL": args.url, "CLAIMLINE_RESPONSE_CACHE_MIB": "0"}
    with server(cmd, env, f"http://127.0.0.1:{port}/readyz") as (proc, _ready):
        for _ in range(args.reps):
            r = measure(proc, f"http://127.0.0.1:{port}{args.path}", args)
            print(f"{r['rps']:.1f} req/s, p50 {r['p50']:.1f} ms, server CPU "
                  f"{r['cpu_ms']:.3f} ms/req, non-2xx {r['errors']}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
