"""Closest-value suggestions for seed problems, the same matching the API's 422s use."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from app.actor_index import ActorIndex
from app.aliases import normalize_name
from app.loader.schemas import SeedActor

_QUOTED = re.compile(r"'([^']*)'")


def actor_index(actors: Iterable[SeedActor]) -> ActorIndex:
    """The API's resolver over the seed actors: ids, names and aliases all match."""
    actors = list(actors)
    rows = [(a.id, a.name, a.kind.value, a.parent) for a in actors]
    aliases = [(normalize_name(al.name), a.id, al.name) for a in actors for al in a.aliases]
    return ActorIndex.from_rows(rows, aliases)


def did_you_mean(candidates: Iterable[str]) -> str:
    close = list(dict.fromkeys(candidates))
    return f"; did you mean {' or '.join(map(repr, close))}?" if close else ""


def close_values(value: str, allowed: Iterable[str], limit: int = 3) -> list[str]:
    """Closest first, as app.state.Places does for place names."""
    return difflib.get_close_matches(value, list(allowed), n=limit, cutoff=0.5)


def enum_hint(error: dict[str, object]) -> str:
    """A pydantic enum error's closest accepted values, read from its `expected` list."""
    ctx = error.get("ctx")
    given = error.get("input")
    if error.get("type") != "enum" or not isinstance(ctx, dict) or not isinstance(given, str):
        return ""
    allowed = _QUOTED.findall(str(ctx.get("expected", "")))
    return did_you_mean(close_values(given, allowed))
