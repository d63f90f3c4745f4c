"""Edit seed YAML files in place, one field of one record at a time.

The seed files are lists of records written in PyYAML's block style. An edit rewrites only
the field it changes: every other line (other records, other fields, comments, the way
long strings were wrapped) stays byte for byte. ruamel.yaml's round trip would keep
comments but rewrap every long string it re-emits, and the seeds have hundreds."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from app.loader.read import _SeedYamlLoader

# A record starts with "- " in column 0; a field of it with "- " or two spaces, then a key.
_RECORD = re.compile(r"^- ")
_FIELD = re.compile(r"^(?:- |  )([A-Za-z_][A-Za-z0-9_]*):(?: |$)")
# PyYAML wraps at 80 columns; a field dumped alone is indented by 2 afterwards.
_WIDTH = 78


@dataclass
class Record:
    lines: list[str]

    @property
    def data(self) -> Any:
        items = yaml.load("".join(self.lines), Loader=_SeedYamlLoader)
        return items[0] if isinstance(items, list) and items else None

    def _fields(self) -> list[tuple[str, int, int]]:
        """(key, first line, end line) of each field, in order."""
        starts = [(m.group(1), i) for i, line in enumerate(self.lines) if (m := _FIELD.match(line))]
        ends = [i for _, i in starts[1:]] + [len(self.lines)]
        return [(key, start, end) for (key, start), end in zip(starts, ends, strict=True)]

    def set(self, key: str, value: Any, after: str | None = None) -> None:
        """Replace the field, or insert it after `after` (else at the end of the record)."""
        fields = self._fields()
        spans = {k: (start, end) for k, start, end in fields}
        if key in spans:
            start, end = spans[key]
            first = start == 0
        else:
            at = spans[after][1] if after in spans else self._last_field_line(fields)
            start = end = at
            first = False
        block = render_field(key, value, first=first)
        # Blank or comment lines closing the replaced field stay where they were.
        tail = _trailing(self.lines[start:end]) if key in spans else []
        self.lines[start:end] = block + tail

    def _last_field_line(self, fields: list[tuple[str, int, int]]) -> int:
        if not fields:
            return len(self.lines)
        end = fields[-1][2]
        while end > fields[-1][1] + 1 and _is_trailer(self.lines[end - 1]):
            end -= 1
        return end


def _is_trailer(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _trailing(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in reversed(lines[1:]):
        if not _is_trailer(line):
            break
        out.insert(0, line)
    return out


def render_field(key: str, value: Any, first: bool = False) -> list[str]:
    """`key: value` as PyYAML writes it inside a record of a top-level list."""
    text = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=_WIDTH)
    lines = text.splitlines(keepends=True)
    return [("- " if first and i == 0 else "  ") + line for i, line in enumerate(lines)]


def render_record(record: dict[str, Any]) -> str:
    return yaml.safe_dump([record], allow_unicode=True, sort_keys=False, width=80)


@dataclass
class RecordFile:
    """A seed file as its lines before the first record, then one Record per list item."""

    path: Path
    head: list[str]
    records: list[Record]

    @classmethod
    def read(cls, path: Path) -> RecordFile:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        starts = [i for i, line in enumerate(lines) if _RECORD.match(line)]
        if not starts:
            return cls(path, lines, [])
        bounds = [*starts, len(lines)]
        records = [Record(lines[a:b]) for a, b in itertools.pairwise(bounds)]
        return cls(path, lines[: starts[0]], records)

    def text(self) -> str:
        return "".join(self.head) + "".join("".join(r.lines) for r in self.records)

    def write(self) -> None:
        self.path.write_text(self.text(), encoding="utf-8")

    def insert(self, index: int, record: dict[str, Any]) -> None:
        self.records.insert(index, Record(render_record(record).splitlines(keepends=True)))

    def append(self, record: dict[str, Any]) -> None:
        if self.head and self.head[-1].strip() == "[]":
            self.head.pop()  # an empty top-level list
        elif self.head and self.head[-1].rstrip().endswith(" []"):
            # `claims: []`: the list now has items, written in block style below the key.
            self.head[-1] = self.head[-1].rstrip()[:-3] + "\n"
        self.records.append(Record(render_record(record).splitlines(keepends=True)))
