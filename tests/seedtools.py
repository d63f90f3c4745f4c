"""Helpers for tests that edit a copy of the seeds or compare database contents."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, select

from app.loader.read import _SeedYamlLoader
from app.models import TABLES_IN_LOAD_ORDER


class _FastSeedYamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The loader's reading of the seeds, parsed by libyaml: the tests edit the seeds often,
    and the loader itself still reads them with its own parser."""


_FastSeedYamlLoader.yaml_implicit_resolvers = _SeedYamlLoader.yaml_implicit_resolvers
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def read(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_FastSeedYamlLoader)


def write(path: Path, data: Any) -> None:
    text = yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")


def edit(path: Path, change: Callable[[Any], None]) -> None:
    data = read(path)
    change(data)
    write(path, data)


def find(records: list[dict[str, Any]], record_id: str) -> dict[str, Any]:
    return next(r for r in records if r["id"] == record_id)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    out = {}
    with engine.connect() as conn:
        for table in TABLES_IN_LOAD_ORDER:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows]
    return out


# The events the curators mark as background (`context: true`), in timeline order: the
# seeds' judgement, each with its reason in `context_reason` (seeds/README.md).
CONTEXT_EVENTS = [
    "kim-pledges-to-improve-nuclear-programme",
    "kim-putin-summit-vladivostok-2019",
    "kim-putin-summits-recent-years",
    "ukr-kursk-incursion-2024-08",
    "dprk-russia-defence-treaty-ratified",
    "west-sanctions-on-dprk-and-russia",
]
