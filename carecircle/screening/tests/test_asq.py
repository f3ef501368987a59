"""ASQ worked examples (NIMH; INSTRUMENTS.md §5).

Q1-4 answered Y, N or R (refused). Any Y or R on Q1-4 is a positive screen, and Q5
(acuity) is asked only then; Q5 Y is an acute positive. Both are critical (same-day
follow-up). Policy: Q5 "Y" recorded while Q1-4 are all "N" is reported as a problem
(the question was hidden) and is still critical.
"""

from __future__ import annotations

import pytest

from carecircle.screening.instruments import get_instrument, score

pytestmark = pytest.mark.usefixtures("english")


def test_it_is_negative_on_all_no_without_question_5() -> None:
    result = score(get_instrument("ASQ"), ["N", "N", "N", "N", None])

    assert result.valid
    assert result.positive == []
    assert not result.critical
    assert result.total is None
    assert result.triage.level == "green"


def test_it_screens_a_yes_positive_and_critical() -> None:
    result = score(get_instrument("ASQ"), ["N", "Y", "N", "N", "N"])

    assert result.valid
    assert result.positive == ["positive"]
    assert result.critical_items == ["positive"]
    assert result.triage.level == "red_critical"
    assert result.triage.reasons[0] == (
        "Critical item: Positive suicide risk screen (positive screen “Positive suicide risk "
        "screen”; q1 = N, q2 = Y, q3 = N, q4 = N)."
    )


def test_it_counts_a_refusal_as_positive() -> None:
    result = score(get_instrument("ASQ"), ["N", "N", "R", "N", "N"])

    assert result.positive == ["positive"]
    assert result.critical


def test_it_marks_question_5_yes_acute() -> None:
    result = score(get_instrument("ASQ"), ["Y", "N", "N", "Y", "Y"])

    assert result.valid
    assert result.positive == ["positive", "acute"]
    assert result.critical_items == ["positive", "acute"]
    assert result.triage.level == "red_critical"


def test_it_keeps_question_5_critical_when_it_was_hidden() -> None:
    result = score(get_instrument("ASQ"), ["N", "N", "N", "N", "Y"])

    assert not result.valid
    assert [(p.kind, p.item) for p in result.problems] == [("hidden", "q5")]
    assert result.problems[0].message == (
        "Item 5 (q5) is answered, but the earlier answers skip it."
    )
    assert result.critical_items == ["acute"]
    assert result.triage.level == "red_critical"


def test_it_reports_a_hidden_no_without_escalating() -> None:
    result = score(get_instrument("ASQ"), ["N", "N", "N", "N", "N"])

    assert [p.kind for p in result.problems] == ["hidden"]
    assert not result.critical
    assert result.triage.level == "green"
    assert result.triage.reasons == [
        "The result is invalid: Item 5 (q5) is answered, but the earlier answers skip it."
    ]


def test_it_requires_question_5_after_a_positive_screen() -> None:
    result = score(get_instrument("ASQ"), ["Y", "N", "N", "N", None])

    assert [(p.kind, p.item) for p in result.problems] == [("blank", "q5")]
    assert result.critical_items == ["positive"]


def test_it_requires_questions_1_to_4() -> None:
    result = score(get_instrument("ASQ"), ["N", None, "N", "N", None])

    assert [(p.kind, p.item) for p in result.problems] == [("blank", "q2")]
    assert not result.critical


def test_it_refuses_a_spelled_out_yes() -> None:
    result = score(get_instrument("ASQ"), ["Yes", "N", "N", "N", None])

    assert result.problems[0].message == (
        'Item 1 (q1): "Yes" is not an allowed answer; allowed: "Y", "N", "R".'
    )
