"""Actor mentions in running text, found through the aliases of seeds/actors.yaml.

Names are compared with the app's own normalisation (app.aliases.normalize_name), so a
mention matches exactly when the API's actor filter would resolve it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.actor_index import ActorIndex
from app.aliases import normalize_name
from app.loader.schemas import SeedActor

# Machine translations glue a short word to the name before it ("Zelenskiqui",
# "Austina souligné"): a mention may run on into one of these.
_GLUED_TAILS = frozenset({"a", "qui", "que", "dont", "le", "la", "les", "et", "de", "du", "des"})


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    actor: str
    kind: str


def normalized_with_offsets(text: str) -> tuple[str, list[int]]:
    """`normalize_name` applied character by character, with each output character's index
    in `text` (separators become one space)."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        norm = normalize_name(ch)
        if not norm:
            if unicodedata.combining(ch):
                continue
            norm = " "
        if norm == " " and chars and chars[-1] == " ":
            continue
        for c in norm:
            chars.append(c)
            where.append(i)
    return "".join(chars), where


@dataclass
class ActorAliases:
    index: ActorIndex
    # normalised alias -> actor id, longest first
    keys: list[tuple[str, str]]

    @classmethod
    def from_seeds(cls, seeds_dir: Path) -> ActorAliases:
        data = yaml.safe_load((seeds_dir / "actors.yaml").read_text(encoding="utf-8")) or []
        actors = [SeedActor.model_validate(item) for item in data]
        index = ActorIndex.from_rows(
            ((a.id, a.name, a.kind.value, a.parent) for a in actors),
            ((normalize_name(al.name), a.id, al.name) for a in actors for al in a.aliases),
        )
        keys = sorted(
            ((name, actor_id) for name, (actor_id, _) in index.names.items() if name),
            key=lambda item: -len(item[0]),
        )
        return cls(index, keys)

    def kind(self, actor_id: str) -> str:
        return self.index.actors[actor_id].kind

    def resolve(self, words: str) -> str | None:
        hit = self.index.names.get(normalize_name(words))
        return hit[0] if hit else None

    def mentions(self, text: str) -> list[Mention]:
        """Every alias occurrence in `text`, leftmost-longest, not overlapping."""
        norm, where = normalized_with_offsets(text)
        taken = [False] * len(norm)
        found: list[tuple[int, int, str]] = []
        for key, actor_id in self.keys:
            pos = norm.find(key)
            while pos >= 0:
                end = pos + len(key)
                before_ok = pos == 0 or not norm[pos - 1].isalnum()
                after_ok = end == len(norm) or not norm[end].isalnum()
                if not after_ok:
                    tail_end = end
                    while tail_end < len(norm) and norm[tail_end].isalnum():
                        tail_end += 1
                    after_ok = len(key) >= 4 and norm[end:tail_end] in _GLUED_TAILS
                if before_ok and after_ok and not any(taken[pos:end]):
                    for k in range(pos, end):
                        taken[k] = True
                    found.append((pos, end, actor_id))
                pos = norm.find(key, pos + 1)
        found.sort()
        return [
            Mention(where[a], where[b - 1] + 1, actor_id, self.kind(actor_id))
            for a, b, actor_id in found
        ]
