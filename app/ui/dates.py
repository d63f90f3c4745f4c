"""Dates written for a reader at their precision: "21-23 October 2024", "Autumn 2024",
"January-February 2025" (with an en dash). The EDTF parsing is app/edtf.py's; this only
shortens ranges whose ends share a month or a year, which `human_label` writes out in full."""

from __future__ import annotations

import calendar

from app.edtf import human_label, parse_edtf
from app.vocab import Precision

_QUALIFIERS = ("?", "~", "%")


def date_label(edtf: str) -> str:
    """The heading for an EDTF date or interval, as short as stays unambiguous."""
    start_text, slash, end_text = edtf.partition("/")
    if not slash or edtf.endswith(_QUALIFIERS) or start_text.endswith(_QUALIFIERS):
        return human_label(edtf)
    start, end = parse_edtf(start_text), parse_edtf(end_text)
    a, b = start.earliest, end.latest
    if start.precision is end.precision is Precision.day:
        if (a.year, a.month) == (b.year, b.month):
            return f"{a.day}\u2013{b.day} {calendar.month_name[a.month]} {a.year}"
        if a.year == b.year:
            return (
                f"{a.day} {calendar.month_name[a.month]} \u2013 "
                f"{b.day} {calendar.month_name[b.month]} {a.year}"
            )
    if start.precision is end.precision is Precision.month and a.year == b.year:
        return f"{calendar.month_name[a.month]}\u2013{calendar.month_name[b.month]} {a.year}"
    return human_label(edtf)


def day_label(iso: str) -> str:
    """'2024-10-23' as '23 October 2024'."""
    return human_label(iso)
