"""The demo district's plan (``demo.minor_rows``): pure, deterministic, realistic.

No database: the plan is data. What the rule engine makes of it is tested on a
loaded district in ``test_seed_demo.py``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from carecircle.people import demo
from carecircle.people.models import Guardian, Household, Minor

TODAY = date(2026, 2, 28)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PARENTS = (Guardian.Relation.FATHER, Guardian.Relation.MOTHER)


def passes_mod_11_2(id_number: str) -> bool:
    """GB 11643 check, written out independently of the code under test."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(id_number[:17], WEIGHTS, strict=True)) % 11
    return id_number[17] == "10X98765432"[remainder]


def age(born: date, day: date = TODAY) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@pytest.fixture(scope="module")
def rows() -> list[demo.DemoMinor]:
    return list(demo.minor_rows(seed=3, count=6000, today=TODAY))


def households(rows: list[demo.DemoMinor]) -> dict[int, list[demo.DemoMinor]]:
    members: dict[int, list[demo.DemoMinor]] = {}
    for row in rows:
        members.setdefault(row.household.number, []).append(row)
    return members


def parent(row: demo.DemoMinor, relation: str) -> demo.DemoGuardian:
    return next(g for g in row.guardians if g.relation == relation)


def test_it_plans_the_same_district_for_the_same_seed() -> None:
    first = list(demo.minor_rows(seed=7, count=300, today=TODAY))
    assert first == list(demo.minor_rows(seed=7, count=300, today=TODAY))
    assert first != list(demo.minor_rows(seed=8, count=300, today=TODAY))
    assert [g.id_number for r in first for g in r.guardians] == [
        g.id_number for r in demo.minor_rows(seed=7, count=300, today=TODAY) for g in r.guardians
    ]
    assert demo.staff_plan(7) == demo.staff_plan(7)
    assert demo.staff_plan(7) != demo.staff_plan(8)
    # More minors do not change the staff, nor the first children and their families.
    assert list(demo.minor_rows(seed=7, count=100, today=TODAY)) == first[:100]


def test_it_keeps_the_named_staff_of_earlier_versions() -> None:
    # The accounts published in the README and their scopes do not move.
    plan = {s.username: s for s in demo.staff_plan()}
    assert set(demo.DEMO_USERNAMES) <= set(plan)
    assert plan["child_director"].division == demo.DEMO_VILLAGE
    assert plan["child_supervisor"].division == demo.DEMO_TOWNSHIP
    assert plan["school_psych_teacher"].organisation == demo.DEMO_SCHOOL
    teachers = {s.organisation for s in plan.values() if s.role == "school_psych_teacher"}
    # One psychology teacher per school; kindergartens have none.
    assert teachers == {s.key for s in demo.SCHOOLS if not s.is_kindergarten}


def test_it_gives_children_and_parents_valid_id_numbers(rows: list[demo.DemoMinor]) -> None:
    numbered = [r for r in rows if r.id_number]
    assert 0.01 < 1 - len(numbered) / len(rows) < 0.06  # about 3 % have none
    adults = [g.id_number for r in rows for g in r.guardians if g.id_number]
    every = [r.id_number for r in numbered] + list(
        dict.fromkeys(adults)  # siblings share their parents' numbers
    )
    assert len(set(every)) == len(every)
    for number in every:
        assert passes_mod_11_2(number), number
    for row in numbered:
        assert row.id_number[6:14] == f"{row.birth_date:%Y%m%d}"
        assert int(row.id_number[16]) % 2 == (1 if row.sex == "M" else 0)
        # Issued where the hukou was first registered: here, or a migrant's home county.
        expected = row.hukou_code[:6] if row.household.situation == "migrant" else "431103"
        assert row.id_number[:6] == expected
    assert {age(r.birth_date) for r in rows} == set(range(18))
    assert max(r.birth_date for r in rows) <= TODAY


def test_it_groups_children_in_households_with_siblings(rows: list[demo.DemoMinor]) -> None:
    members = households(rows)
    sizes = Counter(len(m) for m in members.values())
    assert set(sizes) == {1, 2, 3}
    assert 0.3 < (sizes[2] + sizes[3]) / len(members) < 0.7
    for siblings in members.values():
        first = siblings[0]
        assert len({s.household for s in siblings}) == 1
        assert {s.area_code for s in siblings} == {first.household.area_code}
        assert {s.address for s in siblings} == {first.household.address}
        assert len({s.name[0] for s in siblings}) == 1  # the father's surname
        assert len({s.guardians for s in siblings}) == 1  # the same parents
        assert len({s.birth_date for s in siblings}) == len(siblings)
        father = parent(first, Guardian.Relation.FATHER)
        assert father.name[0] == first.name[0]
        # Parents are adults when the eldest is born.
        eldest = min(s.birth_date for s in siblings)
        for relation in PARENTS:
            number = parent(first, relation).id_number
            if number:
                assert (
                    age(date(int(number[6:10]), int(number[10:12]), int(number[12:14])), eldest)
                    >= 20
                )


def test_it_puts_children_in_the_grade_of_their_age(rows: list[demo.DemoMinor]) -> None:
    schools = {s.key: s for s in demo.SCHOOLS}
    for row in rows:
        grade = demo.school_grade(row.birth_date, TODAY)
        if not row.school:
            assert row.grade is None
            assert row.schooling != Minor.Schooling.IN_SCHOOL or grade >= 10
            continue
        school = schools[row.school]
        assert row.grade == grade and school.teaches(grade)
        # September entry at six: primary year 1 is 6-7 years old, kindergarten 3-5.
        assert grade + 5 <= age(row.birth_date) <= grade + 6
        assert row.schooling == (
            Minor.Schooling.PRESCHOOL if grade <= 0 else Minor.Schooling.IN_SCHOOL
        )
        if school.special:
            assert row.disability_grade in (1, 2)
        elif grade <= 9 and row.household.situation != "migrant":
            rural = int(row.area_code[6:9]) >= 100
            same_township = school.division == row.area_code[:9]
            assert same_township or not rural
        if row.boarding:
            assert grade >= 4 or school.special
    under_three = [r for r in rows if demo.school_grade(r.birth_date, TODAY) < -2]
    assert under_three and all(r.schooling == Minor.Schooling.NOT_YET for r in under_three)
    # Some rural junior-secondary pupils board at their town's middle school.
    juniors = [r for r in rows if r.grade in (7, 8, 9) and r.area_code[9:] >= "200"]
    assert 0.25 < sum(r.boarding for r in juniors) / len(juniors) < 0.6


def test_it_draws_hukou_and_ethnicity_in_realistic_shares(rows: list[demo.DemoMinor]) -> None:
    villages = [r for r in rows if r.area_code[9:] >= "200"]
    towns = [r for r in rows if r.area_code[9:] < "200"]
    agricultural = Minor.HukouType.AGRICULTURAL
    assert sum(r.hukou_type == agricultural for r in villages) / len(villages) > 0.8
    non_agricultural = Minor.HukouType.NON_AGRICULTURAL
    assert sum(r.hukou_type == non_agricultural for r in towns) / len(towns) > 0.5
    migrants = [r for r in rows if r.household.situation == "migrant"]
    assert 0.03 < len(migrants) / len(rows) < 0.12
    assert all(r.hukou_code[:6] != "431103" for r in migrants if r.hukou_code)
    assert {r.hukou_code for r in migrants} >= {"431102", "431121"}
    assert any(r.hukou_code[:2] == "45" for r in migrants)  # Guangxi
    locals_ = [r for r in rows if r.household.situation != "migrant" and r.hukou_code]
    assert all(len(r.hukou_code) == 12 and r.hukou_code[:6] == "431103" for r in locals_)
    ethnicity = Counter(r.ethnicity for r in rows)
    assert ethnicity["01"] / len(rows) > 0.93  # 汉族
    assert 0.005 < ethnicity["13"] / len(rows) < 0.05  # 瑶族
    assert len(ethnicity) >= 4


def test_it_draws_family_situations_in_realistic_shares(rows: list[demo.DemoMinor]) -> None:
    situations = Counter(r.household.situation for r in rows)
    share = {key: count / len(rows) for key, count in situations.items()}
    assert set(situations) == {s.key for s in demo.SITUATIONS}
    assert share["both_home"] > 0.4
    assert 0.06 < share["both_away"] < 0.2  # Hunan: many parents work in 广东 and 浙江
    assert share["orphan"] < 0.01 and share["de_facto"] < 0.015
    away = [
        g
        for r in rows
        if r.household.situation == "both_away"
        for g in r.guardians
        if g.relation in PARENTS
    ]
    assert all(g.state == Guardian.State.WORKING_AWAY for g in away)
    outside = [g for g in away if g.cross_county]
    assert len(outside) / len(away) > 0.95
    places = Counter(g.work_place[:3] for g in outside)
    assert places["广东省"] > places["浙江省"] > 0
    assert all(g.state_since and (TODAY - g.state_since).days >= 200 for g in away)
    recent = [
        g
        for r in rows
        if r.household.situation == "both_away_recent"
        for g in r.guardians
        if g.relation in PARENTS
    ]
    assert recent and all((TODAY - g.state_since).days < 180 for g in recent if g.state_since)
    assistance = Counter(r.household.assistance for r in rows)
    assert 0.02 < assistance[Household.Assistance.MINIMUM_LIVING] / len(rows) < 0.1
    assert assistance[Household.Assistance.EXTREME_POVERTY] > 0
    disabled = [r for r in rows if r.disability_grade]
    assert 0.005 < len(disabled) / len(rows) < 0.03
    assert {r.disability_grade for r in disabled} == {1, 2, 3, 4}
    assert 0 < sum(r.guardianship_concern for r in rows) / len(rows) < 0.02


def test_it_records_the_entrusted_guardian_of_children_left_behind(
    rows: list[demo.DemoMinor],
) -> None:
    left = [r for r in rows if r.household.situation == "both_away"]
    carers = [next(g for g in r.guardians if g.relation not in PARENTS) for r in left]
    assert all(c.is_entrusted for c in carers)
    relations = Counter(c.relation for c in carers)
    assert relations[Guardian.Relation.GRANDMOTHER] > relations[Guardian.Relation.GRANDFATHER]
    signed = [c for c in carers if c.entrustment_signed_on]
    # Most confirmations are signed; the missing ones raise warnings for the child director.
    assert 0.7 < len(signed) / len(carers) < 0.97
    assert all(c.entrustment_signed_on <= TODAY for c in signed if c.entrustment_signed_on)
    contacts = [
        (TODAY - g.last_contact_on).days
        for r in left
        for g in r.guardians
        if g.relation in PARENTS and g.last_contact_on
    ]
    # Most parents away were in touch within the week, some not for a month or more.
    assert sum(d <= 7 for d in contacts) / len(contacts) > 0.7
    assert max(contacts) > 30


def test_it_records_the_facts_of_orphans_and_de_facto_unsupported_children(
    rows: list[demo.DemoMinor],
) -> None:
    incapacity = {
        Guardian.State.IMPRISONED,
        Guardian.State.COMPULSORY_REHAB,
        Guardian.State.RESTRICTED,
        Guardian.State.OUT_OF_CONTACT,
        Guardian.State.SEVERELY_DISABLED,
        Guardian.State.SERIOUSLY_ILL,
        Guardian.State.GUARDIANSHIP_REVOKED,
        Guardian.State.DEPORTED,
    }
    lost = {Guardian.State.DEAD, Guardian.State.DECLARED_DEAD, Guardian.State.DECLARED_MISSING}
    for row in rows:
        situation = row.household.situation
        states = {g.relation: g for g in row.guardians if g.relation in PARENTS}
        if situation == "orphan":
            assert {g.state for g in states.values()} <= lost
        elif situation == "de_facto":
            assert all(g.state in incapacity | lost for g in states.values())
            assert any(g.state in incapacity for g in states.values())
            for g in states.values():
                assert g.evidence
                if g.state == Guardian.State.OUT_OF_CONTACT:
                    assert g.police_report_on and (TODAY - g.police_report_on).days >= 200
                if g.state == Guardian.State.SEVERELY_DISABLED:
                    assert g.disability_grade in (1, 2, 3, 4) and "残疾人证" in g.evidence


@pytest.mark.parametrize("count", [1, 15, 40])
def test_it_opens_with_every_family_situation_in_the_demo_village(count: int) -> None:
    rows = list(demo.minor_rows(seed=5, count=count, today=TODAY))
    assert len(rows) == count
    assert all(r.area_code == demo.DEMO_VILLAGE for r in rows[: demo.REGISTERED_BY_DIRECTOR])
    if count >= 15:
        showcased = {r.household.situation for r in rows}
        assert {"both_away", "de_facto", "orphan", "migrant", "away_other_unable"} <= showcased
