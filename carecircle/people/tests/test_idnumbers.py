from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from carecircle.people.idnumbers import (
    IdNumber,
    check_character,
    id_warnings,
    mask_id_number,
    normalize,
    parse_id_number,
)
from carecircle.people.models import Minor, normalize_id_number
from carecircle.people.services import find_minor_for_emergency, minor_create

TODAY = date(2026, 11, 28)


def error_code(raw: str) -> str | None:
    with pytest.raises(ValidationError) as caught:
        parse_id_number(raw, today=TODAY)
    return caught.value.code


def build(area: str, born: date, sequence: int) -> str:
    first17 = f"{area}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


@pytest.mark.parametrize(
    ("value", "born", "sex"),
    [
        ("11010519491231002X", date(1949, 12, 31), "F"),
        ("370101190102039973", date(1901, 2, 3), "M"),
        ("43110320140501001X", date(2014, 5, 1), "M"),
    ],
)
def test_it_accepts_the_gb11643_test_vectors(value: str, born: date, sex: str) -> None:
    parsed = parse_id_number(value, today=TODAY)
    assert parsed == IdNumber(
        value=value, birth_date=born, sex=sex, area_prefix=value[:6], upgraded_from_15=False
    )


def test_it_computes_the_check_character_of_every_domain_vector() -> None:
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"
    assert check_character("37010119010203997") == "3"


def test_it_refuses_a_birth_date_before_1900_even_with_a_right_check_character() -> None:
    # 440524188001010014 is a check-digit vector of DOMAIN.md; the registry only
    # holds people born since 1900.
    assert error_code("440524188001010014") == "before_1900"


def test_it_upper_cases_a_lower_case_x_and_strips_spaces() -> None:
    parsed = parse_id_number(" 110105 19491231 002x ", today=TODAY)
    assert parsed.value == "11010519491231002X"


def test_it_upgrades_a_15_digit_number() -> None:
    # 431103 + 140501 + 001 (odd: male) → 431103 19140501 001 + check.
    parsed = parse_id_number("431103140501001", today=TODAY)
    first17 = "43110319140501001"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    expected = "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]
    assert expected == "3"
    assert parsed == IdNumber(
        value="431103191405010013",
        birth_date=date(1914, 5, 1),
        sex="M",
        area_prefix="431103",
        upgraded_from_15=True,
    )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("110105194912310021", "check_character"),
        ("110105194902300028", "invalid_date"),  # 30 February
        ("110105194913310021", "invalid_date"),  # month 13
        (build("431103", date(2027, 1, 1), 1), "future_date"),
        ("11010519491231002", "length"),
        ("11010519491231002XX", "length"),
        ("", "length"),
        ("1101051949123100AX", "characters"),
        ("X10105194912310021", "characters"),
        ("11010549123100X", "characters"),  # no check letter on a 15-digit number
        ("１１０１０５１９４９１２３１００２Ｘ", "full_width"),
        ("11010519491231002Ｘ", "full_width"),
    ],
)
def test_it_refuses_bad_numbers_with_a_code(raw: str, code: str) -> None:
    assert error_code(raw) == code


def test_it_accepts_a_birth_date_of_today_but_not_tomorrow() -> None:
    assert parse_id_number(build("431103", TODAY, 2), today=TODAY).birth_date == TODAY
    assert error_code(build("431103", date(2026, 11, 29), 2)) == "future_date"


def test_it_accepts_a_retired_area_prefix() -> None:
    # Not in the fixture division list: a number keeps the county code of its issue.
    assert parse_id_number(build("431121", date(2010, 3, 4), 7), today=TODAY).sex == "M"


@settings(max_examples=200, deadline=None)
@given(
    area=st.from_regex(r"[1-8][0-9]{5}", fullmatch=True),
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_it_reads_back_the_date_and_sex_it_was_built_from(
    area: str, born: date, sequence: int
) -> None:
    parsed = parse_id_number(build(area, born, sequence), today=TODAY)
    assert parsed.birth_date == born
    assert parsed.sex == ("M" if sequence % 2 else "F")
    assert parsed.area_prefix == area


@settings(max_examples=200, deadline=None)
@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    sequence=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_it_detects_every_single_digit_error(
    born: date, sequence: int, position: int, delta: int
) -> None:
    good = build("431103", born, sequence)
    digit = (int(good[position]) + delta) % 10
    bad = good[:position] + str(digit) + good[position + 1 :]
    with pytest.raises(ValidationError):
        parse_id_number(bad, today=TODAY)


def test_it_warns_when_the_entered_birth_date_or_sex_disagree() -> None:
    parsed = parse_id_number("43110320140501001X", today=TODAY)
    assert id_warnings(parsed, birth_date=date(2014, 5, 1), sex="M") == []
    [date_warning] = id_warnings(parsed, birth_date=date(2014, 5, 2), sex="M")
    assert "2014-05-02" in date_warning and "2014-05-01" in date_warning
    [sex_warning] = id_warnings(parsed, birth_date=date(2014, 5, 1), sex="F")
    assert "sex" in sex_warning.lower() or "性别" in sex_warning
    assert len(id_warnings(parsed, birth_date=date(2000, 1, 1), sex="F")) == 2


def test_it_masks_all_but_the_first_and_last_four() -> None:
    assert mask_id_number("431103201405011234") == "4311**********1234"
    assert mask_id_number("1234567") == "*******"
    assert mask_id_number("") == ""
    assert Minor(id_number="43110320140501001X").masked_id_number == "4311**********001X"


def test_it_normalises_every_spelling_to_the_same_blind_index_input() -> None:
    assert normalize("431103140501001") == "431103191405010013"
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"
    # Not a number at all: left for the validator to refuse, never raises.
    assert normalize_id_number("abc") == "ABC"


@pytest.mark.django_db
def test_it_finds_a_child_by_the_15_digit_or_lower_case_spelling(
    personas: dict[str, Any], district: dict[str, Any]
) -> None:
    minor = minor_create(
        actor=personas["child_director"],
        name="王老五",
        sex="M",
        birth_date=date(1914, 5, 1),
        area_code="431103101200",
        id_number="431103140501001",
    )
    assert Minor.objects.get(pk=minor.pk).id_number == "431103191405010013"
    assert find_minor_for_emergency(id_number="431103140501001") == minor
    assert find_minor_for_emergency(id_number="431103191405010013") == minor


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["110105194912310021", "１１０１０５１９４９１２３１００２Ｘ"])
def test_it_writes_nothing_when_minor_create_gets_a_bad_number(
    personas: dict[str, Any], district: dict[str, Any], raw: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        minor_create(
            actor=personas["child_director"],
            name="王小华",
            sex="F",
            birth_date=date(1949, 12, 31),
            area_code="431103101200",
            id_number=raw,
        )
    assert list(caught.value.message_dict) == ["id_number"]
    assert not Minor.objects.exists()
