"""Settings, all read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Each setting: environment variable, default, help. README's configuration table lists
# the same three columns and a test checks that the two agree.
SETTINGS_HELP: dict[str, str] = {
    "DATABASE_URL": "SQLAlchemy URL of the database. Default: SQLite file data/claimline.db "
    "under the project root (folder created on demand). postgresql:// and postgres:// URLs "
    "are used with the psycopg 3 driver.",
    "CLAIMLINE_SEEDS_DIR": "Folder of curated seed files. Default: seeds/ under the project root.",
    "CLAIMLINE_RESPONSE_CACHE": "Entries in each server's in-memory cache of full responses, keyed "
    "by data version and URL; 0 turns it off (ETags and 304s stay). Default: 1024.",
    "CLAIMLINE_THREADS": "Threads per server process running database work. Default: 2.",
    "CLAIMLINE_META_TTL": "Seconds a server trusts its cached data version before re-reading it "
    "(conditional requests are answered from it without a database query). Default: 1.",
}


def normalize_database_url(url: str) -> str:
    """Let operators paste the URL their platform gives them (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'data' / 'claimline.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    seeds_dir: Path
    meta_ttl: float = 1.0
    response_cache: int = 1024
    threads: int = 2

    @classmethod
    def from_env(cls) -> Settings:
        url = os.environ.get("DATABASE_URL") or default_database_url()
        seeds = os.environ.get("CLAIMLINE_SEEDS_DIR") or str(PROJECT_ROOT / "seeds")
        ttl = float(os.environ.get("CLAIMLINE_META_TTL") or 1.0)
        cache = int(os.environ.get("CLAIMLINE_RESPONSE_CACHE") or 1024)
        threads = int(os.environ.get("CLAIMLINE_THREADS") or 2)
        return cls(normalize_database_url(url), Path(seeds), ttl, cache, threads)
