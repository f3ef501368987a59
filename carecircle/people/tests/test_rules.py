"""The category rules as pure functions: each category, each boundary, each precedence."""

from __future__ import annotations

import importlib
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from carecircle.people import rules
from carecircle.people.models import Category, CategoryRuleSet
from carecircle.people.rules import Facts, ParentFacts

ON = date(2026, 11, 28)
SUBTYPES = importlib.import_module("carecircle.people.migrations.0004_default_rules").SUBTYPES

pytestmark = pytest.mark.usefixtures("english")


def ruleset(**overrides: Any) -> CategoryRuleSet:
    values: dict[str, Any] = {
        "version": 1,
        "effective_from": date(2016, 2, 4),
        "left_behind_age_limit": 16,
        "left_behind_cutoff": None,
        "left_behind_min_months": 6,
        "left_behind_cross_county": True,
        "migrant_age_limit": 16,
        "migrant_min_months": 6,
        "incapacity_min_months": 6,
        "out_of_contact_min_months": 6,
        "age_out_notice_days": 30,
        "difficulty_subtypes": SUBTYPES,
    }
    return CategoryRuleSet(**(values | overrides))


def away(relation: str, since: date = date(2025, 3, 1), **extra: Any) -> ParentFacts:
    values: dict[str, Any] = {"work_place": "广东省", "cross_county": True} | extra
    return ParentFacts(relation=relation, state="working_away", state_since=since, **values)


def parent(relation: str, state: str, **extra: Any) -> ParentFacts:
    return ParentFacts(relation=relation, state=state, **extra)


def child(**overrides: Any) -> Facts:
    values: dict[str, Any] = {
        "birth_date": date(2014, 5, 1),
        "area_code": "431103101200",
        "urban_rural": "220",
        "hukou_type": "agricultural",
        "hukou_code": "431103101200",
        "resident_since": date(2020, 1, 1),
        "father": away("father"),
        "mother": away("mother", date(2024, 10, 1)),
    }
    return Facts(**(values | overrides))


def categories(facts: Facts, rs: CategoryRuleSet | None = None, on: date = ON) -> set[str]:
    return {d.category for d in rules.evaluate(facts, rs or ruleset(), on)}


def derived(facts: Facts, category: str, rs: CategoryRuleSet | None = None, on: date = ON) -> Any:
    found = [d for d in rules.evaluate(facts, rs or ruleset(), on) if d.category == category]
    assert len(found) == 1, found
    return found[0]


def notes(facts: Facts, rs: CategoryRuleSet | None = None, on: date = ON) -> list[str]:
    return rules.evaluate_with_notes(facts, rs or ruleset(), on).notes


# --- Left behind -------------------------------------------------------------------------------


def test_it_derives_a_rural_left_behind_child_and_says_why() -> None:
    found = derived(child(), Category.RURAL_LEFT_BEHIND)
    assert found.rule_version == 1
    assert "2025-03-01" in found.reason and "2024-10-01" in found.reason
    assert "广东省" in found.reason
    assert "12" in found.reason and ON.isoformat() in found.reason
    assert found.ends_on == date(2030, 5, 1)
    assert found.bucket == "" and found.subtype == ""


def test_it_ends_left_behind_at_the_16th_birthday() -> None:
    assert Category.RURAL_LEFT_BEHIND in categories(child(birth_date=date(2010, 11, 29)))
    assert Category.RURAL_LEFT_BEHIND not in categories(child(birth_date=date(2010, 11, 28)))
    assert derived(child(birth_date=date(2010, 11, 29)), Category.RURAL_LEFT_BEHIND).ends_on == (
        date(2026, 11, 29)
    )


def test_it_counts_a_29_february_birthday_on_1_march() -> None:
    leapling = child(birth_date=date(2012, 2, 29))
    assert rules.birthday(date(2012, 2, 29), 15) == date(2027, 3, 1)
    assert Category.RURAL_LEFT_BEHIND in categories(leapling, on=date(2028, 2, 28))
    assert Category.RURAL_LEFT_BEHIND not in categories(leapling, on=date(2028, 2, 29))


def test_it_measures_the_age_on_the_cut_off_date() -> None:
    rs = ruleset(left_behind_cutoff=date(2026, 7, 31))
    # 16 since 2026-08-15, but 15 on the cut-off: still counted, and no birthday ends it.
    found = derived(child(birth_date=date(2010, 8, 15)), Category.RURAL_LEFT_BEHIND, rs)
    assert "2026-07-31" in found.reason and found.ends_on is None
    assert Category.RURAL_LEFT_BEHIND not in categories(child(birth_date=date(2010, 7, 31)), rs)
    baby = derived(child(birth_date=date(2026, 9, 1)), Category.RURAL_LEFT_BEHIND, rs)
    assert "2026-07-31" in baby.reason


def test_it_needs_six_months_away_exactly() -> None:
    on_the_day = child(father=away("father", date(2026, 5, 28)))
    one_day_short = child(father=away("father", date(2026, 5, 29)))
    assert Category.RURAL_LEFT_BEHIND in categories(on_the_day)
    assert Category.RURAL_LEFT_BEHIND not in categories(one_day_short)
    assert notes(one_day_short) == []


def test_it_clamps_month_ends_when_counting_months() -> None:
    assert rules.add_months(date(2026, 8, 31), -6) == date(2026, 2, 28)
    facts = child(
        father=away("father", date(2026, 2, 28)), mother=away("mother", date(2026, 2, 28))
    )
    assert Category.RURAL_LEFT_BEHIND in categories(facts, on=date(2026, 8, 31))
    later = child(father=away("father", date(2026, 3, 1)))
    assert Category.RURAL_LEFT_BEHIND not in categories(later, on=date(2026, 8, 31))


def test_it_cannot_decide_when_cross_county_is_unknown() -> None:
    facts = child(mother=away("mother", cross_county=None))
    assert Category.RURAL_LEFT_BEHIND not in categories(facts)
    [note] = notes(facts)
    assert "left behind" in note and "county" in note


def test_it_ignores_work_within_the_county_unless_the_rules_allow_it() -> None:
    facts = child(mother=away("mother", cross_county=False))
    assert Category.RURAL_LEFT_BEHIND not in categories(facts)
    assert notes(facts) == []
    relaxed = ruleset(version=2, left_behind_cross_county=False)
    assert derived(facts, Category.RURAL_LEFT_BEHIND, relaxed).rule_version == 2
    unknown = child(mother=away("mother", cross_county=None))
    assert Category.RURAL_LEFT_BEHIND in categories(unknown, relaxed)


def test_a_shorter_minimum_in_a_later_version_applies() -> None:
    facts = child(father=away("father", date(2026, 8, 28)))
    assert Category.RURAL_LEFT_BEHIND not in categories(facts)
    found = derived(facts, Category.RURAL_LEFT_BEHIND, ruleset(version=2, left_behind_min_months=3))
    assert found.rule_version == 2


def test_it_cannot_decide_without_the_date_of_leaving() -> None:
    facts = child(father=away("father", since=None))  # type: ignore[arg-type]
    assert Category.RURAL_LEFT_BEHIND not in categories(facts)
    assert any("father" in n and "left to work" in n for n in notes(facts))


@pytest.mark.parametrize(
    ("state", "extra", "counts"),
    [
        ("seriously_ill", {}, True),
        ("severely_disabled", {}, True),
        ("severely_disabled", {"disability_type": "physical", "disability_grade": 2}, True),
        ("severely_disabled", {"disability_type": "physical", "disability_grade": 3}, False),
        ("severely_disabled", {"disability_type": "intellectual", "disability_grade": 3}, True),
        ("severely_disabled", {"disability_type": "mental", "disability_grade": 4}, True),
        ("dead", {}, True),
        ("declared_missing", {}, True),
        ("imprisoned", {}, True),
        ("out_of_contact", {}, True),
        ("guardianship_revoked", {}, True),
        ("deported", {}, True),
        ("at_home", {}, False),
    ],
)
def test_one_parent_away_and_the_other_unable_is_left_behind(
    state: str, extra: dict[str, Any], counts: bool
) -> None:
    facts = child(mother=parent("mother", state, **extra))
    assert (Category.RURAL_LEFT_BEHIND in categories(facts)) is counts
    if counts:
        assert "cannot act as guardian" in derived(facts, Category.RURAL_LEFT_BEHIND).reason


def test_it_says_a_missing_parent_record_blocks_the_decision() -> None:
    facts = child(mother=None)
    assert Category.RURAL_LEFT_BEHIND not in categories(facts)
    assert any("mother" in n and "left behind" in n for n in notes(facts))
    at_home = child(father=parent("father", "at_home"), mother=None)
    assert not any("left behind" in n for n in notes(at_home))


def test_it_notes_once_when_no_parent_is_recorded() -> None:
    facts = child(father=None, mother=None)
    assert categories(facts) == set()
    assert len([n for n in notes(facts) if "No parent" in n]) == 1
    assert not any("Cannot decide whether the child is left behind" in n for n in notes(facts))


@pytest.mark.parametrize(
    ("hukou_type", "urban_rural", "area", "category"),
    [
        ("agricultural", "111", "431103101001", Category.RURAL_LEFT_BEHIND),
        ("non_agricultural", "220", "431103101200", Category.URBAN_LEFT_BEHIND),
        ("unified", "111", "431103101200", Category.URBAN_LEFT_BEHIND),
        ("unified", "220", "431103101001", Category.RURAL_LEFT_BEHIND),
        ("", "", "431103101001", Category.URBAN_LEFT_BEHIND),
        ("", "", "431103101200", Category.RURAL_LEFT_BEHIND),
        ("none", "", "431103101399", Category.RURAL_LEFT_BEHIND),
    ],
)
def test_it_tells_rural_from_urban(
    hukou_type: str, urban_rural: str, area: str, category: str
) -> None:
    facts = child(hukou_type=hukou_type, urban_rural=urban_rural, area_code=area, hukou_code=area)
    assert set(categories(facts)) & set(rules.LEFT_BEHIND) == {category}


# --- Migrant -----------------------------------------------------------------------------------


def _migrant(**overrides: Any) -> Facts:
    at_home = {"father": parent("father", "at_home"), "mother": parent("mother", "at_home")}
    return child(**({"hukou_code": "431121100200"} | at_home | overrides))


def test_it_derives_a_migrant_child_after_six_months_here() -> None:
    found = derived(_migrant(resident_since=date(2026, 5, 28)), Category.MIGRANT)
    assert "431121" in found.reason and "431103" in found.reason and "2026-05-28" in found.reason
    assert found.ends_on == date(2030, 5, 1)


def test_it_cannot_decide_a_migrant_registered_recently() -> None:
    facts = _migrant(resident_since=date(2026, 5, 29))
    assert Category.MIGRANT not in categories(facts)
    assert any("migrant" in n and "2026-05-29" in n for n in notes(facts))


def test_a_child_registered_in_its_own_county_is_not_a_migrant() -> None:
    facts = _migrant(hukou_code="431103102")
    assert Category.MIGRANT not in categories(facts)
    assert notes(facts) == []


def test_it_cannot_decide_a_migrant_without_the_hukou_place() -> None:
    facts = _migrant(hukou_code="")
    assert Category.MIGRANT not in categories(facts)
    assert any("hukou" in n for n in notes(facts))


def test_a_migrant_ends_at_16() -> None:
    assert Category.MIGRANT in categories(_migrant(birth_date=date(2010, 11, 29)))
    older = _migrant(birth_date=date(2010, 11, 28))
    assert Category.MIGRANT not in categories(older)
    assert notes(older) == []


# --- Orphans and de-facto unsupported children -------------------------------------------------


@pytest.mark.parametrize(
    ("father", "mother"),
    [
        ("dead", "dead"),
        ("declared_dead", "dead"),
        ("dead", "declared_missing"),
        ("declared_missing", "declared_dead"),
        ("declared_missing", "declared_missing"),
    ],
)
def test_it_derives_an_orphan_from_the_parent_pair(father: str, mother: str) -> None:
    facts = child(father=parent("father", father), mother=parent("mother", mother))
    assert categories(facts) >= {Category.ORPHAN}
    assert Category.DE_FACTO_UNSUPPORTED not in categories(facts)


def test_an_orphan_is_in_bucket_a_with_an_id_number_and_b_without() -> None:
    pair = {"father": parent("father", "dead"), "mother": parent("mother", "dead")}
    with_id = derived(child(has_id_number=True, **pair), Category.ORPHAN)
    without = derived(child(has_id_number=False, **pair), Category.ORPHAN)
    assert (with_id.bucket, without.bucket) == ("A", "B")
    assert with_id.ends_on == date(2032, 5, 1)


def test_an_orphan_ends_at_18() -> None:
    pair = {"father": parent("father", "dead"), "mother": parent("mother", "dead")}
    assert Category.ORPHAN in categories(child(birth_date=date(2008, 11, 29), **pair))
    assert categories(child(birth_date=date(2008, 11, 28), **pair)) == set()


def test_it_cannot_decide_an_orphan_with_one_parent_unrecorded() -> None:
    facts = child(father=parent("father", "dead"), mother=None)
    assert Category.ORPHAN not in categories(facts)
    assert any("orphan" in n and "mother" in n for n in notes(facts))


def test_one_dead_and_one_out_of_contact_is_not_an_orphan() -> None:
    facts = child(
        father=parent("father", "dead"),
        mother=parent("mother", "out_of_contact", police_report_on=date(2026, 5, 28)),
    )
    assert Category.ORPHAN not in categories(facts)
    assert Category.DE_FACTO_UNSUPPORTED in categories(facts)


@pytest.mark.parametrize(
    ("father", "mother", "expected"),
    [
        (("seriously_ill", {}), ("severely_disabled", {}), True),
        (("guardianship_revoked", {}), ("deported", {}), True),
        (("imprisoned", {"state_since": date(2026, 5, 28)}), ("seriously_ill", {}), True),
        (("imprisoned", {"state_since": date(2026, 5, 29)}), ("seriously_ill", {}), False),
        (("compulsory_rehab", {"state_since": date(2025, 1, 1)}), ("dead", {}), True),
        (("restricted", {"state_since": date(2025, 1, 1)}), ("declared_missing", {}), True),
        (("out_of_contact", {"police_report_on": date(2026, 5, 28)}), ("dead", {}), True),
        (("out_of_contact", {"police_report_on": date(2026, 5, 29)}), ("dead", {}), False),
        (
            ("severely_disabled", {"disability_type": "physical", "disability_grade": 4}),
            ("seriously_ill", {}),
            False,
        ),
        (
            ("severely_disabled", {"disability_type": "intellectual", "disability_grade": 4}),
            ("seriously_ill", {}),
            True,
        ),
        (("at_home", {}), ("seriously_ill", {}), False),
        (("working_away", {"state_since": date(2020, 1, 1)}), ("seriously_ill", {}), False),
    ],
)
def test_it_applies_the_de_facto_parent_matrix(
    father: tuple[str, dict[str, Any]], mother: tuple[str, dict[str, Any]], expected: bool
) -> None:
    facts = child(
        father=parent("father", father[0], **father[1]),
        mother=parent("mother", mother[0], **mother[1]),
    )
    assert (Category.DE_FACTO_UNSUPPORTED in categories(facts)) is expected


def test_the_de_facto_reason_names_the_dates() -> None:
    facts = child(
        father=parent("father", "imprisoned", state_since=date(2025, 1, 2)),
        mother=parent("mother", "out_of_contact", police_report_on=date(2025, 3, 4)),
    )
    found = derived(facts, Category.DE_FACTO_UNSUPPORTED)
    assert "2025-01-02" in found.reason and "2025-03-04" in found.reason
    assert "both parents" in found.reason


def test_it_cannot_decide_imprisonment_without_a_start_date() -> None:
    facts = child(father=parent("father", "imprisoned"), mother=parent("mother", "dead"))
    assert Category.DE_FACTO_UNSUPPORTED not in categories(facts)
    assert any("de-facto" in n and "father" in n for n in notes(facts))


def test_it_cannot_decide_out_of_contact_without_the_police_report_date() -> None:
    facts = child(father=parent("father", "out_of_contact"), mother=parent("mother", "dead"))
    assert Category.DE_FACTO_UNSUPPORTED not in categories(facts)
    assert any("police" in n for n in notes(facts))


# --- Children in difficulty --------------------------------------------------------------------


def _subtypes(facts: Facts, rs: CategoryRuleSet | None = None) -> dict[str, str]:
    return {
        d.subtype: d.bucket
        for d in rules.evaluate(facts, rs or ruleset(), ON)
        if d.category == Category.IN_DIFFICULTY
    }


@pytest.mark.parametrize(
    ("facts", "subtype", "bucket"),
    [
        ({"assistance": "dibao"}, "dibao", "A"),
        ({"assistance": "tekun"}, "tekun", "A"),
        ({"disability_type": "physical", "disability_grade": 2}, "severe_disability", "B"),
        ({"disability_type": "intellectual", "disability_grade": 3}, "severe_disability", "B"),
        ({"health": "serious"}, "serious_illness", "B"),
        ({"health": "disabled_ill", "disability_grade": 1}, "serious_illness", "B"),
        ({"guardianship_concern": True}, "guardianship", ""),
    ],
)
def test_it_derives_each_default_sub_type_with_its_bucket(
    facts: dict[str, Any], subtype: str, bucket: str
) -> None:
    assert _subtypes(child(**facts)).get(subtype) == bucket


def test_a_moderate_disability_is_not_severe() -> None:
    facts = child(disability_type="physical", disability_grade=3, health="disabled")
    assert "severe_disability" not in _subtypes(facts)


def test_it_cannot_decide_severe_disability_without_a_grade() -> None:
    facts = child(health="disabled", disability_type="physical")
    assert "severe_disability" not in _subtypes(facts)
    assert any("grade" in n for n in notes(facts))


def test_a_de_facto_unsupported_child_is_also_in_difficulty_bucket_c() -> None:
    facts = child(father=parent("father", "seriously_ill"), mother=parent("mother", "deported"))
    assert _subtypes(facts) == {"de_facto_unsupported": "C"}


def test_it_derives_one_membership_per_matching_sub_type() -> None:
    facts = child(assistance="dibao", health="serious", guardianship_concern=True)
    assert _subtypes(facts) == {"dibao": "A", "serious_illness": "B", "guardianship": ""}


def test_local_sub_types_use_the_configured_conditions() -> None:
    rs = ruleset(
        version=3,
        difficulty_subtypes=[
            {"code": "low", "name": "低收入", "bucket": "A", "when": "household_low_income"},
            {"code": "orphan", "name": "孤儿", "bucket": "", "when": "orphan"},
            {"code": "any_dis", "name": "残疾", "bucket": "B", "when": "child_disabled"},
        ],
    )
    assert _subtypes(child(assistance="dibao_edge"), rs) == {"low": "A"}
    orphan = child(father=parent("father", "dead"), mother=parent("mother", "dead"))
    assert _subtypes(orphan, rs) == {"orphan": ""}
    assert _subtypes(child(disability_grade=4), rs) == {"any_dis": "B"}
    found = [d for d in rules.evaluate(child(assistance="tekun"), rs, ON) if d.subtype == "low"]
    assert found[0].rule_version == 3 and "低收入" in found[0].reason


def test_it_never_derives_key_assistance() -> None:
    everything = child(assistance="dibao", health="disabled_ill", guardianship_concern=True)
    assert Category.KEY_ASSISTANCE not in categories(everything)


# --- Sub-type validation -----------------------------------------------------------------------


def test_it_accepts_the_default_sub_types() -> None:
    assert rules.validate_subtypes(SUBTYPES) == SUBTYPES


@pytest.mark.parametrize(
    "value",
    [
        "not a list",
        [{"code": "x", "name": "X", "bucket": "A", "when": "household_rich"}],
        [{"code": "x", "name": "X", "bucket": "D", "when": "household_dibao"}],
        [{"code": "X Y", "name": "X", "bucket": "A", "when": "household_dibao"}],
        [{"code": "x", "name": "", "bucket": "A", "when": "household_dibao"}],
        [
            {"code": "x", "name": "X", "bucket": "A", "when": "household_dibao"},
            {"code": "x", "name": "Y", "bucket": "B", "when": "household_tekun"},
        ],
        ["a string"],
    ],
)
def test_it_refuses_bad_sub_types(value: Any) -> None:
    with pytest.raises(ValidationError):
        rules.validate_subtypes(value)


def test_an_unknown_condition_is_named_in_the_message() -> None:
    with pytest.raises(ValidationError) as caught:
        rules.validate_subtypes(
            [{"code": "x", "name": "X", "bucket": "", "when": "household_rich"}]
        )
    assert "household_rich" in caught.value.messages[0]


# --- Status, adults, ending --------------------------------------------------------------------


@pytest.mark.parametrize("status", ["moved_away", "aged_out", "deceased", "merged"])
def test_an_inactive_child_is_in_no_category(status: str) -> None:
    assert categories(child(status=status, assistance="dibao")) == set()


def test_it_explains_an_ending_at_the_age_limit() -> None:
    facts = child(birth_date=date(2010, 11, 20))
    reason, last_day = rules.ending(Category.RURAL_LEFT_BEHIND, "", facts, ruleset(), ON)
    assert "16" in reason and "2026-11-20" in reason
    assert last_day == date(2026, 11, 19)


def test_it_explains_an_ending_when_a_parent_came_home() -> None:
    facts = child(father=parent("father", "at_home"))
    reason, last_day = rules.ending(Category.RURAL_LEFT_BEHIND, "", facts, ruleset(), ON)
    assert "father is at home" in reason
    assert last_day == date(2026, 11, 27)


def test_it_explains_a_switch_from_rural_to_urban() -> None:
    facts = child(hukou_type="non_agricultural")
    now = rules.evaluate(facts, ruleset(), ON)
    reason, _last = rules.ending(Category.RURAL_LEFT_BEHIND, "", facts, ruleset(), ON, derived=now)
    assert str(Category.URBAN_LEFT_BEHIND.label) in reason


def test_it_explains_an_ending_at_18_for_every_category() -> None:
    facts = child(birth_date=date(2008, 11, 1))
    reason, last_day = rules.ending(Category.KEY_ASSISTANCE, "", facts, ruleset(), ON)
    assert "18" in reason and last_day == date(2008 + 18, 10, 31)
