"""A deployment adds an instrument as a file, and tunes cut-offs by setting: no code.

The example is a tiny MHT-like yes/no questionnaire (INSTRUMENTS.md §10) in Chinese
only: two content subscales, a lie (validity) scale outside the total, a band on one
subscale (``on:`` written bare, which YAML 1.1 would read as ``True``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carecircle.screening.instruments import (
    InstrumentError,
    all_instruments,
    get_instrument,
    score,
)

pytestmark = pytest.mark.usefixtures("english")

MINI_MHT = """\
format: 1
code: MHT_MINI
version: 3
name: {zh-hans: 心理健康诊断测验（示例）}
respondent: self
ages: {min: 9, max: 18}
instructions: {zh-hans: 请根据自己的实际情况回答“是”或“否”。}
licence:
  status: deployer
  source: https://example.org/licence
  attribution: {zh-hans: 部署单位依其许可提供。}
option_sets:
  yes_no:
    - {value: 1, label: {zh-hans: 是}}
    - {value: 0, label: {zh-hans: 否}}
items:
  - {id: a1, text: {zh-hans: 考试前会睡不好。}, options: yes_no}
  - {id: a2, text: {zh-hans: 担心成绩下降。}, options: yes_no}
  - {id: b1, text: {zh-hans: 不敢和陌生人说话。}, options: yes_no}
  - {id: b2, text: {zh-hans: 在人前容易脸红。}, options: yes_no}
  - {id: l1, text: {zh-hans: 从来没有说过谎。}, options: yes_no, scored: false}
  - {id: l2, text: {zh-hans: 从不生气。}, options: yes_no, scored: false}
scoring:
  total: {items: all_scored}
  subscales:
    - {key: study, name: {zh-hans: 学习焦虑}, items: [a1, a2]}
    - {key: social, name: {zh-hans: 对人焦虑}, items: [b1, b2]}
    - {key: lie, name: {zh-hans: 效度量表}, items: [l1, l2]}
  missing: {policy: require_all}
  bands:
    - {key: usual, on: study, min: 0, max: 1, severity: none, label: {zh-hans: 正常}}
    - {key: high, on: study, min: 2, max: 2, severity: moderate, label: {zh-hans: 偏高}}
  positive:
    - key: high_total
      label: {zh-hans: 总焦虑倾向偏高}
      rule: {score: total, gte: 3}
    - key: unreliable
      label: {zh-hans: 效度量表偏高，答卷可能不可信}
      rule: {score: lie, gte: 2}
"""


def test_it_loads_a_deployment_file_without_code(deploy_dir: Callable[..., Path]) -> None:
    deploy_dir(mht_mini=MINI_MHT)

    instrument = get_instrument("MHT_MINI")

    assert instrument.version == 3
    assert instrument.licence.status == "deployer"
    assert "MHT_MINI" in [i.code for i in all_instruments()]
    assert "PHQ9" in [i.code for i in all_instruments()]
    assert instrument.bands[0].on == "study"


def test_it_scores_subscales_by_identity_and_keeps_the_lie_scale_out_of_the_total(
    deploy_dir: Callable[..., Path],
) -> None:
    deploy_dir(mht_mini=MINI_MHT)

    result = score(get_instrument("MHT_MINI"), [1, 1, 0, 0, 1, 1])

    assert result.valid
    assert result.total == 2
    assert result.subscales == {"study": 2, "social": 0, "lie": 2}
    assert (result.band, result.bands, result.severity) == (None, {"study": "high"}, "moderate")
    assert result.positive == ["unreliable"]
    assert result.triage.level == "yellow"
    # No English in the file: the Chinese labels stand in.
    assert "Score band: 偏高 (学习焦虑 = 2)." in result.triage.reasons


def test_it_applies_a_cutoff_given_as_json_text(settings: Any) -> None:
    settings.CARECIRCLE_INSTRUMENT_CUTOFFS = '{"K6": {"positive.distress": 12}}'

    result = score(get_instrument("K6"), [2, 2, 2, 2, 2, 2])

    assert result.positive == ["distress"]


def test_it_overrides_a_critical_item_cutoff(settings: Any) -> None:
    settings.CARECIRCLE_INSTRUMENT_CUTOFFS = {"PHQ9": {"critical.self_harm": 2}}

    at_1 = score(get_instrument("PHQ9"), [0, 0, 0, 0, 0, 0, 0, 0, 1, None])
    at_2 = score(get_instrument("PHQ9"), [0, 0, 0, 0, 0, 0, 0, 0, 2, None])

    assert (at_1.critical, at_2.critical) == (False, True)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"NOPE": {"positive.x": 1}}, "no instrument with code 'NOPE'"),
        ({"PHQ9": {"positive.nope": 11}}, "PHQ9.positive.nope: no such positive screen"),
        ({"PHQ9": {"total": 11}}, "PHQ9.total: no such positive screen or critical item"),
        ({"PHQ9": {"positive.depression": "11"}}, "the cut-off must be a number, not '11'"),
        ({"PHQ9": {"positive.depression": True}}, "the cut-off must be a number, not True"),
        (
            {"ASQ": {"positive.positive": 2}},
            "ASQ.positive.positive: its rule is not a single comparison",
        ),
        ({"PHQ9": 11}, "PHQ9: must be a mapping"),
        ("[1, 2]", "must be a mapping of instrument code"),
        ("{not json", "not valid JSON"),
    ],
)
def test_it_refuses_a_bad_cutoff_setting(settings: Any, overrides: Any, expected: str) -> None:
    settings.CARECIRCLE_INSTRUMENT_CUTOFFS = overrides

    with pytest.raises(InstrumentError) as caught:
        get_instrument("PHQ9")

    assert "setting CARECIRCLE_INSTRUMENT_CUTOFFS" in str(caught.value)
    assert expected in str(caught.value)
