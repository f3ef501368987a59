"""Engine behaviour no built-in file of this helper exercises: blank-as-zero with a
limit, reverse keys, mean scores with bands on a 0.01 grid. Each on a small file in a
deployment folder, so these tests depend on no other built-in file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from carecircle.screening.instruments import InstrumentError, get_instrument, score

pytestmark = pytest.mark.usefixtures("english")

HEAD = """\
format: 1
version: 1
name: {zh-hans: 测试}
respondent: parent
ages: {min: 6, max: 12}
instructions: {zh-hans: 请作答}
licence: {status: deployer, source: https://example.org, attribution: {zh-hans: 测试}}
option_sets:
  three:
    - {value: 0, label: {zh-hans: 从不}}
    - {value: 1, label: {zh-hans: 有时}}
    - {value: 2, label: {zh-hans: 经常}}
items:
  - {id: a, text: {zh-hans: 甲}, options: three}
  - {id: b, text: {zh-hans: 乙}, options: three}
  - {id: c, text: {zh-hans: 丙}, options: three, reverse: true}
"""

BLANKS = (
    HEAD
    + """\
code: BLANKS
scoring:
  total: {items: all_scored}
  missing: {policy: blank_as_zero, max_blank: 1}
"""
)

MEAN = (
    HEAD
    + """\
code: MEAN
scoring:
  subscales:
    - {key: avg, name: {zh-hans: 均分}, items: [a, b, c], method: mean}
  missing: {policy: require_all}
  bands:
    - {key: low, on: avg, min: 0, max: 0.99, severity: none, label: {zh-hans: 低}}
    - {key: high, on: avg, min: 1.0, max: 2, severity: moderate, label: {zh-hans: 高}}
"""
)


@pytest.fixture
def toys(deploy_dir: Callable[..., Path]) -> None:
    deploy_dir(blanks=BLANKS, mean=MEAN)


@pytest.mark.usefixtures("toys")
def test_it_counts_a_blank_as_zero_within_the_limit() -> None:
    # a blank = 0, b = 2, c = 2 reversed to 0: total 2.
    result = score(get_instrument("BLANKS"), [None, 2, 2])

    assert result.valid
    assert result.total == 2
    assert result.answers == {"a": None, "b": 2, "c": 2}


@pytest.mark.usefixtures("toys")
def test_it_makes_too_many_blanks_invalid_without_a_total() -> None:
    result = score(get_instrument("BLANKS"), [None, None, 2])

    assert not result.valid
    assert result.total is None
    assert [p.message for p in result.problems] == ["2 items are blank; at most 1 may be."]


@pytest.mark.usefixtures("toys")
def test_it_never_counts_a_bad_value_as_a_zero() -> None:
    result = score(get_instrument("BLANKS"), [3, 1, 1])

    assert [p.kind for p in result.problems] == ["value"]
    assert result.total is None


@pytest.mark.usefixtures("toys")
def test_it_reverses_within_the_option_range() -> None:
    assert score(get_instrument("BLANKS"), [0, 0, 0]).total == 2
    assert score(get_instrument("BLANKS"), [0, 0, 2]).total == 0


@pytest.mark.usefixtures("toys")
@pytest.mark.parametrize(
    ("answers", "mean", "band"),
    [
        ([0, 0, 2], 0.0, "low"),
        ([1, 1, 2], 0.67, "low"),
        ([1, 2, 2], 1.0, "high"),
        ([2, 2, 0], 2.0, "high"),
    ],
)
def test_it_bands_a_mean_to_two_decimals(answers: list[int], mean: float, band: str) -> None:
    result = score(get_instrument("MEAN"), answers)

    assert result.subscales == {"avg": mean}
    assert result.bands == {"avg": band}
    assert result.total is None


def test_it_refuses_mean_bands_with_a_gap(deploy_dir: Callable[..., Path]) -> None:
    deploy_dir(mean=MEAN.replace("min: 1.0", "min: 1.01"))

    with pytest.raises(InstrumentError, match="it should start at 1"):
        get_instrument("MEAN")
