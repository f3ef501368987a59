"""PHQ-9 worked examples from the published rules (INSTRUMENTS.md §1).

Total = items 1-9; bands 0-4 / 5-9 / 10-14 / 15-19 / 20-27 (Kroenke 2001); ≥10
positive; item 9 ≥1 critical whatever the total; the difficulty item (10th) is not
scored and may be blank; every item 1-9 is required.
"""

from __future__ import annotations

from typing import Any

import pytest

from carecircle.screening.instruments import get_instrument, score

pytestmark = pytest.mark.usefixtures("english")


def phq9(*items: int | None, difficulty: int | None = None) -> list[int | None]:
    return [*items, difficulty]


def for_total(total: int) -> list[int | None]:
    """Items 1-8 adding up to ``total`` (at most 24) with item 9 at 0."""
    items = []
    for _ in range(8):
        items.append(min(3, total))
        total -= items[-1]
    assert total == 0
    return phq9(*items, 0)


def test_it_scores_a_moderate_positive_without_critical_item() -> None:
    # 0+1+2+3+0+1+2+3+0 = 12: moderate, positive (≥10), item 9 = 0.
    result = score(get_instrument("PHQ9"), phq9(0, 1, 2, 3, 0, 1, 2, 3, 0, difficulty=1))

    assert result.valid
    assert result.total == 12
    assert result.band == "moderate"
    assert result.severity == "moderate"
    assert result.positive == ["depression"]
    assert not result.critical
    assert result.triage.level == "yellow"
    assert result.triage.reasons == [
        "Positive screen: Positive depression screen (total ≥ 10; total = 12).",
        "Score band: Moderate (total = 12).",
    ]


def test_it_flags_item_9_whatever_the_total() -> None:
    # 1+1+1+1+1+0+0+0+1 = 6: mild, not positive, but item 9 = 1 is critical.
    result = score(get_instrument("PHQ9"), phq9(1, 1, 1, 1, 1, 0, 0, 0, 1))

    assert result.total == 6
    assert result.band == "mild"
    assert result.positive == []
    assert result.critical
    assert result.critical_items == ["self_harm"]
    assert result.triage.level == "red_critical"
    assert result.triage.reasons[0] == (
        "Critical item: Thoughts of death or of self-harm (q9 ≥ 1; q9 = 1)."
    )


def test_it_makes_a_severe_band_red() -> None:
    # 3+3+3+3+3+3+2+2+0 = 22: severe.
    result = score(get_instrument("PHQ9"), phq9(3, 3, 3, 3, 3, 3, 2, 2, 0, difficulty=3))

    assert (result.total, result.band, result.severity) == (22, "severe", "severe")
    assert result.triage.level == "red"


def test_it_scores_all_zeros_as_minimal_and_green() -> None:
    result = score(get_instrument("PHQ9"), phq9(0, 0, 0, 0, 0, 0, 0, 0, 0))

    assert (result.total, result.band, result.positive) == (0, "minimal", [])
    assert result.triage.level == "green"


@pytest.mark.parametrize(
    ("total", "band", "positive", "level"),
    [
        (4, "minimal", False, "green"),
        (5, "mild", False, "green"),
        (9, "mild", False, "green"),
        (10, "moderate", True, "yellow"),
        (14, "moderate", True, "yellow"),
        (15, "moderately_severe", True, "red"),
        (19, "moderately_severe", True, "red"),
        (20, "severe", True, "red"),
        (24, "severe", True, "red"),
    ],
)
def test_it_bands_every_boundary(total: int, band: str, positive: bool, level: str) -> None:
    result = score(get_instrument("PHQ9"), for_total(total))

    assert result.total == total
    assert result.band == band
    assert (result.positive == ["depression"]) is positive
    assert result.triage.level == level


def test_it_reaches_27_with_item_9() -> None:
    result = score(get_instrument("PHQ9"), phq9(3, 3, 3, 3, 3, 3, 3, 3, 3))

    assert (result.total, result.band, result.critical) == (27, "severe", True)


def test_it_does_not_count_the_difficulty_item() -> None:
    without = score(get_instrument("PHQ9"), phq9(1, 1, 1, 1, 1, 1, 1, 1, 0))
    with_difficulty = score(get_instrument("PHQ9"), phq9(1, 1, 1, 1, 1, 1, 1, 1, 0, difficulty=3))

    assert without.total == with_difficulty.total == 8
    assert without.valid and with_difficulty.valid


def test_it_makes_a_blank_item_invalid_and_computes_no_total() -> None:
    result = score(get_instrument("PHQ9"), phq9(0, 1, 2, None, 0, 1, 2, 3, 0))

    assert not result.valid
    assert result.total is None
    assert result.band is None
    assert [(p.kind, p.item) for p in result.problems] == [("blank", "q4")]
    assert result.problems[0].message == "Item 4 (q4) is required but blank."


def test_it_still_flags_item_9_on_an_incomplete_form() -> None:
    result = score(get_instrument("PHQ9"), phq9(None, None, None, None, None, None, None, None, 2))

    assert not result.valid
    assert result.total is None
    assert result.critical_items == ["self_harm"]
    assert result.triage.level == "red_critical"


def test_it_reports_a_value_outside_the_options() -> None:
    result = score(get_instrument("PHQ9"), phq9(0, 1, 2, 4, 0, 1, 2, 3, 0))

    assert not result.valid
    assert result.total is None
    problem = result.problems[0]
    assert (problem.kind, problem.item, problem.malformed) == ("value", "q4", True)
    assert problem.message == "Item 4 (q4): 4 is not an allowed answer; allowed: 0, 1, 2, 3."


@pytest.mark.parametrize("bad", [True, "2", 1.5, [1]])
def test_it_never_reads_a_non_answer_as_a_number(bad: object) -> None:
    result = score(get_instrument("PHQ9"), [bad, 0, 0, 0, 0, 0, 0, 0, 0, None])

    assert [p.kind for p in result.problems] == ["value"]
    assert result.total is None


def test_it_reports_a_wrong_number_of_answers() -> None:
    result = score(get_instrument("PHQ9"), [0, 1, 2, 3, 0, 1, 2, 3, 0, 0, 0])

    assert not result.valid
    assert result.total is None
    assert result.problems[0].message == "PHQ9 has 9–10 items, but 11 answers were given."


def test_it_takes_the_nine_published_answers_without_the_difficulty_question() -> None:
    result = score(get_instrument("PHQ9"), [0, 1, 2, 3, 0, 1, 2, 3, 0])

    assert result.valid
    assert (result.total, result.band) == (12, "moderate")


def test_it_takes_a_mapping_by_item_id() -> None:
    answers = {f"q{n}": 1 for n in range(1, 10)} | {"q9": 0}

    result = score(get_instrument("PHQ9"), answers)

    assert (result.total, result.valid) == (8, True)


def test_it_reports_an_unknown_item_in_a_mapping() -> None:
    answers = {f"q{n}": 0 for n in range(1, 10)} | {"q10": 1}

    result = score(get_instrument("PHQ9"), answers)

    assert [(p.kind, p.item) for p in result.problems] == [("unknown_item", "q10")]


def test_it_turns_a_cutoff_override_into_the_positive_rule(settings: Any) -> None:
    settings.CARECIRCLE_INSTRUMENT_CUTOFFS = {"PHQ9": {"positive.depression": 11}}

    at_10 = score(get_instrument("PHQ9"), for_total(10))
    at_11 = score(get_instrument("PHQ9"), for_total(11))

    assert at_10.positive == []
    assert at_11.positive == ["depression"]
    assert "total ≥ 11" in at_11.triage.reasons[0]


def test_it_dumps_the_result_for_the_command() -> None:
    result = score(get_instrument("PHQ9"), phq9(0, 1, 2, 3, 0, 1, 2, 3, 0))

    assert list(result.as_dict()) == [
        "code",
        "version",
        "total",
        "subscales",
        "band",
        "severity",
        "positive",
        "critical",
        "critical_items",
        "valid",
        "problems",
        "triage",
    ]
    assert result.as_dict()["triage"]["level"] == "yellow"
