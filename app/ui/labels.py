"""Words for the page: a figure with its qualifier ("more than 1,000 soldiers"), a
quantity's name, a claim's stance."""

from __future__ import annotations

from typing import Any


def _n(value: int | None) -> str:
    return f"{value:,}" if value is not None else "?"


def figure_label(figure: Any) -> str:
    """`figure`: a dict or row with quantity, low, high, qualifier, unit and text."""
    get = figure.get if isinstance(figure, dict) else lambda k: getattr(figure, k)
    low, high, qualifier, unit = get("low"), get("high"), get("qualifier"), get("unit")
    number = {
        "exact": lambda: _n(low),
        "about": lambda: f"about {_n(low)}",
        "at_least": lambda: f"at least {_n(low)}",
        "more_than": lambda: f"more than {_n(low)}",
        "up_to": lambda: f"up to {_n(high)}",
        "range": lambda: f"{_n(low)}\u2013{_n(high)}",
        "vague": lambda: f"\u201c{get('text')}\u201d (of the order of {_n(low)})",
    }.get(str(qualifier), lambda: f"{_n(low)}\u2013{_n(high)}")()
    return f"{number} {unit}"


def quantity_label(quantity: str) -> str:
    return quantity.replace("_", " ").capitalize()


STANCES = {
    "asserts": "asserts",
    "denies": "denies",
    "neither": "neither confirms nor denies",
}


def stance_label(stance: str) -> str:
    return STANCES.get(stance, stance)
