"""``manage.py score CODE 'ANSWERS_JSON'``: the result as JSON, or one clear line."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from carecircle.screening.management.commands.score import Command

pytestmark = pytest.mark.usefixtures("english")


def run(code: str, answers: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    call_command("score", code, answers)
    output: dict[str, Any] = json.loads(capsys.readouterr().out)
    return output


def test_it_prints_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    output = run("PHQ9", "[0, 1, 2, 3, 0, 1, 2, 3, 0, null]", capsys)

    assert output == {
        "code": "PHQ9",
        "version": 1,
        "total": 12,
        "subscales": {},
        "band": "moderate",
        "severity": "moderate",
        "positive": ["depression"],
        "critical": False,
        "critical_items": [],
        "valid": True,
        "problems": [],
        "triage": {
            "level": "yellow",
            "reasons": [
                "Positive screen: Positive depression screen (total ≥ 10; total = 12).",
                "Score band: Moderate (total = 12).",
            ],
        },
    }


def test_it_prints_chinese_unescaped(capsys: pytest.CaptureFixture[str]) -> None:
    with translation.override("zh-hans"):
        call_command("score", "PHQA", '[0,0,0,0,0,0,0,0,1,null,"N","N","N"]')

    out = capsys.readouterr().out
    assert "有不如死掉或伤害自己的念头" in out
    assert '\n  "critical": true,' in out


def test_it_takes_the_code_in_any_case(capsys: pytest.CaptureFixture[str]) -> None:
    output = run("asq", '["N", "N", "N", "N", null]', capsys)

    assert (output["code"], output["positive"], output["critical"]) == ("ASQ", [], False)


def test_it_prints_an_invalid_result_with_its_problems(capsys: pytest.CaptureFixture[str]) -> None:
    output = run("ASQ", '["N", "N", "N", "N", "Y"]', capsys)

    assert output["valid"] is False
    assert output["critical"] is True
    assert output["problems"] == [
        {
            "kind": "hidden",
            "item": "q5",
            "message": "Item 5 (q5) is answered, but the earlier answers skip it.",
        }
    ]


@pytest.mark.parametrize(
    ("code", "answers", "message"),
    [
        ("NOPE", "[]", "Unknown instrument code NOPE; known codes: "),
        ("K6", "[1, 2", "ANSWERS_JSON is not valid JSON: Expecting ',' delimiter"),
        ("K6", '{"q1": 1}', "ANSWERS_JSON must be a JSON array of the 6 answers of K6."),
        ("K6", "[1, 2]", "K6 has 6 items, but 2 answers were given."),
        (
            "GAD7",
            "[0, 0, 0, 0, 0, 0, 4]",
            "Item 7 (q7): 4 is not an allowed answer; allowed: 0, 1, 2, 3.",
        ),
        (
            "ASQ",
            '["yes", "N", "N", "N", null]',
            'Item 1 (q1): "yes" is not an allowed answer; allowed: "Y", "N", "R".',
        ),
    ],
)
def test_it_refuses_bad_input_with_one_line(code: str, answers: str, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("score", code, answers)

    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_it_exits_non_zero_with_the_message_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        Command().run_from_argv(["manage.py", "score", "K6", "[1, 2]"])

    captured = capsys.readouterr()
    assert caught.value.code == 1
    assert captured.out == ""
    assert captured.err.strip() == "CommandError: K6 has 6 items, but 2 answers were given."


def test_it_lists_the_codes_in_its_help() -> None:
    text = Command().create_parser("manage.py", "score").format_help()

    for code in ("ASQ", "GAD7", "K6", "PHQ9", "PHQA"):
        assert code in text
