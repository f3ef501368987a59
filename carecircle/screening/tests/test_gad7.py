"""GAD-7 worked examples (INSTRUMENTS.md §3): total 0-21, bands 0-4 / 5-9 / 10-14 /
15-21 (Spitzer 2006), ≥ 10 positive, no critical item, every item required."""

from __future__ import annotations

import pytest

from carecircle.screening.instruments import get_instrument, score

pytestmark = pytest.mark.usefixtures("english")


def test_it_scores_a_mild_negative_screen_green() -> None:
    # 1+1+1+1+1+0+0 = 5.
    result = score(get_instrument("GAD7"), [1, 1, 1, 1, 1, 0, 0])

    assert (result.total, result.band, result.positive) == (5, "mild", [])
    assert result.triage.level == "green"
    assert result.triage.reasons == ["Score band: Mild (total = 5)."]


def test_it_screens_ten_positive() -> None:
    # 2+2+2+1+1+1+1 = 10.
    result = score(get_instrument("GAD7"), [2, 2, 2, 1, 1, 1, 1])

    assert (result.total, result.band, result.positive) == (10, "moderate", ["anxiety"])
    assert result.triage.level == "yellow"


def test_it_makes_fifteen_severe_and_red() -> None:
    # 3+3+3+2+2+1+1 = 15.
    result = score(get_instrument("GAD7"), [3, 3, 3, 2, 2, 1, 1])

    assert (result.total, result.band, result.severity) == (15, "severe", "severe")
    assert result.triage.level == "red"


@pytest.mark.parametrize(
    ("answers", "band"),
    [
        ([1, 1, 1, 1, 0, 0, 0], "minimal"),
        ([1, 1, 1, 1, 1, 0, 0], "mild"),
        ([2, 2, 2, 1, 1, 1, 0], "mild"),
        ([2, 2, 2, 1, 1, 1, 1], "moderate"),
        ([2, 2, 2, 2, 2, 2, 2], "moderate"),
        ([3, 2, 2, 2, 2, 2, 2], "severe"),
        ([3, 3, 3, 3, 3, 3, 3], "severe"),
    ],
)
def test_it_bands_every_boundary(answers: list[int], band: str) -> None:
    assert score(get_instrument("GAD7"), answers).band == band


def test_it_has_no_critical_item() -> None:
    result = score(get_instrument("GAD7"), [3] * 7)

    assert (result.total, result.critical, result.critical_items) == (21, False, [])


def test_it_makes_a_blank_invalid() -> None:
    result = score(get_instrument("GAD7"), [3, 3, 3, 3, 3, 3, None])

    assert not result.valid
    assert (result.total, result.band, result.positive) == (None, None, [])
    assert result.problems[0].message == "Item 7 (q7) is required but blank."
