"""Worked examples for the built-in PSC-17 (parent, youth) and SCARED (child, parent) forms.

Every expected number below was worked out by hand from the published rules in
../shared/INSTRUMENTS.md §4 and §6, not read back from the data files, so a slip in
a file (an item in the wrong subscale, a cut-off off by one) fails here. The item
tables are repeated on purpose: they are the published keys the files must match.

PSC-17: items 0/1/2; I = 2, 6, 9, 11, 15; A = 1, 3, 7, 13, 17; E = 4, 5, 8, 10, 12,
14, 16; positive at total ≥ 15, I ≥ 5, A ≥ 7, E ≥ 7; a blank counts 0 and four or
more blanks make the form invalid.
SCARED: items 0/1/2; five subscales that partition items 1–41 (item 20 is SP);
positive at total ≥ 25 (`anxiety`), total > 30 (`anxiety_specific`), and each
subscale at its cut-off; every item must be answered.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from carecircle.screening.instruments import InstrumentError, get_instrument, score

BUILTIN = Path(__file__).resolve().parents[1] / "instruments" / "builtin"

Answer = int | None

# --------------------------------------------------------------------------- published keys

PSC_SUBSCALES: dict[str, list[int]] = {
    "internalizing": [2, 6, 9, 11, 15],
    "attention": [1, 3, 7, 13, 17],
    "externalizing": [4, 5, 8, 10, 12, 14, 16],
}
PSC_CUTOFFS = {"total": 15, "internalizing": 5, "attention": 7, "externalizing": 7}

SCARED_SUBSCALES: dict[str, list[int]] = {
    "panic_somatic": [1, 6, 9, 12, 15, 18, 19, 22, 24, 27, 30, 34, 38],
    "generalized_anxiety": [5, 7, 14, 21, 23, 28, 33, 35, 37],
    "separation_anxiety": [4, 8, 13, 16, 20, 25, 29, 31],
    "social_anxiety": [3, 10, 26, 32, 39, 40, 41],
    "school_avoidance": [2, 11, 17, 36],
}
SCARED_CUTOFFS = {
    "panic_somatic": 7,
    "generalized_anxiety": 9,
    "separation_anxiety": 5,
    "social_anxiety": 8,
    "school_avoidance": 3,
}

PSC_CODES = ["PSC17", "PSC17Y"]
SCARED_CODES = ["SCARED", "SCAREDP"]


def _answers(n: int, values: Mapping[int, Answer], default: Answer = 0) -> list[Answer]:
    """An answer list in item order: item number → value, every other item `default`."""
    return [values.get(i, default) for i in range(1, n + 1)]


def _fill(items: Sequence[int], target: int) -> dict[int, int]:
    """Answers on `items` (2s, then a 1) that add up to exactly `target`."""
    out: dict[int, int] = {}
    left = target
    for item in items:
        if left <= 0:
            break
        out[item] = min(2, left)
        left -= out[item]
    assert left == 0, "target out of reach"
    return out


def _run(code: str, answers: Sequence[Answer] | Mapping[str, Answer]) -> Any:
    return score(get_instrument(code), answers)


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((BUILTIN / name).read_text(encoding="utf-8"))
    return data


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("code", PSC_CODES + SCARED_CODES)
def test_it_loads_each_form(code: str) -> None:
    get_instrument(code)


def test_it_keeps_both_psc17_forms_in_one_family_with_the_same_items() -> None:
    parent, youth = _load("psc17.yaml"), _load("psc17y.yaml")
    assert (parent["code"], youth["code"]) == ("PSC17", "PSC17Y")
    assert parent["family"] == youth["family"] == "PSC17"
    assert (parent["respondent"], youth["respondent"]) == ("parent", "self")
    assert [i["id"] for i in parent["items"]] == [f"q{n}" for n in range(1, 18)]
    assert [i["id"] for i in youth["items"]] == [i["id"] for i in parent["items"]]
    assert parent["scoring"] == youth["scoring"]


def test_it_keeps_both_scared_forms_in_one_family_with_the_same_items() -> None:
    child, parent = _load("scared.yaml"), _load("scaredp.yaml")
    assert (child["code"], parent["code"]) == ("SCARED", "SCAREDP")
    assert child["family"] == parent["family"] == "SCARED"
    assert (child["respondent"], parent["respondent"]) == ("self", "parent")
    assert [i["id"] for i in child["items"]] == [f"q{n}" for n in range(1, 42)]
    assert [i["id"] for i in parent["items"]] == [i["id"] for i in child["items"]]
    assert child["scoring"] == parent["scoring"]


@pytest.mark.parametrize("name", ["scared.yaml", "scaredp.yaml"])
def test_it_partitions_scared_items_1_to_41_exactly(name: str) -> None:
    subscales = {s["key"]: s["items"] for s in _load(name)["scoring"]["subscales"]}
    assert subscales == {k: [f"q{n}" for n in v] for k, v in SCARED_SUBSCALES.items()}
    every = sorted(int(i[1:]) for items in subscales.values() for i in items)
    assert every == list(range(1, 42))  # no item twice, none missing


@pytest.mark.parametrize("name", ["psc17.yaml", "psc17y.yaml"])
def test_it_partitions_psc17_items_1_to_17_exactly(name: str) -> None:
    subscales = {s["key"]: s["items"] for s in _load(name)["scoring"]["subscales"]}
    assert subscales == {k: [f"q{n}" for n in v] for k, v in PSC_SUBSCALES.items()}
    every = sorted(int(i[1:]) for items in subscales.values() for i in items)
    assert every == list(range(1, 18))


# --------------------------------------------------------------------------- PSC-17 scoring


@pytest.mark.parametrize("code", PSC_CODES)
def test_it_scores_a_psc17_worked_example(code: str) -> None:
    # Item n answered n mod 3: 1,2,0, 1,2,0, 1,2,0, 1,2,0, 1,2,0, 1,2.
    # I (2,6,9,11,15) = 2+0+0+2+0 = 4; A (1,3,7,13,17) = 1+0+1+1+2 = 5;
    # E (4,5,8,10,12,14,16) = 1+2+2+1+0+2+1 = 9; total = 18.
    result = _run(code, [n % 3 for n in range(1, 18)])
    assert result.valid
    assert result.total == 18
    assert result.subscales == {"internalizing": 4, "attention": 5, "externalizing": 9}
    assert set(result.positive) == {"total", "externalizing"}
    assert result.band is None
    assert not result.critical
    assert result.critical_items == []


@pytest.mark.parametrize("code", PSC_CODES)
def test_it_keys_psc17_subscales_by_item_not_position(code: str) -> None:
    # Some sites put the five internalizing items first. Here items 1-5 are A, I, A, E, E.
    result = _run(code, _answers(17, {1: 2, 2: 2, 3: 2, 4: 2, 5: 2}))
    assert result.subscales == {"internalizing": 2, "attention": 4, "externalizing": 4}
    assert result.total == 10


@pytest.mark.parametrize("code", PSC_CODES)
def test_it_scores_the_psc17_maximum(code: str) -> None:
    result = _run(code, [2] * 17)
    assert result.total == 34
    assert result.subscales == {"internalizing": 10, "attention": 10, "externalizing": 14}
    assert set(result.positive) == {"total", "internalizing", "attention", "externalizing"}


@pytest.mark.parametrize("code", PSC_CODES)
def test_it_accepts_psc17_answers_by_item_id(code: str) -> None:
    by_id = {f"q{n}": n % 3 for n in range(1, 18)}
    assert _run(code, by_id).subscales == _run(code, [n % 3 for n in range(1, 18)]).subscales


# Each case: answers (item → value), expected total, expected subscales, expected positives.
PSC_BOUNDARIES = {
    # I 4, A 2+2+1 = 5, E 2+2+1 = 5: total 14 with every subscale under its cut-off.
    "total_14": ({2: 2, 6: 2, 1: 2, 3: 2, 7: 1, 4: 2, 5: 2, 8: 1}, 14, (4, 5, 5), set()),
    # One more point on E (item 10): total 15, E 6 still under 7.
    "total_15": ({2: 2, 6: 2, 1: 2, 3: 2, 7: 1, 4: 2, 5: 2, 8: 1, 10: 1}, 15, (4, 5, 6), {"total"}),
    "internalizing_4": ({2: 2, 6: 2}, 4, (4, 0, 0), set()),
    "internalizing_5": ({2: 2, 6: 2, 9: 1}, 5, (5, 0, 0), {"internalizing"}),
    "attention_6": ({1: 2, 3: 2, 7: 2}, 6, (0, 6, 0), set()),
    "attention_7": ({1: 2, 3: 2, 7: 2, 13: 1}, 7, (0, 7, 0), {"attention"}),
    "externalizing_6": ({4: 2, 5: 2, 8: 2}, 6, (0, 0, 6), set()),
    "externalizing_7": ({4: 2, 5: 2, 8: 2, 10: 1}, 7, (0, 0, 7), {"externalizing"}),
}


@pytest.mark.parametrize("code", PSC_CODES)
@pytest.mark.parametrize("case", PSC_BOUNDARIES)
def test_it_applies_psc17_cutoffs_at_the_boundary(code: str, case: str) -> None:
    values, total, (i, a, e), positive = PSC_BOUNDARIES[case]
    result = _run(code, _answers(17, values))
    assert result.valid
    assert result.total == total
    assert result.subscales == {"internalizing": i, "attention": a, "externalizing": e}
    assert set(result.positive) == positive


@pytest.mark.parametrize("code", PSC_CODES)
def test_it_counts_three_psc17_blanks_as_zero(code: str) -> None:
    # All "Sometimes" with one blank in each subscale (items 2, 1, 4): 17 - 3 = 14, which
    # is under the cut-off; pro-rating the blanks instead would give 17, a positive screen.
    result = _run(code, _answers(17, {2: None, 1: None, 4: None}, default=1))
    assert result.valid
    assert result.total == 14
    assert result.subscales == {"internalizing": 4, "attention": 4, "externalizing": 6}
    assert set(result.positive) == set()


@pytest.mark.parametrize("code", PSC_CODES)
def test_it_still_screens_positive_with_three_psc17_blanks(code: str) -> None:
    result = _run(code, _answers(17, {2: None, 1: None, 4: None}, default=2))
    assert result.valid
    assert result.total == 28
    assert result.subscales == {"internalizing": 8, "attention": 8, "externalizing": 12}
    assert set(result.positive) == {"total", "internalizing", "attention", "externalizing"}


@pytest.mark.parametrize("code", PSC_CODES)
def test_it_makes_psc17_invalid_at_four_blanks(code: str) -> None:
    result = _run(code, _answers(17, {2: None, 1: None, 4: None, 5: None}, default=1))
    assert not result.valid
    assert result.problems


@pytest.mark.parametrize("code", PSC_CODES)
def test_it_refuses_a_psc17_answer_outside_never_sometimes_often(code: str) -> None:
    try:
        result = _run(code, _answers(17, {6: 3}))
    except InstrumentError:
        return
    assert not result.valid
    assert result.problems


@pytest.mark.parametrize("code", PSC_CODES)
def test_it_refuses_a_psc17_answer_list_of_the_wrong_length(code: str) -> None:
    try:
        result = _run(code, [0] * 16)
    except InstrumentError:
        return
    assert not result.valid
    assert result.problems


@pytest.mark.parametrize(
    "answers",
    [
        [n % 3 for n in range(1, 18)],
        [2] * 17,
        [0] * 17,
        _answers(17, {2: None, 1: None, 4: None}, default=1),
        _answers(17, {2: None, 1: None, 4: None, 5: None}, default=2),
        _answers(17, {2: 2, 6: 2, 9: 1}),
    ],
)
def test_it_scores_psc17_parent_and_youth_forms_identically(answers: list[Answer]) -> None:
    parent, youth = _run("PSC17", answers), _run("PSC17Y", answers)
    assert (parent.total, parent.subscales, sorted(parent.positive), parent.valid) == (
        youth.total,
        youth.subscales,
        sorted(youth.positive),
        youth.valid,
    )
    assert (parent.band, parent.severity, parent.critical, parent.triage.level) == (
        youth.band,
        youth.severity,
        youth.critical,
        youth.triage.level,
    )


# --------------------------------------------------------------------------- SCARED scoring


@pytest.mark.parametrize("code", SCARED_CODES)
@pytest.mark.parametrize("item", range(1, 42))
def test_it_puts_each_scared_item_in_exactly_its_published_subscale(code: str, item: int) -> None:
    result = _run(code, _answers(41, {item: 2}))
    expected = {k: (2 if item in v else 0) for k, v in SCARED_SUBSCALES.items()}
    assert result.subscales == expected
    assert result.total == 2


@pytest.mark.parametrize("code", SCARED_CODES)
def test_it_counts_scared_item_20_as_separation_anxiety(code: str) -> None:
    result = _run(code, _answers(41, {20: 2}))
    assert result.subscales["separation_anxiety"] == 2
    assert result.subscales["panic_somatic"] == 0


@pytest.mark.parametrize("code", SCARED_CODES)
def test_it_scores_a_scared_worked_example(code: str) -> None:
    # Item n answered n mod 3.
    # PN 1,6,9,12,15,18,19,22,24,27,30,34,38 -> 1,0,0,0,0,0,1,1,0,0,0,1,2 = 6
    # GD 5,7,14,21,23,28,33,35,37            -> 2,1,2,0,2,1,0,2,1       = 11
    # SP 4,8,13,16,20,25,29,31               -> 1,2,1,1,2,1,2,1         = 11
    # SC 3,10,26,32,39,40,41                 -> 0,1,2,2,0,1,2           = 8
    # SH 2,11,17,36                          -> 2,2,2,0                 = 6
    # total = 13 cycles of (1+2+0) for items 1-39, + 1 + 2 = 42 = 6+11+11+8+6.
    result = _run(code, [n % 3 for n in range(1, 42)])
    assert result.valid
    assert result.total == 42
    assert result.subscales == {
        "panic_somatic": 6,
        "generalized_anxiety": 11,
        "separation_anxiety": 11,
        "social_anxiety": 8,
        "school_avoidance": 6,
    }
    assert set(result.positive) == {
        "anxiety",
        "anxiety_specific",
        "generalized_anxiety",
        "separation_anxiety",
        "social_anxiety",
        "school_avoidance",
    }
    assert result.band is None
    assert not result.critical
    assert result.critical_items == []


@pytest.mark.parametrize("code", SCARED_CODES)
def test_it_scores_the_scared_maximum(code: str) -> None:
    result = _run(code, [2] * 41)
    assert result.total == 82
    assert result.subscales == {
        "panic_somatic": 26,
        "generalized_anxiety": 18,
        "separation_anxiety": 16,
        "social_anxiety": 14,
        "school_avoidance": 8,
    }
    assert set(result.positive) == {"anxiety", "anxiety_specific", *SCARED_SUBSCALES}


# Under every subscale cut-off the most a child can score is 6 + 8 + 4 + 7 + 2 = 27.
SCARED_UNDER_ALL_CUTOFFS_24 = {
    1: 2, 6: 2, 9: 2,  # PN 6
    5: 2, 7: 2, 14: 2, 21: 2,  # GD 8
    4: 2, 8: 2,  # SP 4
    3: 2, 10: 2,  # SC 4
    2: 2,  # SH 2; total 24
}  # fmt: skip


@pytest.mark.parametrize("code", SCARED_CODES)
def test_it_is_negative_at_scared_total_24(code: str) -> None:
    result = _run(code, _answers(41, SCARED_UNDER_ALL_CUTOFFS_24))
    assert result.total == 24
    assert result.subscales == {
        "panic_somatic": 6,
        "generalized_anxiety": 8,
        "separation_anxiety": 4,
        "social_anxiety": 4,
        "school_avoidance": 2,
    }
    assert set(result.positive) == set()


@pytest.mark.parametrize("code", SCARED_CODES)
def test_it_is_positive_at_scared_total_25(code: str) -> None:
    result = _run(code, _answers(41, {**SCARED_UNDER_ALL_CUTOFFS_24, 26: 1}))  # SC 5
    assert result.total == 25
    assert result.subscales["social_anxiety"] == 5
    assert set(result.positive) == {"anxiety"}


# PN 6, GD 8, SP 4, SC 2+2+2+1 = 7, SH 2: 27, the most with no subscale positive;
# then three more PN points (items 12, 15) make 30 and one more (item 18) 31.
SCARED_TOTAL_30 = {**SCARED_UNDER_ALL_CUTOFFS_24, 26: 2, 32: 1, 12: 2, 15: 1}


@pytest.mark.parametrize("code", SCARED_CODES)
def test_it_is_not_specific_at_scared_total_30(code: str) -> None:
    result = _run(code, _answers(41, SCARED_TOTAL_30))
    assert result.total == 30
    assert result.subscales["panic_somatic"] == 9
    assert set(result.positive) == {"anxiety", "panic_somatic"}


@pytest.mark.parametrize("code", SCARED_CODES)
def test_it_is_specific_at_scared_total_31(code: str) -> None:
    result = _run(code, _answers(41, {**SCARED_TOTAL_30, 18: 1}))
    assert result.total == 31
    assert result.subscales["panic_somatic"] == 10
    assert set(result.positive) == {"anxiety", "anxiety_specific", "panic_somatic"}


@pytest.mark.parametrize("code", SCARED_CODES)
@pytest.mark.parametrize("key", SCARED_CUTOFFS)
def test_it_applies_each_scared_subscale_cutoff_at_the_boundary(code: str, key: str) -> None:
    cut = SCARED_CUTOFFS[key]
    below = _run(code, _answers(41, _fill(SCARED_SUBSCALES[key], cut - 1)))
    assert below.subscales[key] == cut - 1
    assert below.total == cut - 1
    assert set(below.positive) == set()

    at = _run(code, _answers(41, _fill(SCARED_SUBSCALES[key], cut)))
    assert at.subscales[key] == cut
    assert at.total == cut
    assert set(at.positive) == {key}


@pytest.mark.parametrize("code", SCARED_CODES)
def test_it_requires_every_scared_item(code: str) -> None:
    result = _run(code, _answers(41, {17: None}, default=1))
    assert not result.valid
    assert result.problems


@pytest.mark.parametrize("code", SCARED_CODES)
def test_it_refuses_a_scared_answer_outside_the_scale(code: str) -> None:
    try:
        result = _run(code, _answers(41, {41: 3}))
    except InstrumentError:
        return
    assert not result.valid
    assert result.problems


@pytest.mark.parametrize(
    "answers",
    [
        [n % 3 for n in range(1, 42)],
        [2] * 41,
        [0] * 41,
        _answers(41, SCARED_UNDER_ALL_CUTOFFS_24),
        _answers(41, {**SCARED_TOTAL_30, 18: 1}),
        _answers(41, {20: 2, 36: 1}),
        _answers(41, {17: None}, default=1),
    ],
)
def test_it_scores_scared_child_and_parent_forms_identically(answers: list[Answer]) -> None:
    child, parent = _run("SCARED", answers), _run("SCAREDP", answers)
    assert (child.total, child.subscales, sorted(child.positive), child.valid) == (
        parent.total,
        parent.subscales,
        sorted(parent.positive),
        parent.valid,
    )
    assert (child.band, child.severity, child.critical, child.triage.level) == (
        parent.band,
        parent.severity,
        parent.critical,
        parent.triage.level,
    )
