"""Settings, all read from the environment in one place."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal, get_args, get_origin

import annotated_types
from pydantic import Field, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent

# Each setting: environment variable, default, help. README's configuration table lists
# the same three columns and a test checks that the two agree.
SETTINGS_HELP: dict[str, str] = {
    "DATABASE_URL": "SQLAlchemy URL of the database. Default: SQLite file data/claimline.db "
    "under the project root, or under the working directory when installed from a wheel "
    "(folder created on demand). postgresql:// and postgres:// URLs "
    "are used with the psycopg 3 driver.",
    "CLAIMLINE_SEEDS_DIR": "Folder of curated seed files. Default: seeds/ under the project root; "
    "installed from a wheel (no source tree), the copy of seeds/ shipped inside the package.",
    "CLAIMLINE_RESPONSE_CACHE_MIB": "Size in MiB of each server process's in-memory cache of "
    "full responses, keyed by data version, URL and content coding, least recently used "
    "dropped first; 0 turns it off (ETags and 304s stay). Default: 64.",
    "CLAIMLINE_THREADS": "Threads per server process running database work. Default: 2.",
    "CLAIMLINE_META_TTL": "Seconds a server trusts its cached data version before re-reading it "
    "(conditional requests are answered from it without a database query; once expired, it is "
    "re-read in the background while requests go on with it, up to twice this). Default: 1.",
    "CLAIMLINE_SERVE_SEEDS": "What `serve` does when the seeds differ from those the database "
    "was last loaded from: load (load them first), check (refuse to start, saying what to "
    "run) or none (serve the database as it is; an empty one is not loaded either). Data "
    "loaded by other means (claimline generate) is always served as it is. Default: load.",
    "CLAIMLINE_CORS_ORIGINS": "Origins whose browser pages may read the API (CORS): * for any, "
    "or a comma-separated list such as https://app.example,http://localhost:5173. Default: *.",
    "CLAIMLINE_COMPRESS_MIN_BYTES": "Smallest body, in bytes, sent compressed (zstd, br or gzip, "
    "as the client's Accept-Encoding allows) when its type is compressible (JSON, "
    "problem+json, text). Default: 1000.",
    "CLAIMLINE_LOAD_LOCK_TIMEOUT": "Seconds `claimline load` waits for another load's write "
    "transaction to end before it gives up, with a one-line message, writing nothing. "
    "Default: 30.",
    "CLAIMLINE_CACHE_HEADER": "true adds a Claimline-Cache header (hit or miss: whether the "
    "response cache answered) to responses the cache handles. Default: false.",
    # The export formats (app/api/formats/).
    "CLAIMLINE_FEED_ENTRIES": "Entries of the Atom feed (/events.atom, format=atom) when the "
    "request gives no limit: the newest known. The other export formats are not capped. "
    "Default: 100.",
    "CLAIMLINE_MAX_URL_BYTES": "Longest request target (path and query string) in bytes; a "
    "longer one is answered 414 (problem+json). Default: 8192.",
    "CLAIMLINE_MAX_HEADER_BYTES": "Largest total size of a request's headers (names and "
    "values) in bytes; larger is answered 431 (problem+json). Default: 16384.",
    "CLAIMLINE_STATEMENT_TIMEOUT": "Seconds of database work one request may take: "
    "PostgreSQL's statement_timeout on each connection, and on SQLite a progress handler "
    "that interrupts a request's statements past it; a request cut short is answered 503. "
    "0 turns it off. Default: 5.",
    "CLAIMLINE_MAX_SEARCH_WORDS": "Most words a search (q) may hold, 1 to 16 (the search's "
    "own bound); more is answered 422. Default: 16.",
    "CLAIMLINE_MAX_FILTER_VALUES": "Most values one parameter (actor, claimant, via, source, "
    "document, location, type, hedge, facet) may be given in one request; more is answered "
    "422. Default: 50.",
}


# Variables that changed meaning: set, they stop the start rather than be silently ignored.
REPLACED = {
    "CLAIMLINE_RESPONSE_CACHE": "the cache is sized in MiB now: set CLAIMLINE_RESPONSE_CACHE_MIB "
    "(0 turns it off)",
}


# scheme://host[:port], as a browser sends it in `Origin`.
ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s,]+")


class SettingsError(ValueError):
    """A setting's value is not valid; the message has one line per bad variable."""


def bundled_dir(name: str) -> Path:
    """The top-level folder `name` (migrations, seeds): a wheel ships it inside the package
    as `app/_<name>`; from the source tree (editable install, tests) it is the folder itself."""
    packaged = PACKAGE_DIR / f"_{name}"
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


def normalize_database_url(url: str) -> str:
    """Let operators paste the URL their platform gives them (postgres://, postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_database_url() -> str:
    # From a source tree, beside the code; installed from a wheel, never inside
    # site-packages: in the working directory.
    home = PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").is_file() else Path.cwd()
    return f"sqlite:///{home / 'data' / 'claimline.db'}"


def default_seeds_dir() -> Path:
    return bundled_dir("seeds")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        # The variables are named exactly (aliases below), as os.environ spells them.
        case_sensitive=True,
        # `CLAIMLINE_THREADS=` (set but empty) means the default, as it always has.
        env_ignore_empty=True,
        frozen=True,
        allow_inf_nan=False,
    )

    database_url: str = Field(default_factory=default_database_url, alias="DATABASE_URL")
    seeds_dir: Path = Field(default_factory=default_seeds_dir, alias="CLAIMLINE_SEEDS_DIR")
    meta_ttl: float = Field(default=1.0, ge=0, alias="CLAIMLINE_META_TTL")
    response_cache_mib: float = Field(default=64.0, ge=0, alias="CLAIMLINE_RESPONSE_CACHE_MIB")
    threads: int = Field(default=2, ge=1, alias="CLAIMLINE_THREADS")
    serve_seeds: Literal["load", "check", "none"] = Field(
        default="load", alias="CLAIMLINE_SERVE_SEEDS"
    )
    cors_origins: str = Field(default="*", alias="CLAIMLINE_CORS_ORIGINS")
    cache_header: bool = Field(default=False, alias="CLAIMLINE_CACHE_HEADER")
    # Below about a packet, compression saves no round trip and costs CPU.
    compress_min_bytes: int = Field(default=1000, ge=0, alias="CLAIMLINE_COMPRESS_MIN_BYTES")
    feed_entries: int = Field(default=100, ge=1, alias="CLAIMLINE_FEED_ENTRIES")
    load_lock_timeout: float = Field(default=30.0, gt=0, alias="CLAIMLINE_LOAD_LOCK_TIMEOUT")
    # Request limits (README, "Security and limits"): each bounds what one request may cost.
    max_url_bytes: int = Field(default=8192, ge=256, alias="CLAIMLINE_MAX_URL_BYTES")
    max_header_bytes: int = Field(default=16384, ge=1024, alias="CLAIMLINE_MAX_HEADER_BYTES")
    statement_timeout: float = Field(default=5.0, ge=0, alias="CLAIMLINE_STATEMENT_TIMEOUT")
    # At most app.search.MAX_TERMS, which the search itself enforces.
    max_search_words: int = Field(default=16, ge=1, le=16, alias="CLAIMLINE_MAX_SEARCH_WORDS")
    max_filter_values: int = Field(default=50, ge=1, alias="CLAIMLINE_MAX_FILTER_VALUES")

    @field_validator("database_url")
    @classmethod
    def _normalize_url(cls, url: str) -> str:
        return normalize_database_url(url)

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: str) -> str:
        # A browser sends its Origin without a path or trailing slash; a listed
        # `https://app.example/` would never match, and the frontend would just fail.
        origins = [o.strip() for o in value.split(",") if o.strip()]
        if origins != ["*"] and not (origins and all(ORIGIN.fullmatch(o) for o in origins)):
            raise ValueError("* or a comma-separated list of origins such as https://app.example")
        return ",".join(origins)

    @property
    def cors_origin_list(self) -> list[str]:
        return self.cors_origins.split(",")

    @classmethod
    def from_env(cls) -> Settings:
        """The settings from the environment; a bad value raises SettingsError, not a traceback."""
        lines = [
            f"{old}: no longer read; {new}" for old, new in REPLACED.items() if old in os.environ
        ]
        try:
            settings = cls()
        except ValidationError as exc:
            lines += [_problem(cls, error) for error in exc.errors()]
        if lines:
            raise SettingsError("\n".join(lines)) from None
        return settings


def _problem(cls: type[Settings], error: ErrorDetails) -> str:
    """`CLAIMLINE_THREADS: 'abc' is not valid: an integer >= 1`: what is accepted, in words,
    comes from the field's type and bounds, so it cannot drift from them."""
    name = error["loc"][0]
    if error["type"] == "value_error":
        # A validator's own words say what is accepted.
        return f"{name}: {error['input']!r} is not valid: {error['ctx']['error']}"
    info = next(f for f in cls.model_fields.values() if f.alias == name)
    kinds: dict[object, str] = {int: "an integer", float: "a number", Path: "a path",
                                bool: "true or false"}  # fmt: skip
    accepts = kinds.get(info.annotation, "a string")
    if get_origin(info.annotation) is Literal:
        accepts = "one of " + ", ".join(get_args(info.annotation))
    for bound in info.metadata:
        if isinstance(bound, annotated_types.Ge):
            accepts += f" >= {bound.ge}"
        if isinstance(bound, annotated_types.Le):
            accepts += f" <= {bound.le}"
    return f"{name}: {error['input']!r} is not valid: {accepts}"
