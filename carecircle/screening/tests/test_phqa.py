"""PHQ-A (PHQ-9 Modified for Teens, GLAD-PC) worked examples (INSTRUMENTS.md §2).

Answer order (issue 4): items 1-9 in the GLAD-PC order, the difficulty item, the
past-year question, the past-month serious-thoughts question, the lifetime-attempt
question. Total = items 1-9, PHQ-9 bands; positive at a total > 10 as published;
dysthymia on a past-year Yes; critical, each on its own: item 9 ≥ 1, past-month
Yes, lifetime Yes. The MDD diagnostic aid is not a screen and is not required for
anything.
"""

from __future__ import annotations

import pytest

from carecircle.screening.instruments import get_instrument, score

pytestmark = pytest.mark.usefixtures("english")

Answer = int | str | None


def phqa(
    *items: int | None,
    difficulty: int | None = None,
    past_year: str = "N",
    past_month: str | None = "N",
    lifetime: str = "N",
) -> list[Answer]:
    assert len(items) == 9
    return [*items, difficulty, past_year, past_month, lifetime]


def test_it_keeps_the_glad_pc_order() -> None:
    instrument = get_instrument("PHQA")

    assert [i.id for i in instrument.items] == [
        *(f"q{n}" for n in range(1, 10)),
        "difficulty",
        "past_year",
        "past_month",
        "lifetime_attempt",
    ]
    assert "irritable" in instrument.items[0].text["en"]
    assert "interest" in instrument.items[1].text["en"]


def test_it_scores_ten_as_moderate_but_not_positive() -> None:
    # 2+2+1+1+1+1+1+1+0 = 10: the published rule is "> 10".
    result = score(get_instrument("PHQA"), phqa(2, 2, 1, 1, 1, 1, 1, 1, 0, difficulty=1))

    assert result.valid
    assert (result.total, result.band, result.positive) == (10, "moderate", [])
    assert not result.critical
    assert result.triage.level == "yellow"


def test_it_screens_eleven_positive_with_dysthymia() -> None:
    # 2+2+2+1+1+1+1+1+0 = 11 > 10; past year Yes.
    answers = phqa(2, 2, 2, 1, 1, 1, 1, 1, 0, difficulty=2, past_year="Y")

    result = score(get_instrument("PHQA"), answers)

    assert result.total == 11
    assert result.positive == ["depression", "dysthymia"]
    assert not result.critical
    assert result.triage.level == "yellow"


def test_it_needs_no_mdd_aid_for_a_positive_screen() -> None:
    # Items 1 and 2 at 0 (the MDD aid needs one of them ≥ 2) and no difficulty: total 12.
    answers = phqa(0, 0, 3, 3, 3, 3, 0, 0, 0)

    result = score(get_instrument("PHQA"), answers)

    assert (result.total, result.positive) == (12, ["depression"])


def test_it_adds_no_screen_for_an_mdd_aid_pattern() -> None:
    # Items 1 and 2 at 2, five symptoms ≥ 2, "somewhat difficult": the MDD aid pattern,
    # total 10. Nothing but the moderate band follows from it.
    answers = phqa(2, 2, 2, 2, 2, 0, 0, 0, 0, difficulty=1)

    result = score(get_instrument("PHQA"), answers)

    assert (result.total, result.positive, result.critical) == (10, [], False)
    assert result.triage.level == "yellow"


@pytest.mark.parametrize(
    ("answers", "critical_items"),
    [
        (phqa(0, 0, 0, 0, 0, 0, 0, 0, 1), ["self_harm"]),
        (phqa(0, 0, 0, 0, 0, 0, 0, 0, 0, past_month="Y"), ["past_month_ideation"]),
        (phqa(0, 0, 0, 0, 0, 0, 0, 0, 0, lifetime="Y"), ["lifetime_attempt"]),
        (
            phqa(0, 0, 0, 0, 0, 0, 0, 0, 3, past_month="Y", lifetime="Y"),
            ["self_harm", "past_month_ideation", "lifetime_attempt"],
        ),
    ],
)
def test_it_makes_each_suicide_question_critical_on_its_own(
    answers: list[Answer], critical_items: list[str]
) -> None:
    result = score(get_instrument("PHQA"), answers)

    assert result.valid
    assert result.total is not None and result.total <= 3
    assert result.band == "minimal"
    assert result.critical_items == critical_items
    assert result.triage.level == "red_critical"


def test_it_says_which_answer_made_it_critical() -> None:
    result = score(get_instrument("PHQA"), phqa(0, 0, 0, 0, 0, 0, 0, 0, 0, lifetime="Y"))

    assert result.triage.reasons[0] == (
        "Critical item: Suicide attempt in their lifetime "
        "(lifetime_attempt is one of Y; lifetime_attempt = Y)."
    )


def test_it_requires_the_past_month_question_but_keeps_the_total() -> None:
    result = score(get_instrument("PHQA"), phqa(1, 1, 1, 1, 1, 1, 1, 1, 0, past_month=None))

    assert not result.valid
    assert [(p.kind, p.item) for p in result.problems] == [("blank", "past_month")]
    assert result.problems[0].message == "Item 12 (past_month) is required but blank."
    assert result.total == 8


def test_it_refuses_a_number_for_a_yes_no_question() -> None:
    answers = phqa(0, 0, 0, 0, 0, 0, 0, 0, 0)
    answers[12] = 1

    result = score(get_instrument("PHQA"), answers)

    assert result.problems[0].message == (
        'Item 13 (lifetime_attempt): 1 is not an allowed answer; allowed: "Y", "N".'
    )
