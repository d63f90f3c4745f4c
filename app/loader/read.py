"""Find and parse the seed files; YAML syntax problems become SeedProblems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from app.loader.errors import SeedProblem

# libyaml's parser when PyYAML was built with it (its wheels are): ten times faster on the
# seeds, with the same safe constructors and resolvers.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SeedYamlLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """Safe YAML that keeps dates as text: EDTF strings such as 2024-10-23 stay strings."""


_SeedYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class RawRecord:
    file: str  # as shown in messages
    label: str  # the record's id, or #N when it has none
    data: object


def display_path(path: Path, seeds_dir: Path) -> str:
    return str(Path(seeds_dir.name) / path.relative_to(seeds_dir))


def read_yaml(path: Path, seeds_dir: Path, problems: list[SeedProblem]) -> object:
    shown = display_path(path, seeds_dir)
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_SeedYamlLoader)
    except FileNotFoundError:
        problems.append(SeedProblem(shown, "-", "-", "file is missing"))
    except UnicodeDecodeError as exc:
        problems.append(SeedProblem(shown, "-", "-", f"not UTF-8: {exc}"))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f"line {where.line + 1}: " if where is not None else ""
        problems.append(SeedProblem(shown, "-", "-", f"invalid YAML: {line}{exc}"))
    return None


def record_label(item: object, index: int) -> str:
    if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
        return str(item["id"])
    return f"#{index}"


def read_records(path: Path, seeds_dir: Path, problems: list[SeedProblem]) -> list[RawRecord]:
    """A file holding a YAML list of records (actors, documents, events)."""
    data = read_yaml(path, seeds_dir, problems)
    shown = display_path(path, seeds_dir)
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(SeedProblem(shown, "-", "-", "expected a YAML list of records"))
        return []
    return [RawRecord(shown, record_label(item, i), item) for i, item in enumerate(data)]


def yaml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []
