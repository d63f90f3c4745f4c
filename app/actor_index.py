"""Resolve what a client types (`DPRK`, `corée du nord`, `NIS`) to actors and their sub-actors."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from app.aliases import normalize_name
from app.models import actor_aliases_table as AL
from app.models import actors_table as A


@dataclass(frozen=True)
class ActorInfo:
    id: str
    name: str
    kind: str
    parent_id: str | None


@dataclass(frozen=True)
class Resolution:
    input: str
    actor: ActorInfo
    matched: str
    includes: tuple[str, ...]


class UnknownActorError(ValueError):
    def __init__(self, value: str, suggestions: list[ActorInfo]) -> None:
        self.value = value
        self.suggestions = suggestions
        super().__init__(value)


@dataclass
class ActorIndex:
    actors: dict[str, ActorInfo] = field(default_factory=dict)
    # normalised name -> (actor id, the name as written)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls, conn: Connection) -> ActorIndex:
        actors = conn.execute(select(A.c.id, A.c.name, A.c.kind, A.c.parent_id))
        aliases = conn.execute(select(AL.c.normalized, AL.c.actor_id, AL.c.name))
        return cls.from_rows(actors, aliases)

    @classmethod
    def from_rows(
        cls,
        actors: Iterable[tuple[str, str, str, str | None]],
        aliases: Iterable[tuple[str, str, str]],
    ) -> ActorIndex:
        """From (id, name, kind, parent_id) and (normalized, actor_id, name) rows."""
        index = cls()
        for actor_id, name, kind, parent_id in actors:
            info = ActorInfo(actor_id, name, kind, parent_id)
            index.actors[info.id] = info
            if info.parent_id is not None:
                index.children[info.parent_id].append(info.id)
        for normalized, actor_id, name in aliases:
            index.names[normalized] = (actor_id, name)
        # Ids and display names match too; an explicit alias wins a clash.
        for info in index.actors.values():
            index.names.setdefault(normalize_name(info.id), (info.id, info.id))
            index.names.setdefault(normalize_name(info.name), (info.id, info.name))
        for kids in index.children.values():
            kids.sort()
        return index

    def descendants(self, actor_id: str) -> tuple[str, ...]:
        """The actor and every actor below it, parents first."""
        out, stack = [], [actor_id]
        while stack:
            current = stack.pop(0)
            if current in out:
                continue
            out.append(current)
            stack.extend(self.children.get(current, []))
        return tuple(out)

    def ancestors(self, actor_id: str) -> tuple[str, ...]:
        """The actor and every actor above it, itself first."""
        out = [actor_id]
        parent = self.actors[actor_id].parent_id
        while parent is not None and parent not in out:
            out.append(parent)
            parent = self.actors[parent].parent_id
        return tuple(out)

    def resolve(self, value: str) -> Resolution:
        key = normalize_name(value)
        hit = self.names.get(key)
        if hit is None:
            raise UnknownActorError(value, self.suggest(value))
        actor_id, written = hit
        return Resolution(value, self.actors[actor_id], written, self.descendants(actor_id))

    def suggest(self, value: str, limit: int = 3) -> list[ActorInfo]:
        key = normalize_name(value)
        close = difflib.get_close_matches(key, list(self.names), n=limit * 3, cutoff=0.6)
        if not close:
            close = [name for name in self.names if key and (key in name or name in key)]
        seen: list[ActorInfo] = []
        for name in close:
            info = self.actors[self.names[name][0]]
            if info not in seen:
                seen.append(info)
        return seen[:limit]
