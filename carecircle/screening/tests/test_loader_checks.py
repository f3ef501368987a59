"""The loader refuses a bad instrument file, naming the file and the path inside it.

Each case writes one small file into a deployment folder (``deploy_dir``) and breaks
it in one way: first what the JSON Schema catches, then each semantic check.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carecircle.screening.instruments import InstrumentError, get_instrument, score

pytestmark = pytest.mark.usefixtures("english")

Doc = dict[str, Any]


def text(zh: str) -> dict[str, str]:
    return {"zh-hans": zh}


BASE: Doc = {
    "format": 1,
    "code": "TOY",
    "version": 1,
    "name": text("测试量表"),
    "respondent": "self",
    "ages": {"min": 10, "max": 18},
    "instructions": text("请作答"),
    "licence": {"status": "deployer", "source": "https://example.org", "attribution": text("测试")},
    "option_sets": {
        "freq": [{"value": v, "label": text(str(v))} for v in (0, 1, 2)],
        "yn": [{"value": "Y", "label": text("是")}, {"value": "N", "label": text("否")}],
    },
    "items": [
        {"id": "a", "text": text("甲"), "options": "freq"},
        {"id": "b", "text": text("乙"), "options": "freq"},
        {"id": "c", "text": text("丙"), "options": "yn", "scored": False},
    ],
    "scoring": {
        "total": {"items": "all_scored"},
        "missing": {"policy": "require_all"},
        "bands": [
            {"key": "low", "min": 0, "max": 1, "severity": "none", "label": text("低")},
            {"key": "high", "min": 2, "max": 4, "severity": "moderate", "label": text("高")},
        ],
        "positive": [{"key": "high", "label": text("阳性"), "rule": {"score": "total", "gte": 2}}],
        "critical": [{"key": "yes", "label": text("危急"), "rule": {"item": "c", "in": ["Y"]}}],
    },
}


def broken(change: Callable[[Doc], None]) -> Doc:
    doc = copy.deepcopy(BASE)
    change(doc)
    return doc


def load_error(deploy_dir: Callable[..., Path], doc: Doc | str) -> str:
    folder = deploy_dir(toy=doc)
    with pytest.raises(InstrumentError) as caught:
        get_instrument("TOY")
    message = str(caught.value)
    assert str(folder / "toy.yaml") in message
    return message


def test_it_loads_the_valid_base_file(deploy_dir: Callable[..., Path]) -> None:
    deploy_dir(toy=BASE)

    result = score(get_instrument("TOY"), [1, 1, "Y"])

    assert (result.total, result.band, result.positive, result.critical) == (
        2,
        "high",
        ["high"],
        True,
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("licence"), "(top level): 'licence' is a required property"),
        (lambda d: d.update(code="toy"), "code: 'toy' does not match"),
        (lambda d: d.update(colour="red"), "Additional properties are not allowed ('colour'"),
        (lambda d: d["items"][0].update(reverse="yes"), "items[0].reverse: 'yes' is not of type"),
        (
            lambda d: d["option_sets"]["freq"][0].update(value=True),
            "option_sets.freq[0].value: True is not valid",
        ),
        (
            lambda d: d["scoring"]["positive"][0]["rule"].update(lte=3),
            "scoring.positive[0].rule",
        ),
        (
            lambda d: d["scoring"]["missing"].update(policy="blank_as_zero"),
            "scoring.missing: 'max_blank' is a required property",
        ),
        (lambda d: d["name"].update(fr="Jouet"), "name: Additional properties are not allowed"),
    ],
)
def test_it_refuses_a_file_the_schema_rejects(
    deploy_dir: Callable[..., Path], change: Callable[[Doc], None], expected: str
) -> None:
    assert expected in load_error(deploy_dir, broken(change))


def test_it_refuses_a_file_that_is_not_yaml(deploy_dir: Callable[..., Path]) -> None:
    assert "cannot be read as YAML" in load_error(deploy_dir, "code: [TOY\n")


def _set(path: list[Any], value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set(["ages", "min"], 19), "ages: min 19 is greater than max 18"),
        (
            _set(["option_sets", "freq", 2, "value"], 1),
            "option_sets.freq[2].value: value 1 appears twice in the set",
        ),
        (_set(["items", 1, "id"], "a"), "items[1].id: item id 'a' is used twice"),
        (
            _set(["items", 0, "options"], "nope"),
            "items[0].options: no option set named 'nope' (option_sets has: freq, yn)",
        ),
        (
            _set(["items", 2, "reverse"], True),
            "items[2].reverse: reverse scoring needs a numeric option set, and 'yn' is not one",
        ),
        (
            _set(["scoring", "critical", 0, "rule"], {"item": "zz", "in": ["Y"]}),
            "scoring.critical[0].rule: no item with id 'zz'",
        ),
        (
            _set(["scoring", "critical", 0, "rule"], {"item": "c", "in": ["Yes"]}),
            "scoring.critical[0].rule: 'Yes' is not an option of c",
        ),
        (
            _set(["scoring", "critical", 0, "rule"], {"item": "c", "gte": 1}),
            "scoring.critical[0].rule: compares item 'c' with a number, but it has none",
        ),
        (
            _set(["scoring", "critical", 0, "rule"], {"positive": "nope"}),
            "scoring.critical[0].rule: no positive screen with key 'nope'",
        ),
        (
            _set(["scoring", "positive", 0, "rule"], {"score": "nope", "gte": 1}),
            "scoring.positive[0].rule: no subscale with key 'nope'",
        ),
        (
            _set(["items", 2, "show_if"], {"item": "c", "in": ["Y"]}),
            "items[2].show_if: reads item 'c', which is not before 'c'",
        ),
        (
            _set(
                ["scoring", "subscales"],
                [{"key": "s", "name": text("分"), "items": ["a", "c"]}],
            ),
            "scoring.subscales[0].items[1]: item 'c' is in a score but its option set 'yn' "
            "is not numeric",
        ),
        (
            _set(["scoring", "subscales"], [{"key": "total", "name": text("分"), "items": ["a"]}]),
            "scoring.subscales[0].key: a subscale cannot be called 'total'",
        ),
        (
            _set(["items", 0, "required"], False),
            "items[0]: item 'a' is in a score but not required",
        ),
        (
            _set(["items", 1, "show_if"], {"item": "a", "gte": 1}),
            "items[1]: item 'b' is in a score but may be hidden by its show_if",
        ),
        (
            _set(["scoring", "total", "items"], ["a", "c"]),
            "scoring.total.items[1]: item 'c' is in the total but has scored: false",
        ),
        (
            _set(["scoring", "bands", 1, "min"], 3),
            "scoring.bands[1].min: band 'high' starts at 3 and leaves a gap after band 'low' "
            "(ending at 1): it should start at 2",
        ),
        (
            _set(["scoring", "bands", 1, "min"], 1),
            "scoring.bands[1].min: band 'high' starts at 1 and overlaps band 'low'",
        ),
        (
            _set(["scoring", "bands", 1, "max"], 3),
            "scoring.bands[1].max: bands on total end at 3, but the highest reachable score is 4",
        ),
        (
            _set(["scoring", "bands", 0, "min"], 1),
            "scoring.bands[0].min: bands on total start at 1, but the lowest reachable score is 0",
        ),
        (_set(["scoring", "bands", 0, "on"], "nope"), "scoring.bands[0].on: no score named 'nope'"),
    ],
)
def test_it_refuses_a_file_a_semantic_check_rejects(
    deploy_dir: Callable[..., Path], change: Callable[[Doc], None], expected: str
) -> None:
    assert expected in load_error(deploy_dir, broken(change))


def test_it_refuses_circular_positive_screens(deploy_dir: Callable[..., Path]) -> None:
    def change(doc: Doc) -> None:
        doc["scoring"]["positive"] = [
            {"key": "p1", "label": text("一"), "rule": {"positive": "p2"}},
            {"key": "p2", "label": text("二"), "rule": {"any": [{"positive": "p1"}]}},
        ]

    message = load_error(deploy_dir, broken(change))

    assert "scoring.positive[0].rule: circular positive references: p1 → p2 → p1" in message


def test_it_refuses_skip_logic_that_reads_a_later_answer_through_a_screen(
    deploy_dir: Callable[..., Path],
) -> None:
    def change(doc: Doc) -> None:
        doc["items"].insert(0, {"id": "z", "text": text("零"), "options": "yn", "scored": False})
        doc["items"][0]["show_if"] = {"positive": "high"}

    message = load_error(deploy_dir, broken(change))

    assert "items[0].show_if: reads item 'a', which is not before 'z'" in message


def test_it_lists_every_problem_of_a_file_at_once(deploy_dir: Callable[..., Path]) -> None:
    def change(doc: Doc) -> None:
        doc["items"][2]["options"] = "nope"
        doc["scoring"]["bands"][1]["max"] = 3

    message = load_error(deploy_dir, broken(change))

    assert "no option set named 'nope'" in message
    assert "highest reachable score is 4" in message


def test_it_refuses_a_code_that_is_already_built_in(deploy_dir: Callable[..., Path]) -> None:
    message = load_error(deploy_dir, broken(_set(["code"], "PHQ9")))

    assert "code: PHQ9 is already defined in" in message
    assert "builtin/phq9.yaml" in message


def test_it_refuses_a_deployment_folder_that_does_not_exist(settings: Any, tmp_path: Path) -> None:
    settings.CARECIRCLE_INSTRUMENTS_DIR = str(tmp_path / "missing")

    with pytest.raises(InstrumentError, match="is not a directory"):
        get_instrument("PHQ9")


def test_it_names_the_known_codes_for_an_unknown_one() -> None:
    with pytest.raises(InstrumentError, match=r"Unknown instrument code NOPE; known codes: .*PHQ9"):
        get_instrument("NOPE")
