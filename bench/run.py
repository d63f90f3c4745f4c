"""Claimline against Datasette and a bare ASGI ceiling, on one database file, with wrk.

    python bench/run.py --db /path/to/1m.db [--duration 10] [--reps 3]

Prepare the database with `claimline generate --events 1000000 --out /path/to/1m.db`.
Needs `wrk` (Debian package) on PATH; Datasette is installed into bench/.venv-datasette on
first use. Everything listens on 127.0.0.1 only. See docs/benchmarks.md for results.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DS_VENV = ROOT / "bench" / ".venv-datasette"
CLK_TCK = os.sysconf("SC_CLK_TCK")
DPRK = ["dprk", "dprk-army", "dprk-intel", "dprk-leader", "dprk-officials"]
FROM, TO = "2024-06-01", "2024-06-30"

# The main shape for Datasette, written as a careful journalist would: the same rows, the
# same nesting (SQLite JSON functions), the same order, with the year-long lookback bound.
DATASETTE_EVENTS = """
select e.id, e.type, e.title, e.summary, e.date_edtf, e.date_earliest, e.date_latest,
  e.date_precision,
  (select json_group_array(json_object('actor', ea.actor_id, 'role', ea.role))
     from event_actors ea where ea.event_id = e.id) as actors,
  (select json_group_array(json_object(
      'id', c.id, 'claimant', c.claimant_id, 'document', c.document_id, 'quote', c.quote,
      'quote_start', c.quote_start, 'quote_end', c.quote_end, 'stance', c.stance,
      'hedge', c.hedge, 'known_from', c.known_from,
      'via', (select json_group_array(v.actor_id) from claim_via v where v.claim_id = c.id),
      'figures', (select json_group_array(json_object('quantity', f.quantity, 'low', f.low,
                    'high', f.high, 'qualifier', f.qualifier, 'unit', f.unit))
                  from figures f where f.claim_id = c.id)))
     from claims c where c.event_id = e.id) as claims
from events e
"""
DATASETTE_MAIN_WHERE = f"""
where exists (select 1 from event_actors x where x.event_id = e.id
              and x.actor_id in ({", ".join(f"'{a}'" for a in DPRK)}))
  and e.date_latest >= :from and e.date_earliest <= :to
  and e.date_earliest >= date(:from, '-365 days')
"""
DATASETTE_SQL = DATASETTE_EVENTS + DATASETTE_MAIN_WHERE + "order by e.date_earliest, e.id limit 50"
# The facet shape: the main shape's events counted by type.
DATASETTE_FACET_SQL = (
    "select e.type as value, count(*) as count from events e" + DATASETTE_MAIN_WHERE
    + "group by e.type order by count desc, e.type"
)  # fmt: skip
# The search shape, through the same FTS5 index the service reads.
SEARCH_WORD = "casualties"
DATASETTE_SEARCH_SQL = (
    DATASETTE_EVENTS
    + """
where e.id in (select s.event_id from search_entries s
               where s.id in (select rowid from search_fts where search_fts match :q))
order by e.date_earliest, e.id limit 50
"""
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"not ready: {url}")


LOGS = Path(tempfile.mkdtemp(prefix="claimline-bench-"))


@contextmanager
def server(
    cmd: list[str], env: dict[str, str], ready_url: str
) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    log = LOGS / f"{Path(cmd[0]).name}-{ready_url.split(':')[2].split('/')[0]}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        try:
            ready = wait_ready(ready_url, proc)
        except RuntimeError:
            sys.stderr.write(f"--- {log}:\n{log.read_text()[-4000:]}\n")
            raise
        yield proc, ready
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def tree(pid: int) -> list[int]:
    out = [pid]
    for child in subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True
    ).stdout.split():
        out += tree(int(child))
    return out


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (FileNotFoundError, IndexError):
            pass
    return total


def peak_rss_mib(pid: int) -> float:
    total = 0
    for p in tree(pid):
        try:
            m = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{p}/status").read_text())
            total += int(m.group(1)) if m else 0
        except FileNotFoundError:
            pass
    return total / 1024


def wrk(url: str, seconds: int, connections: int, header: str | None = None) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if header:
        cmd += ["-H", header]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]

    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50": ms("50%"), "p99": ms("99%"), "requests": requests,
            "errors": int(errors.group(1)) if errors else 0}  # fmt: skip


def measure(
    proc: subprocess.Popen[bytes], url: str, args: argparse.Namespace, header: str | None = None
) -> dict[str, float]:
    wrk(url, 2, args.connections, header)  # warm-up
    before = cpu_seconds(proc.pid)
    result = wrk(url, args.duration, args.connections, header)
    result["cpu_ms"] = (cpu_seconds(proc.pid) - before) * 1000 / max(result["requests"], 1)
    result["rss"] = peak_rss_mib(proc.pid)
    result["alone_ms"] = float("nan")
    if result["requests"] == 0:
        # Nothing finished under load: time one request on an idle server instead.
        time.sleep(args.duration)  # let the queued requests drain
        start = time.monotonic()
        headers = dict([header.split(": ", 1)]) if header else {}
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=600) as r:
            r.read()
        result["alone_ms"] = (time.monotonic() - start) * 1000
    return result


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as r:
        return str(r.read().decode())


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


def ensure_datasette() -> Path:
    exe = DS_VENV / "bin" / "datasette"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(DS_VENV)], check=True)
        subprocess.run(
            [str(DS_VENV / "bin" / "pip"), "install", "-q", "datasette==0.65.5"], check=True
        )
    return exe


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--postgres-url", help="a PostgreSQL database holding the same data")
    parser.add_argument(
        "--small-db", type=Path, help="the same generator at 10k events, for the growth ratio"
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    db = args.db.resolve()
    sqlite_url = f"sqlite:///{db}"
    main_q = urllib.parse.urlencode({"actor": "dprk", "from": FROM, "to": TO, "limit": 50})
    shapes = {
        "main: actor + month + limit 50": f"/events?{main_q}",
        "rare actor, all dates": "/events?actor=fra-leader&limit=50",
        "claimant filter": "/events?claimant=kor-intel&from=2025-01&to=2025-03&limit=50",
        "claims by claimant": "/claims?claimant=usa-intel&limit=50",
    }
    facet_q = urllib.parse.urlencode({"actor": "dprk", "from": FROM, "to": TO, "facet": "type"})
    search_q = urllib.parse.urlencode({"q": SEARCH_WORD, "limit": 50})
    shapes["facet: type counts, actor + month"] = f"/events/facets?{facet_q}"
    shapes["facets: all four, actor + month"] = "/events/facets?" + urllib.parse.urlencode(
        {"actor": "dprk", "from": FROM, "to": TO}
    )
    # A sidebar's first load: every facet of everything, then of one year.
    shapes["facets: all four, no filter"] = "/events/facets"
    shapes["facets: all four, one year"] = "/events/facets?from=2024&to=2024"
    shapes["search: one word, all dates"] = f"/events?{search_q}"
    shapes["search: word + actor + month"] = f"/events?{main_q}&q={SEARCH_WORD}"
    results: dict[str, list[dict[str, float]]] = {}
    tmp = Path(tempfile.mkdtemp())

    def claimline(workers: int, cache_mib: int, url: str = sqlite_url) -> Any:
        port = free_port()
        cmd = [str(BIN / "claimline"), "serve", "--port", str(port), "--workers", str(workers),
               "--log-level", "warning"]  # fmt: skip
        env = {"DATABASE_URL": url, "CLAIMLINE_RESPONSE_CACHE_MIB": str(cache_mib)}
        return server(cmd, env, f"http://127.0.0.1:{port}/readyz"), f"http://127.0.0.1:{port}"

    # Reference answer, and the body for the bare ceiling.
    ctx, base = claimline(1, 0)
    with ctx as (_proc, ready_s):
        reference = urllib.request.urlopen(base + shapes["main: actor + month + limit 50"]).read()
        deep = get_json(base + "/events?limit=500")
        for _ in range(20):  # walk 20 pages in for a deep cursor
            deep = get_json(deep["next"])
        shapes["deep cursor page (page 21 of all events)"] = deep["next"].replace(base, "")
        # Every shape's body, for the PostgreSQL server to match (links name the server).
        sqlite_bodies = {
            shape: get_text(base + path).replace(base, "") for shape, path in shapes.items()
        }
    print(f"claimline serve ready in {ready_s:.2f} s on {db.name}")
    ref_ids = [e["id"] for e in json.loads(reference)["data"]]
    (tmp / "body.json").write_bytes(reference)

    if args.postgres_url:
        ctx, base = claimline(1, 0, args.postgres_url)
        with ctx:
            for shape, path in shapes.items():
                assert get_text(base + path).replace(base, "") == sqlite_bodies[shape], (
                    f"PostgreSQL and SQLite disagree on {shape}"
                )
        print("PostgreSQL returns the same bodies as SQLite for every shape", flush=True)

    ds = ensure_datasette()
    canned = {"main": {"sql": DATASETTE_SQL}, "facet": {"sql": DATASETTE_FACET_SQL},
              "search": {"sql": DATASETTE_SEARCH_SQL}}  # fmt: skip
    (tmp / "metadata.json").write_text(json.dumps({"databases": {db.stem: {"queries": canned}}}))

    def datasette() -> Any:
        port = free_port()
        cmd = [str(ds), "serve", "-i", str(db), "-m", str(tmp / "metadata.json"), "-p", str(port),
               "--setting", "sql_time_limit_ms", "20000", "--setting", "num_sql_threads", "3"]  # fmt: skip
        return server(cmd, {}, f"http://127.0.0.1:{port}/-/versions.json"), (
            f"http://127.0.0.1:{port}/{db.stem}/main.json?"
            + urllib.parse.urlencode({"from": FROM, "to": TO, "_shape": "array", "_json": "claims"})
        )

    def bare() -> Any:
        port = free_port()
        cmd = [
            str(BIN / "uvicorn"),
            "bench.bare_asgi:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        return server(
            cmd, {"BARE_BODY": str(tmp / "body.json")}, f"http://127.0.0.1:{port}/"
        ), f"http://127.0.0.1:{port}/"

    ctx, url = datasette()
    ds_base = url.split("/main.json")[0]
    ds_shapes = {
        "datasette canned query: facet": f"{ds_base}/facet.json?"
        + urllib.parse.urlencode({"from": FROM, "to": TO, "_shape": "array"}),
        "datasette canned query: search": f"{ds_base}/search.json?"
        + urllib.parse.urlencode({"q": f'"{SEARCH_WORD}"', "_shape": "array", "_json": "claims"}),
    }
    with ctx:
        ds_ids = [row["id"] for row in get_json(url)]
        assert ds_ids == ref_ids, ("Datasette and Claimline disagree", ds_ids[:5], ref_ids[:5])
        print(f"same {len(ref_ids)} events from Claimline and Datasette")
        ds_facet = get_json(ds_shapes["datasette canned query: facet"])
        ds_search = [row["id"] for row in get_json(ds_shapes["datasette canned query: search"])]
    ctx, base = claimline(1, 0)
    with ctx:
        ours = get_json(base + shapes["facet: type counts, actor + month"])["facets"]["type"]
        assert [(r["value"], r["count"]) for r in ds_facet] == [
            (r["value"], r["count"]) for r in ours
        ], ("facet counts differ", ds_facet, ours)
        found = [e["id"] for e in get_json(base + shapes["search: one word, all dates"])["data"]]
        assert ds_search == found, ("search results differ", ds_search[:5], found[:5])
    print(f"same type counts ({len(ours)} types) and same {len(found)} search hits")

    main_path = shapes["main: actor + month + limit 50"]
    runs = {
        "claimline 1 worker": lambda: claimline(1, 0),
        "claimline 2 workers": lambda: claimline(2, 0),
        "datasette canned query": datasette,
        "bare ASGI ceiling": bare,
    }
    if args.small_db:
        # Interleaved with the 1M runs: measured after them, the growth ratio took the VM's
        # drift over the run for the data's (0.73x in run J of docs/benchmarks.md).
        small = f"sqlite:///{args.small_db.resolve()}"
        runs["claimline 1 worker, 10k events"] = lambda: claimline(1, 0, small)
    for rep in range(args.reps):  # interleaved repetitions
        for name, start in runs.items():
            ctx, base_or_url = start()
            with ctx as (proc, _):
                url = base_or_url if not name.startswith("claimline") else base_or_url + main_path
                results.setdefault(name, []).append(measure(proc, url, args))
            print(f"rep {rep + 1} {name}: {results[name][-1]['rps']:.1f} req/s", flush=True)

    # Repeated identical requests: the response cache, and 304s.
    ctx, base = claimline(1, 64)
    with ctx as (proc, _):
        results["claimline 1 worker, cached"] = [measure(proc, base + main_path, args)]
        etag = urllib.request.urlopen(base + main_path).headers["etag"]
        results["claimline 1 worker, 304"] = [
            measure(proc, base + main_path, args, f"If-None-Match: {etag}")
        ]
    ctx, base = claimline(1, 0)
    with ctx as (proc, _):
        for shape, path in shapes.items():
            if path != main_path:
                results[f"shape: {shape}"] = [measure(proc, base + path, args)]
                print(f"{shape}: {results[f'shape: {shape}'][0]['rps']:.1f} req/s", flush=True)

    ctx, url = datasette()  # a new port: the shape URLs move with it
    with ctx as (proc, _):
        for name, ds_url in ds_shapes.items():
            ds_url = ds_url.replace(ds_base, url.split("/main.json")[0])
            results[name] = [measure(proc, ds_url, args)]
            print(f"{name}: {results[name][0]['rps']:.1f} req/s", flush=True)

    if args.postgres_url:
        ctx, base = claimline(1, 0, args.postgres_url)
        with ctx as (proc, _):
            results["claimline 1 worker, PostgreSQL"] = [
                measure(proc, base + main_path, args) for _ in range(args.reps)
            ]
            for shape, path in shapes.items():
                if path != main_path:
                    name = f"PostgreSQL shape: {shape}"
                    results[name] = [measure(proc, base + path, args)]
                    print(f"{name}: {results[name][0]['rps']:.1f} req/s", flush=True)

    report(results, args)
    if "claimline 1 worker, 10k events" in results:
        big = statistics.median(r["p50"] for r in results["claimline 1 worker"])
        small_p50 = statistics.median(r["p50"] for r in results["claimline 1 worker, 10k events"])
        print(f"\ngrowth: main-query p50 {big:.2f} ms at {db.name} vs {small_p50:.2f} ms at 10k: "
              f"{big / small_p50:.2f}x")  # fmt: skip


# The Datasette canned query each shape is compared with, where there is one of its own.
SAME_SHAPE = {"facet: type counts": "datasette canned query: facet",
              "search: one word": "datasette canned query: search"}  # fmt: skip


def report(results: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    med = {
        name: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        for name, runs in results.items()
        if runs
    }
    (LOGS / "results.json").write_text(json.dumps(results, indent=1))
    ceiling = med["bare ASGI ceiling"]["rps"]
    print(f"\nmedians of {args.reps} interleaved runs (wrk -t2 -c{args.connections} "
          f"-d{args.duration}s); every run in {LOGS / 'results.json'}\n")  # fmt: skip
    print("| server / shape | req/s | p50 ms | p99 ms | server CPU ms/req | peak RSS MiB | "
          "× Datasette (same shape) | % of ceiling | non-2xx |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, m in med.items():
        # Shapes with no Datasette query of their own are not compared.
        main_shape = "shape:" not in name and not name.startswith("datasette")
        ref = next((v for k, v in SAME_SHAPE.items() if k in name),
                   "datasette canned query" if main_shape else None)  # fmt: skip
        ds = med[ref]["rps"] if ref in med else None
        times = f"{m['rps'] / ds:.2f}" if ds else "—"
        rps = f"{m['rps']:.1f}"
        if m["requests"] == 0:
            rps = f"0 (none in {args.duration} s; alone: {m['alone_ms']:.0f} ms)"
            times = "—"
        print(f"| {name} | {rps} | {m['p50']:.1f} | {m['p99']:.1f} | {m['cpu_ms']:.2f} | "
              f"{m['rss']:.0f} | {times} | {100 * m['rps'] / ceiling:.1f} % | {m['errors']:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
