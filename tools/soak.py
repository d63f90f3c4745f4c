"""A bounded soak: `claimline serve --workers 2` under wrk on loopback for N minutes, over
at least a thousand distinct URLs (lists, facets, search, timeline, claims, one event, one
actor, one document), reporting per interval the requests served, the errors (non-2xx/3xx
answers and socket errors), p50 and p99 latency, and each worker's RSS at start and end.

    python3 tools/soak.py --database sqlite            # 5 one-minute intervals
    python3 tools/soak.py --database postgresql --minutes 1 --interval 20

It talks to the service over HTTP only and starts it with the `claimline` command of the
Python running it, so it imports nothing from app/. wrk is Debian's (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# wrk's Lua: each thread walks the URL list from its own random start; done() prints one
# JSON line that this script parses.
LUA = """
local paths = {}
for line in io.lines("%(urls)s") do paths[#paths + 1] = line end
local i = 0
function init(args) i = math.random(#paths) end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %%d, "status_errors": %%d, "socket_errors": %%d, "connect": %%d, ' ..
    '"read": %%d, "write": %%d, "timeout": %%d, "p50_ms": %%.2f, ' ..
    '"p99_ms": %%.2f, "max_ms": %%.2f}\\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)


@contextlib.contextmanager
def database(kind: str, work: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{work / 'claimline.db'}"
        return
    name = f"claimline_soak_{uuid.uuid4().hex[:8]}"
    admin = urllib.parse.urlsplit(POSTGRES_ADMIN)
    psql = ["psql", "-h", admin.hostname or "", "-U", admin.username or "", "-d", "postgres",
            "-q", "-c"]  # fmt: skip
    subprocess.run([*psql, f'CREATE DATABASE "{name}"'], check=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False)


@contextlib.contextmanager
def server(url: str, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    claimline = Path(sys.executable).parent / "claimline"
    env = dict(os.environ, DATABASE_URL=url)
    command = [str(claimline), "serve", "--workers", "2", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while True:
            if _status(f"http://127.0.0.1:{port}/readyz") == 200:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.5)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def workers(parent: int) -> dict[int, int]:
    """pid -> RSS in KiB of the server's worker processes (uvicorn's children)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            status = (entry / "status").read_text()
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            command = (entry / "cmdline").read_bytes()
            # uvicorn's children, less multiprocessing's resource tracker.
            tracker = b"resource_tracker" in command
            if int(fields["PPid"]) == parent and "VmRSS" in fields and not tracker:
                out[int(entry.name)] = int(fields["VmRSS"].split()[0])
    return out


def urls(base: str, minimum: int) -> list[str]:
    """At least `minimum` distinct GET paths over the API's main shapes, all answering 200."""
    actors = [a["id"] for a in get_json(f"{base}/actors")]
    documents = [d["id"] for d in get_json(f"{base}/documents")]
    events = get_json(f"{base}/events?limit=500")["data"]
    words = sorted({w.strip(",.:;()'\"").lower() for e in events for w in e["title"].split()
                    if len(w) > 4 and w.isascii() and w.strip(",.:;()'\"").isalpha()})  # fmt: skip
    years = sorted({e["date"]["earliest"][:4] for e in events if e.get("date")})
    paths: set[str] = set()
    for limit in (1, 2, 5, 10, 20, 50):
        for actor in actors:
            paths.add(f"/events?actor={actor}&limit={limit}")
            paths.add(f"/timeline?actor={actor}&limit={limit}")
            paths.add(f"/claims?claimant={actor}&limit={limit}")
        for document in documents:
            paths.add(f"/events?document={document}&limit={limit}")
        for word in words:
            paths.add(f"/events?q={urllib.parse.quote(word)}&limit={limit}")
    for actor in actors:
        paths |= {f"/events/facets?actor={actor}", f"/actors/{actor}"}
        for year in years:
            paths.add(f"/events/facets?actor={actor}&from={year}&to={year}")
    paths |= {f"/events/{e['id']}" for e in events} | {f"/documents/{d}" for d in documents}
    paths |= {f"/events?from={y}&to={y}" for y in years} | {"/events", "/events/facets", "/actors"}
    chosen = sorted(paths)
    random.Random(1).shuffle(chosen)
    # Only URLs that answer 200: an error in the soak is then the service's.
    kept = [p for p in chosen if _status(base + p) == 200]
    if len(kept) < minimum:
        raise SystemExit(f"only {len(kept)} distinct URLs answer 200; need {minimum}")
    return kept


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0  # not listening yet


def soak(args: argparse.Namespace) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp, database(args.database, Path(tmp)) as url:
        work, port = Path(tmp), free_port()
        base = f"http://127.0.0.1:{port}"
        with server(url, port, work / "server.log") as proc:
            paths = urls(base, args.min_urls)
            (work / "urls.txt").write_text("\n".join(paths) + "\n")
            (work / "soak.lua").write_text(LUA % {"urls": work / "urls.txt"})
            start_rss = workers(proc.pid)
            intervals = []
            for _ in range(max(1, round(args.minutes * 60 / args.interval))):
                result = subprocess.run(
                    [wrk, "-t", str(args.threads), "-c", str(args.connections),
                     "-d", f"{args.interval}s", "-s", str(work / "soak.lua"), base],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                line = [x for x in result.stdout.splitlines() if x.startswith("{")][-1]
                intervals.append(json.loads(line))
                print(json.dumps(intervals[-1]), flush=True)
            end_rss = workers(proc.pid)
    return {"database": args.database, "urls": len(paths), "interval_s": args.interval,
            "connections": args.connections, "intervals": intervals,
            "rss_kib_start": start_rss, "rss_kib_end": end_rss}  # fmt: skip


def markdown(report: dict[str, Any]) -> str:
    rows = ["| interval | requests | errors | p50 ms | p99 ms |", "| --- | --- | --- | --- | --- |"]
    for i, r in enumerate(report["intervals"], 1):
        errors = r["status_errors"] + r["socket_errors"]
        rows.append(f"| {i} | {r['requests']} | {errors} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |")
    total = sum(r["requests"] for r in report["intervals"])
    errors = sum(r["status_errors"] + r["socket_errors"] for r in report["intervals"])
    start, end = report["rss_kib_start"], report["rss_kib_end"]
    rss = ", ".join(f"pid {pid}: {start[pid] // 1024} MiB -> {end.get(pid, 0) // 1024} MiB"
                    for pid in sorted(start))  # fmt: skip
    return (f"{report['database']}: {total} requests, {errors} errors, over {report['urls']} "
            f"distinct URLs, {report['connections']} connections, intervals of "
            f"{report['interval_s']} s; worker RSS {rss}\n\n" + "\n".join(rows))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--minutes", type=float, default=5, help="default: %(default)s")
    parser.add_argument("--interval", type=int, default=60, help="seconds a line reports")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--min-urls", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    report = soak(args)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    print(markdown(report))
    errors = sum(r["status_errors"] + r["socket_errors"] for r in report["intervals"])
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
