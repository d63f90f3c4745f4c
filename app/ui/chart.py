"""The geometry of the figures chart, drawn as SVG by templates/_chart.svg: one mark per
claimed figure, x the day it became known, y its value, coloured by claimant.

An exact value is a dot and an "about" a ring; a range is a bar between its ends; an "at
least"/"more than" (and a vague order of magnitude) a bar from its bound up to the top with an
arrow up; an "up to" a bar from zero to its bound with an arrow down. Marks of one day sit
side by side so none hides another."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

WIDTH, HEIGHT = 720, 380
LEFT, RIGHT, TOP, BOTTOM = 78, 24, 24, 56
DODGE = 14  # px between the marks of one day

# Dark enough on white for a graphic (WCAG 1.4.11 asks 3:1; these pass 4.5:1) and apart in
# hue; the table and each mark's title carry the claimant too, so colour is never alone.
PALETTE = (
    "#1f5fa8", "#b3261e", "#1b7a3a", "#7a3fa0", "#9a5200", "#00707f", "#a3195b", "#4b5a00",
    "#55555f",
)  # fmt: skip

SHAPES = {
    "exact": "dot", "about": "ring", "range": "range", "at_least": "above",
    "more_than": "above", "vague": "above", "up_to": "below",
}  # fmt: skip


@dataclass(frozen=True)
class Mark:
    index: int  # the figure's row in the table
    x: float
    y_low: float  # the bar's bottom (or the dot's centre)
    y_high: float  # the bar's top
    shape: str
    colour: str
    dashed: bool
    title: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    top: float
    bottom: float
    left: float
    right: float
    marks: list[Mark]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    colours: dict[str, str]


def colours_for(claimants: Sequence[str]) -> dict[str, str]:
    """A colour per claimant, in order of first appearance (cycling past the palette)."""
    out: dict[str, str] = {}
    for claimant in claimants:
        if claimant not in out:
            out[claimant] = PALETTE[len(out) % len(PALETTE)]
    return out


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return float(next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value))


def build_chart(figures: Sequence[Any], titles: Sequence[str]) -> Chart:
    """`figures`: rows of app.figures.claimed_figures; `titles`: each mark's tooltip."""
    bottom, top = HEIGHT - BOTTOM, TOP
    values = [v for r in figures for v in (r.low, r.high) if v is not None]
    y_max = nice_ceiling(max(values, default=1) * 1.15)

    def y(value: float) -> float:
        return bottom - (bottom - top) * value / y_max

    days = [r.known_from for r in figures]
    first = min(days, default=date.today())
    last = max(days, default=first)
    pad = max((last - first).days * 0.08, 20)
    start, end = first - timedelta(days=pad), last + timedelta(days=pad)
    span = (end - start).days

    def x(day: date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / span

    colours = colours_for([r.claimant_id for r in figures])
    per_day = Counter(days)
    seen: Counter[date] = Counter()
    marks = []
    for i, (r, title) in enumerate(zip(figures, titles, strict=True)):
        offset = (seen[r.known_from] - (per_day[r.known_from] - 1) / 2) * DODGE
        seen[r.known_from] += 1
        shape = SHAPES.get(r.qualifier, "dot")
        low = r.low if r.low is not None else 0
        high = r.high if r.high is not None else low
        y_low, y_high = {
            "above": (y(low), top),
            "below": (bottom, y(high)),
            "range": (y(low), y(high)),
        }.get(shape, (y(low), y(low)))
        marks.append(
            Mark(i, round(x(r.known_from) + offset, 1), round(y_low, 1), round(y_high, 1),
                 shape, colours[r.claimant_id], r.qualifier == "vague", title)
        )  # fmt: skip
    step = y_max / 5
    y_ticks = [Tick(round(y(step * k), 1), f"{round(step * k):,}") for k in range(6)]
    return Chart(
        WIDTH, HEIGHT, top, bottom, LEFT, WIDTH - RIGHT, marks, y_ticks,
        _month_ticks(start, end, x), colours,
    )  # fmt: skip


def _month_ticks(start: date, end: date, x: Any) -> list[Tick]:
    """Month starts between the ends, thinned to at most six."""
    months = []
    day = date(start.year, start.month, 1)
    while day <= end:
        if day >= start:
            months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    stride = max(1, math.ceil(len(months) / 6))
    return [Tick(round(x(m), 1), m.strftime("%b %Y")) for m in months[::stride]]
