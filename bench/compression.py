"""What compression costs: one URL with no Accept-Encoding, with gzip and with br, response
cache off (every request runs the route and compresses) and on (every request after the
first is a hit), on several builds in turn.

    python bench/compression.py --db /tmp/cmp10k.db --build before=/tmp/before --build after=. \\
        [--path '/events?actor=dprk&from=2024-06-01&to=2024-06-30&limit=50'] [--reps 3] \\
        [--duration 5] [--codings identity,gzip,br]

Each build is NAME=CHECKOUT (`.` for this one), served by `claimline serve` (1 worker) with
PYTHONPATH=CHECKOUT. Each rep starts every build's server for each cache mode and measures
each coding as bench/run.py measures (a 2 s warm-up, then `wrk -t2 -c32`): req/s, p50, p99,
server CPU ms per request, and the bytes of one response.
"""

from __future__ import annotations

import argparse
import urllib.request
from pathlib import Path

from run import BIN, free_port, measure, server

MAIN = "/events?actor=dprk&from=2024-06-01&to=2024-06-30&limit=50"


def body_bytes(url: str, coding: str) -> int:
    request = urllib.request.Request(url, headers={"Accept-Encoding": coding})
    with urllib.request.urlopen(request, timeout=60) as response:
        return len(response.read())  # urllib does not decode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--build", action="append", required=True, help="NAME=CHECKOUT")
    parser.add_argument("--path", default=MAIN)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--codings", default="identity,gzip,br")
    args = parser.parse_args()
    builds = [b.split("=", 1) for b in args.build]
    for rep in range(args.reps):
        for cache in ("off", "hit"):
            # Alternate which build goes first, so a drift in the VM's speed favours neither.
            for name, checkout in builds if rep % 2 == 0 else builds[::-1]:
                port = free_port()
                cmd = [str(BIN / "claimline"), "serve", "--port", str(port), "--workers", "1",
                       "--log-level", "warning"]  # fmt: skip
                env = {"DATABASE_URL": f"sqlite:///{args.db.resolve()}",
                       "CLAIMLINE_RESPONSE_CACHE_MIB": "0" if cache == "off" else "64"}  # fmt: skip
                if checkout != ".":
                    env["PYTHONPATH"] = str(Path(checkout).resolve())
                base = f"http://127.0.0.1:{port}"
                with server(cmd, env, f"{base}/readyz") as (proc, _):
                    for coding in args.codings.split(","):
                        header = None if coding == "identity" else f"Accept-Encoding: {coding}"
                        r = measure(proc, base + args.path, args, header)
                        size = body_bytes(base + args.path, coding)
                        print(f"rep {rep + 1} cache {cache} {name} {coding}: {r['rps']:.0f} req/s, "
                              f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
                              f"{r['cpu_ms']:.3f} CPU ms/req, {size} B, non-2xx {r['errors']}",
                              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
