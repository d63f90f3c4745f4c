from datetime import date

import pytest

from app.edtf import EdtfError, parse_edtf
from app.vocab import Precision


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "precision"),
    [
        ("2024-10-23", date(2024, 10, 23), date(2024, 10, 23), Precision.day),
        ("2024-10", date(2024, 10, 1), date(2024, 10, 31), Precision.month),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), Precision.month),
        ("2024", date(2024, 1, 1), date(2024, 12, 31), Precision.year),
        ("2024-21", date(2024, 3, 1), date(2024, 5, 31), Precision.season),
        ("2024-23", date(2024, 9, 1), date(2024, 11, 30), Precision.season),
        ("2024-24", date(2024, 12, 1), date(2025, 2, 28), Precision.season),
        ("2025-01/2025-02", date(2025, 1, 1), date(2025, 2, 28), Precision.range),
        ("2024-10-21/2024-10-27", date(2024, 10, 21), date(2024, 10, 27), Precision.range),
    ],
)
def test_intervals(text: str, earliest: date, latest: date, precision: Precision) -> None:
    parsed = parse_edtf(text)
    assert (parsed.earliest, parsed.latest, parsed.precision) == (earliest, latest, precision)
    assert parsed.text == text


@pytest.mark.parametrize(
    ("text", "approximate", "uncertain"),
    [("2024-10~", True, False), ("2024-10?", False, True), ("2024-10%", True, True),
     ("2024-10", False, False), ("2024-10~/2024-12", True, False)],
)  # fmt: skip
def test_qualifiers(text: str, approximate: bool, uncertain: bool) -> None:
    parsed = parse_edtf(text)
    assert (parsed.approximate, parsed.uncertain) == (approximate, uncertain)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-13", "not a real calendar date"),
        ("2024-02-30", "not a real calendar date"),
        ("0000", "not a real calendar date"),
        ("9999-24", "not a real calendar date"),
        ("23 octobre", "not an EDTF date"),
        ("../2024-12-24", "open interval"),
        ("2024-10/..", "open interval"),
        ("2024-12/2024-10", "ends before it starts"),
        ("", "not an EDTF date"),
    ],
)
def test_rejects(text: str, message: str) -> None:
    with pytest.raises(EdtfError, match=message):
        parse_edtf(text)
