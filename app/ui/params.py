"""The page's query string read into the API's filters, by the API's own validation
(`timeline_filter`), so that a link works alike on /ui and on /events. A value the API would
refuse becomes a message for the page rather than a problem document."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from app.api.deps import FILTER_PARAMS, MAX_LIMIT, FilterInput, filter_arguments, timeline_filter
from app.api.problems import ProblemError
from app.corroboration import MAX_MIN_CLAIMANTS
from app.vocab import ContextFilter, DateMatch, EventType, Hedge, Order

PAGE_SIZE = 50


class PageInputError(ValueError):
    """A parameter the page cannot use; the message names it and says what is allowed.
    `status` is the API's for the same mistake: 400 for an unknown parameter, else 422."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Query:
    """The filter parameters as given (empty form fields dropped), in the URL's order."""

    pairs: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, items: Iterable[tuple[str, str]], allowed: Iterable[str]) -> Query:
        allowed = set(allowed)
        pairs = []
        for name, value in items:
            if name not in allowed:
                raise PageInputError(
                    f"unknown parameter {name!r}; this page reads: {', '.join(sorted(allowed))}",
                    400,
                )
            if value.strip():
                pairs.append((name, value.strip()))
        return cls(tuple(pairs))

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None

    def without(self, *names: str) -> Query:
        return Query(tuple((k, v) for k, v in self.pairs if k not in names))

    def filters(self) -> Query:
        return Query(tuple((k, v) for k, v in self.pairs if k in FILTER_PARAMS))

    def url(self, path: str, **extra: str) -> str:
        pairs = [*self.pairs, *extra.items()]
        return f"{path}?{urlencode(pairs)}" if pairs else path

    def filter_input(self) -> FilterInput:
        """The API's validated filters for these parameters; PageInputError if refused."""
        grouped: dict[str, list[str]] = defaultdict(list)
        for name, value in self.pairs:
            if name in FILTER_PARAMS:
                grouped[name].append(value)
        kwargs: dict[str, Any] = {}
        for name, values in grouped.items():
            try:
                parsed = [filter_arguments({name: v}) for v in values]
            except ValueError:
                raise PageInputError(_refused(name, values)) from None
            ((argument, first),) = parsed[0].items()
            if isinstance(first, list):
                kwargs[argument] = [item for p in parsed for item in p[argument]]
            elif len(values) > 1:
                raise PageInputError(f"{name}: give one value, not {len(values)}")
            else:
                kwargs[argument] = first
        try:
            return timeline_filter(**kwargs)
        except ProblemError as exc:
            raise PageInputError(exc.detail, exc.status) from None

    def limit(self) -> int:
        value = self.first("limit")
        if value is None:
            return PAGE_SIZE
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_LIMIT:
            raise PageInputError(f"limit: {value!r} is not a whole number from 1 to {MAX_LIMIT}")
        return int(value)


def _refused(name: str, values: list[str]) -> str:
    allowed = {
        "type": [m.value for m in EventType], "hedge": [m.value for m in Hedge],
        "date_match": [m.value for m in DateMatch], "context": [m.value for m in ContextFilter],
        "contested": ["true", "false"],
        "order": [m.value for m in Order],
    }.get(name)  # fmt: skip
    bad = ", ".join(map(repr, values))
    if name == "min_claimants":
        return f"{name}: {bad} is not a whole number from 1 to {MAX_MIN_CLAIMANTS}"
    if allowed is None:
        return f"{name}: {bad} is not accepted"
    return f"{name}: {bad} is not one of {', '.join(allowed)}"
