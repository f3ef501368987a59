from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from carecircle.regions.codes import Level, parse_code, significant_prefix, township_kind

CJK = re.compile(r"[\u4e00-\u9fff]")


def _refusal(raw: str) -> tuple[str, str, bool]:
    """(message code, message in zh-hans, whether the catalogue translates it)."""
    with pytest.raises(ValidationError) as info, translation.override("zh-hans"):
        parse_code(raw)
    exc = info.value
    with translation.override("zh-hans"):
        shown = exc.messages[0]
        translated = (
            translation.gettext(str(exc.error_list[0].message)) != exc.error_list[0].message
        )
    return exc.error_list[0].code or "", shown, translated


@pytest.mark.parametrize(
    ("raw", "code", "prefix", "level"),
    [
        ("43", "430000000000", "43", Level.PROVINCE),
        ("4311", "431100000000", "4311", Level.CITY),
        ("431103", "431103000000", "431103", Level.COUNTY),
        ("431103101", "431103101000", "431103101", Level.TOWNSHIP),
        ("431103101200", "431103101200", "431103101200", Level.VILLAGE),
        (" 431103 ", "431103000000", "431103", Level.COUNTY),
    ],
)
def test_it_accepts_each_level(raw: str, code: str, prefix: str, level: Level) -> None:
    assert parse_code(raw) == (code, prefix, level)


@pytest.mark.parametrize(
    ("raw", "prefix", "level"),
    [
        ("430000000000", "43", Level.PROVINCE),
        ("431100000000", "4311", Level.CITY),
        ("431103000000", "431103", Level.COUNTY),
        ("431103101000", "431103101", Level.TOWNSHIP),
    ],
)
def test_it_accepts_zero_padded_12_digit_forms(raw: str, prefix: str, level: Level) -> None:
    assert parse_code(raw) == (raw, prefix, level)
    assert significant_prefix(raw) == prefix


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("4311O3", "division_not_digits"),
        ("43110a101200", "division_not_digits"),
        ("", "division_not_digits"),
        ("   ", "division_not_digits"),
        ("431103-101", "division_not_digits"),
        ("-431103", "division_not_digits"),
        # Full-width and other Unicode digits are not statistical codes.
        ("４３１１０３", "division_not_digits"),
        ("٤٣", "division_not_digits"),
        ("4", "division_length"),
        ("431", "division_length"),
        ("43110", "division_length"),
        ("4311031", "division_length"),
        ("43110310", "division_length"),
        ("4311031012", "division_length"),
        ("43110310120", "division_length"),
        ("4311031012000", "division_length"),
        ("10", "division_province"),
        ("09", "division_province"),
        ("00", "division_province"),
        ("101103", "division_province"),
        ("000000000000", "division_province"),
        ("4300", "division_zero_segment"),
        ("430003", "division_zero_segment"),
        ("431100101", "division_zero_segment"),
        ("431103000200", "division_zero_segment"),
    ],
)
def test_it_refuses_bad_codes_with_a_clear_message(raw: str, code: str) -> None:
    got, shown, translated = _refusal(raw)
    assert got == code
    assert shown
    if translated:
        assert CJK.search(shown), shown


def test_it_names_the_offending_code_and_length() -> None:
    with pytest.raises(ValidationError) as info:
        parse_code("4311031")
    assert info.value.error_list[0].params == {"code": "4311031", "n": 7}
    assert "4311031" in info.value.messages[0]


def test_it_classifies_townships_by_gb_t_10114_range() -> None:
    assert township_kind("431103001") == "street"
    assert township_kind("431103101") == "town"
    assert township_kind("431103200") == "township"
    assert township_kind("431103400") == "state_unit"
