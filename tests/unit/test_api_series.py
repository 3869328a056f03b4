"""Which release series an API can be, from its maximum microversion."""

import pytest

from patchcheck.knowledge.api_series import estimate_series, parse_microversion
from patchcheck.knowledge.series import shipped_series

TABLE = shipped_series()


@pytest.mark.parametrize(
    ("service_type", "maximum", "candidates"),
    [
        ("compute", "2.88", ("wallaby",)),
        ("compute", "2.90", ("xena", "yoga")),
        ("compute", "2.96", ("caracal", "dalmatian")),
        ("compute", "2.100", ("epoxy", "flamingo")),
        ("compute", "2.103", ("gazpacho",)),
        ("compute", "2.104", ("hibiscus",)),
        ("volumev3", "3.71", ("caracal", "dalmatian", "epoxy", "flamingo", "gazpacho", "hibiscus")),
        ("block-storage", "3.66", ("xena",)),
        ("placement", "1.38", ("xena",)),
        ("sharev2", "2.87", ("dalmatian",)),
        ("shared-file-system", "2.95", ("gazpacho",)),
    ],
)
def test_measured_maxima_give_their_series(
    service_type: str, maximum: str, candidates: tuple[str, ...]
) -> None:
    assert estimate_series(service_type, maximum, TABLE).candidates == candidates


def test_below_the_oldest_measurement_means_an_older_series() -> None:
    estimate = estimate_series("compute", "2.79", TABLE)
    assert estimate.candidates[-1] == "victoria"
    assert "wallaby" not in estimate.candidates
    assert all(TABLE[name].status == "end of life" for name in estimate.candidates)


def test_above_the_newest_measurement_means_a_newer_series() -> None:
    assert estimate_series("compute", "2.105", TABLE).candidates == ("indri",)


@pytest.mark.parametrize(
    ("service_type", "maximum"), [("compute", "2.97"), ("compute", "2.x"), ("image", "2.17")]
)
def test_values_that_were_never_a_release_maximum_are_unknown(service_type: str, maximum: str) -> None:
    estimate = estimate_series(service_type, maximum, TABLE)
    assert not estimate.known
    assert estimate.candidates == ()


def test_microversions_compare_as_integer_pairs_not_decimals() -> None:
    assert parse_microversion("2.100") > parse_microversion("2.96")
    assert parse_microversion("2.1") < parse_microversion("2.10")
    assert parse_microversion("v2.1") is None
    assert parse_microversion("2") is None
