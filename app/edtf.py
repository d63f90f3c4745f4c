"""The subset of EDTF (ISO 8601-2) that reporting needs, turned into bounded intervals.

Accepted: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, seasons `YYYY-21`..`YYYY-24`, a trailing `?`
(uncertain), `~` (approximate) or `%` (both), and intervals `A/B` of those. Open ends
(`../B`) are refused: an event without a lower bound would match every earlier date filter.

Seasons are meteorological, northern hemisphere (the corpus is about Korea, Russia and
Ukraine): spring Mar-May, summer Jun-Aug, autumn Sep-Nov, winter Dec of the year to Feb of
the next.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from app.vocab import Precision

_SINGLE = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?(?P<qual>[?~%])?$")

# season code -> (first month, last month, year offset of the last month)
_SEASONS: dict[int, tuple[int, int, int]] = {
    21: (3, 5, 0),
    22: (6, 8, 0),
    23: (9, 11, 0),
    24: (12, 2, 1),
}


class EdtfError(ValueError):
    """The string is not an EDTF date this service accepts."""


@dataclass(frozen=True)
class EdtfDate:
    text: str
    earliest: date
    latest: date
    precision: Precision
    approximate: bool
    uncertain: bool


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _parse_single(text: str) -> EdtfDate:
    match = _SINGLE.match(text)
    if match is None:
        raise EdtfError(
            f"{text!r} is not an EDTF date (expected YYYY, YYYY-MM, YYYY-MM-DD, a season "
            "YYYY-21..24, optionally ending in ? ~ or %)"
        )
    year = int(match["year"])
    qual = match["qual"] or ""
    approximate = qual in ("~", "%")
    uncertain = qual in ("?", "%")
    try:
        if match["day"] is not None:
            day = date(year, int(match["month"]), int(match["day"]))
            return EdtfDate(text, day, day, Precision.day, approximate, uncertain)
        if match["month"] is not None:
            month = int(match["month"])
            if month in _SEASONS:
                first, last, offset = _SEASONS[month]
                return EdtfDate(
                    text,
                    date(year, first, 1),
                    _last_day(year + offset, last),
                    Precision.season,
                    approximate,
                    uncertain,
                )
            return EdtfDate(
                text,
                date(year, month, 1),
                _last_day(year, month),
                Precision.month,
                approximate,
                uncertain,
            )
        return EdtfDate(
            text, date(year, 1, 1), date(year, 12, 31), Precision.year, approximate, uncertain
        )
    except ValueError as exc:
        # Month 13, 30 February, year 0, or a winter season running past year 9999.
        raise EdtfError(f"{text!r} is not a real calendar date: {exc}") from None


def parse_edtf(text: str) -> EdtfDate:
    """Parse `text` into its interval; raise EdtfError with a message fit for a user."""
    text = text.strip()
    if "/" not in text:
        return _parse_single(text)
    start_text, _, end_text = text.partition("/")
    if start_text in ("", "..") or end_text in ("", ".."):
        raise EdtfError(f"{text!r} is an open interval; give both ends (e.g. 2024-10/2024-12)")
    start, end = _parse_single(start_text), _parse_single(end_text)
    if start.earliest > end.latest:
        raise EdtfError(f"{text!r} ends before it starts")
    return EdtfDate(
        text,
        start.earliest,
        end.latest,
        Precision.range,
        start.approximate or end.approximate,
        start.uncertain or end.uncertain,
    )


_SEASON_NAMES = {21: "Spring", 22: "Summer", 23: "Autumn", 24: "Winter"}
_QUALIFIER_WORDS = {"~": "about ", "?": "perhaps ", "%": "perhaps about "}


def human_label(text: str) -> str:
    """English label for a timeline heading: '23 October 2024', 'Autumn 2024', 'about …'."""
    if "/" in text:
        start, _, end = text.partition("/")
        return f"{human_label(start)} \u2013 {human_label(end)}"
    parsed = _parse_single(text)
    prefix = _QUALIFIER_WORDS.get(text[-1], "")
    year = parsed.earliest.year
    if parsed.precision is Precision.day:
        body = f"{parsed.earliest.day} {calendar.month_name[parsed.earliest.month]} {year}"
    elif parsed.precision is Precision.month:
        body = f"{calendar.month_name[parsed.earliest.month]} {year}"
    elif parsed.precision is Precision.season:
        body = f"{_SEASON_NAMES[int(text[5:7])]} {year}"
    else:
        body = str(year)
    return prefix + body
