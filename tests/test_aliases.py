import pytest

from app.aliases import normalize_name


@pytest.mark.parametrize(
    "variant", ["Corée du Nord", "coree du nord", "CORÉE-DU-NORD", "  Corée   du  Nord "]
)
def test_variants_meet(variant: str) -> None:
    assert normalize_name(variant) == "coree du nord"


def test_apostrophes_fold() -> None:
    assert normalize_name("Organisation du traité de l\u2019Atlantique") == normalize_name(
        "Organisation du traité de l'Atlantique"
    )


def test_distinct_names_stay_distinct() -> None:
    assert normalize_name("Corée du Sud") != normalize_name("Corée du Nord")
