"""Kessler K6 worked examples (INSTRUMENTS.md §8): answers stored 0-4, total 0-24,
≥ 13 serious psychological distress; no bands, no critical item."""

from __future__ import annotations

import pytest

from carecircle.screening.instruments import get_instrument, score

pytestmark = pytest.mark.usefixtures("english")


def test_it_scores_twelve_as_negative() -> None:
    result = score(get_instrument("K6"), [2, 2, 2, 2, 2, 2])

    assert (result.total, result.positive, result.band, result.severity) == (12, [], None, None)
    assert result.triage.level == "green"
    assert result.triage.reasons == ["No critical item, positive screen or score band."]


def test_it_screens_thirteen_positive() -> None:
    result = score(get_instrument("K6"), [3, 2, 2, 2, 2, 2])

    assert (result.total, result.positive) == (13, ["distress"])
    assert result.triage.level == "yellow"


def test_it_reaches_24() -> None:
    result = score(get_instrument("K6"), [4] * 6)

    assert (result.total, result.critical) == (24, False)


def test_it_lists_the_options_in_the_published_order() -> None:
    # "All of the time" first, as on the form; the stored values stay 4 … 0.
    result = score(get_instrument("K6"), [5, 0, 0, 0, 0, 0])

    assert result.problems[0].message == (
        "Item 1 (q1): 5 is not an allowed answer; allowed: 4, 3, 2, 1, 0."
    )
