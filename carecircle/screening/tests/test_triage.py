"""Triage levels from the default mapping and from ``CARECIRCLE_TRIAGE``."""

from __future__ import annotations

from typing import Any

import pytest

from carecircle.screening.instruments import InstrumentError, get_instrument, score

pytestmark = pytest.mark.usefixtures("english")

MILD_PHQ9 = [1, 1, 1, 1, 1, 1, 0, 0, 0, None]  # 6: mild


def test_it_leaves_a_mild_band_green_by_default() -> None:
    assert score(get_instrument("PHQ9"), MILD_PHQ9).triage.level == "green"


def test_it_takes_a_severity_from_the_setting(settings: Any) -> None:
    settings.CARECIRCLE_TRIAGE = {"severity": {"mild": "yellow"}}

    result = score(get_instrument("PHQ9"), MILD_PHQ9)

    assert result.triage.level == "yellow"
    assert result.triage.reasons == ["Score band: Mild (total = 6)."]


def test_it_takes_one_positive_screen_from_the_setting(settings: Any) -> None:
    settings.CARECIRCLE_TRIAGE = {"positives": {"K6.distress": "red"}}

    assert score(get_instrument("K6"), [3, 2, 2, 2, 2, 2]).triage.level == "red"
    assert score(get_instrument("GAD7"), [2, 2, 2, 1, 1, 1, 1]).triage.level == "yellow"


def test_it_orders_reasons_from_the_highest_level() -> None:
    # Total 22 (severe, red) with item 9 = 1 (critical): the critical reason first.
    result = score(get_instrument("PHQ9"), [3, 3, 3, 3, 3, 3, 2, 1, 1, None])

    assert result.triage.level == "red_critical"
    assert [r.split(":")[0] for r in result.triage.reasons] == [
        "Critical item",
        "Score band",
        "Positive screen",
    ]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ({"critical": "orange"}, "'orange' is not a level"),
        ({"colour": "red"}, "unknown keys ['colour']"),
        ({"severity": {"extreme": "red"}}, "severity has unknown keys ['extreme']"),
        ({"positives": {"PHQ9.nope": "red"}}, "'PHQ9.nope' names no positive screen"),
        ({"positives": ["K6.distress"]}, "positives must be a mapping"),
        (["red"], "must be a mapping"),
    ],
)
def test_it_refuses_a_bad_mapping(settings: Any, setting: Any, expected: str) -> None:
    settings.CARECIRCLE_TRIAGE = setting

    with pytest.raises(InstrumentError) as caught:
        score(get_instrument("PHQ9"), MILD_PHQ9)

    assert "setting CARECIRCLE_TRIAGE" in str(caught.value)
    assert expected in str(caught.value)
