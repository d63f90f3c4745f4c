"""One mix shape on several builds in turn, a few times: for before/after figures that a
VM whose speed drifts between two long runs cannot skew.

    python bench/alternate.py --db /tmp/10k.db --shape fixed \\
        --build before=/tmp/before --build after=. [--reps 3] [--cache-mib 0] [--duration 6]

Each build is NAME=CHECKOUT (`.` for this one): `claimline serve` with PYTHONPATH=CHECKOUT,
1 worker, response cache `--cache-mib` (0: off). The URLs are bench/mix.py's for the shape
(same seed), rotated by wrk as there: a 2 s warm-up, then `--duration` seconds of
`wrk -t2 -c32`. Prints req/s, p50, p99 and server CPU per request for each run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import mix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--shape", default="fixed")
    parser.add_argument("--build", action="append", required=True, help="NAME=CHECKOUT")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--cache-mib", default="0")
    parser.add_argument("--duration", type=int, default=6)
    args = parser.parse_args()
    plan_args = argparse.Namespace(urls=4000, seed=1)
    plan = mix.make_plan(args.db.resolve(), plan_args, [args.shape])
    paths = plan.files[args.shape][0]
    builds = [b.split("=", 1) for b in args.build]
    for rep in range(args.reps):
        for name, checkout in builds:
            port = mix.free_port()
            cmd = [str(mix.BIN / "claimline"), "serve", "--port", str(port), "--workers", "1",
                   "--log-level", "warning"]  # fmt: skip
            env = {"DATABASE_URL": f"sqlite:///{args.db.resolve()}",
                   mix.cache_switch(None if checkout == "." else checkout): args.cache_mib}  # fmt: skip
            if checkout != ".":
                env["PYTHONPATH"] = str(Path(checkout).resolve())
            base = f"http://127.0.0.1:{port}"
            with mix.server(cmd, env, f"{base}/readyz") as (proc, _):
                mix.run_wrk(base, paths, 2, 32)
                mix.settle(proc.pid)
                before = mix.cpu_seconds(proc.pid)
                r = mix.run_wrk(base, paths, args.duration, 32)
                cpu = (mix.cpu_seconds(proc.pid) - before) * 1000 / max(r["requests"], 1)
            print(f"rep {rep + 1} {name}: {r['rps']:.0f} req/s, p50 {r['p50']:.1f} ms, "
                  f"p99 {r['p99']:.1f} ms, {cpu:.2f} CPU ms/req", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
