"""The response cache, the 304 path and the bare ceiling for several builds, interleaved:
for comparing their shares of the ceiling when the VM's speed moves between runs.

    python bench/interleave.py --build before=/tmp/base:/tmp/base1m.db \\
        --build after=/tmp/after:/tmp/new1m.db [--reps 3] [--duration 8]

Each build is NAME=CHECKOUT:DB: `claimline serve` runs with PYTHONPATH=CHECKOUT (a
`git worktree` of that build) on the SQLite file DB, 1 worker, response cache on. Each rep
measures every build's cached main query and its 304, then the bare ceiling serving the
last build's body, as bench/run.py measures them (2 s warm-up, `wrk -t2 -c32`).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import urllib.request
from pathlib import Path

from run import BIN, free_port, measure, server

MAIN = "/events?actor=dprk&from=2024-06-01&to=2024-06-30&limit=50"


def _cache_env(checkout: str) -> dict[str, str]:
    """The cache on, in the build's own terms: a build that sizes it in MiB refuses the old
    variable, and an older one ignores the new."""
    config = Path(checkout, "app", "config.py").read_text(encoding="utf-8")
    if "CLAIMLINE_RESPONSE_CACHE_MIB" in config:
        return {"CLAIMLINE_RESPONSE_CACHE_MIB": "64"}
    return {"CLAIMLINE_RESPONSE_CACHE": "1024"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="append", required=True, help="NAME=CHECKOUT:DB")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    builds = {}
    for spec in args.build:
        name, _, rest = spec.partition("=")
        checkout, _, db = rest.partition(":")
        builds[name] = (checkout, db)
    body = Path(tempfile.mkdtemp(prefix="claimline-interleave-")) / "body.json"
    results: dict[str, list[float]] = {}
    for rep in range(args.reps):
        for name, (checkout, db) in builds.items():
            port = free_port()
            env = {
                "PYTHONPATH": checkout,
                "DATABASE_URL": f"sqlite:///{db}",
                **_cache_env(checkout),
            }
            cmd = [str(BIN / "claimline"), "serve", "--port", str(port), "--log-level", "warning"]
            with server(cmd, env, f"http://127.0.0.1:{port}/readyz") as (proc, _ready):
                url = f"http://127.0.0.1:{port}{MAIN}"
                with urllib.request.urlopen(url) as response:
                    etag = response.headers["etag"]
                    body.write_bytes(response.read())
                cached = measure(proc, url, args)
                not_modified = measure(proc, url, args, header=f"If-None-Match: {etag}")
            results.setdefault(f"{name}: response cache", []).append(cached["rps"])
            results.setdefault(f"{name}: 304", []).append(not_modified["rps"])
            print(f"rep {rep + 1} {name}: cached {cached['rps']:.0f}, "
                  f"304 {not_modified['rps']:.0f} req/s", flush=True)  # fmt: skip
        port = free_port()
        cmd = [str(BIN / "uvicorn"), "bench.bare_asgi:app", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
        with server(cmd, {"BARE_BODY": str(body)}, f"http://127.0.0.1:{port}/") as (proc, _):
            ceiling = measure(proc, f"http://127.0.0.1:{port}/", args)
        results.setdefault("bare ASGI ceiling", []).append(ceiling["rps"])
        print(f"rep {rep + 1} ceiling: {ceiling['rps']:.0f} req/s", flush=True)
    top = statistics.median(results["bare ASGI ceiling"])
    print(f"\nmedians of {args.reps} interleaved runs\n\n| path | req/s | % of ceiling |")
    print("| --- | ---: | ---: |")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.0f} | {median / top:.1%} |")


if __name__ == "__main__":
    main()
