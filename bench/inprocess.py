"""CPU per request of mix shapes, in one thread, with an optional profile: for seeing where a
shape's time goes without a server, wrk or a second core.

    python bench/inprocess.py --db /tmp/10k.db --shapes via_quarter,hedge_actor [-n 300]
        [--order desc] [--also hedge=reported] [--profile] [--sort tottime] [--lines 40]

Each shape's n distinct URLs (bench/mix.py's, same seed) go through the whole ASGI app
(middlewares, the fast route, FastAPI) in this thread: FastAPI's thread-pool hop is made
inline so that cProfile sees the handlers. Response cache off. `--order desc` asks each URL
newest first (a paged shape's cursor then in that direction); `--also` adds a filter to
every URL, for a shape's neighbours that the fast route declines. Run it with PYTHONPATH set to
another checkout, from that checkout's folder, to compare builds:
`cd /tmp/before && PYTHONPATH=. python /path/to/bench/inprocess.py …`. Times are process CPU, without HTTP parsing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import json
import os
import pstats
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import fastapi.dependencies.utils
import fastapi.routing
import httpx
import starlette.concurrency

from bench import mix


def _path(ask: mix.Ask, order: str) -> str:
    """The shape's URL, newest first with `order` desc: its cursor made in that direction
    (a desc cursor carries a fourth element, app/cursor.py)."""
    if order == "asc":
        return ask.path()
    extra = [("order", "desc")]
    if ask.cursor is not None and ask.cursor[0]:
        raw = json.dumps(["events", *ask.cursor, "desc"], separators=(",", ":")).encode()
        extra.append(("cursor", base64.urlsafe_b64encode(raw).decode().rstrip("=")))
    return replace(ask, cursor=None).path() + "&" + urllib.parse.urlencode(extra)


async def _inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


async def _run(app: Any, paths: list[str], profile: cProfile.Profile | None) -> float:
    transport = httpx.ASGITransport(app=app)
    # Uncompressed, as wrk asks in bench/mix.py (httpx would ask for every coding).
    client = httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers={"Accept-Encoding": "identity"}
    )
    async with app.router.lifespan_context(app), client:
        for path in paths[:20]:  # warm-up: statements, catalogs
            response = await client.get(path)
            assert response.status_code == 200, (path, response.text)
        started = time.process_time()
        if profile is not None:
            profile.enable()
        for path in paths:
            response = await client.get(path)
            assert response.status_code == 200, (path, response.text)
        if profile is not None:
            profile.disable()
        return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--shapes", default=",".join(s.key for s in mix.SHAPES))
    parser.add_argument("-n", type=int, default=300, help="distinct URLs per shape")
    parser.add_argument("--order", choices=("asc", "desc"), default="asc")
    parser.add_argument(
        "--also", default="", help="query text added to every URL (e.g. hedge=reported)"
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args()
    os.environ["CLAIMLINE_RESPONSE_CACHE_MIB"] = "0"
    for module in (fastapi.routing, fastapi.dependencies.utils, starlette.concurrency):
        module.run_in_threadpool = _inline  # type: ignore[attr-defined]
    from app.main import create_app

    pool = mix.load_pool(args.db, 1, 4000)
    for key in args.shapes.split(","):
        asks = mix.shape_asks(mix.BY_KEY[key], pool, 1, args.n)
        paths = [_path(ask, args.order) + (f"&{args.also}" if args.also else "") for ask in asks]
        app = create_app(f"sqlite:///{args.db}")
        profile = cProfile.Profile() if args.profile else None
        spent = asyncio.run(_run(app, paths, profile))
        print(f"{key:18} {len(paths):5} URLs  {spent / len(paths) * 1000:6.2f} ms CPU/request")
        if profile is not None:
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.lines)


if __name__ == "__main__":
    main()
