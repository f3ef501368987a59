"""The deterministic plan of the demo's children: households drawn village by village
with their situation, children, schools and guardians, from one ``random.Random``
stream per seed. Pure: no database."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from itertools import accumulate
from typing import Any

from carecircle.accounts.roles import Role
from carecircle.people.demo.district import (
    _G,
    COUNTY,
    DEFAULT_SEED,
    REGISTERED_BY_DIRECTOR,
    SCHOOLS,
    DemoOrg,
    school_grade,
    townships,
    villages,
)
from carecircle.people.demo.families import (
    _AREA_WEIGHT,
    _CHILD_ILLNESSES,
    _DISABILITY_TYPES,
    _ETHNICITIES,
    _MIGRANT_FROM,
    _RURAL_WEIGHTS,
    _SITUATION_KEYS,
    _UNABLE_SITUATIONS,
    _URBAN_WEIGHTS,
    _YAO_COUNTY,
    SHOWCASE,
)
from carecircle.people.demo.guardians import _GuardianDraws
from carecircle.people.demo.identity import _surname, _years_before, given_name
from carecircle.people.demo.rows import DemoGuardian, DemoHousehold, DemoMinor
from carecircle.people.demo.staff import staff_plan
from carecircle.people.models import Household, Minor


class _Planner(_GuardianDraws):
    """Draws households and their children from one ``random.Random`` stream (the
    guardians' draws are ``_GuardianDraws``'s, on the same stream)."""

    def __init__(self, *, seed: int, today: date) -> None:
        self.rng = random.Random(f"carecircle-demo:{seed}:minors")  # noqa: S311 - demo data
        self.today = today
        self.places = villages()
        self.place_weights = list(accumulate(_AREA_WEIGHT.get(p[2], 1.0) for p in self.places))
        self.by_code = {p[0]: p for p in self.places}
        self.township_names = dict(townships())
        self.earliest = _years_before(today, 18) + timedelta(days=1)
        self.issued: set[str] = set()
        # The yearly screenings (摸底排查) of the last five years, in March.
        self.campaigns = [
            day for day in (date(year, 3, 15) for year in range(today.year - 4, today.year + 1))
            if day < today
        ]  # fmt: skip
        # The village's child director is the household's contact at the village committee.
        self.contacts: dict[str, tuple[str, str]] = {}
        for staff in staff_plan(seed):
            if staff.role == Role.CHILD_DIRECTOR:
                self.contacts[staff.division] = (staff.full_name, staff.phone)
        self.schools_by_township: dict[str, list[DemoOrg]] = {}
        for org in SCHOOLS:
            if not org.special:
                self.schools_by_township.setdefault(org.division, []).append(org)

    # --- registration

    def registered_on(self, born: date, *, early: bool) -> date:
        """A screening after the birth (the first one when ``early``), or, for a child
        born since the last one, a day within three months of the birth."""
        after = [day for day in self.campaigns if day > born]
        if after:
            return after[0] if early else self.rng.choice(after)
        return min(born + timedelta(days=self.rng.randint(20, 90)), self.today)

    # --- places and schools

    def address(self, code: str) -> str:
        rng = self.rng
        _code, village, urban_rural = self.by_code[code]
        place = self.township_names[code[:9]] + village
        if urban_rural == "220":
            return f"湖南省永州市冷水滩区{place}{rng.randint(1, 12)}组{rng.randint(1, 60)}号"
        return (
            f"湖南省永州市冷水滩区{place}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
            f"{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
        )

    def school_for(self, township: str, grade: int, severe: bool) -> str:
        rng = self.rng
        if severe and 1 <= grade <= 9 and rng.random() < 0.55:
            return "special_school"
        candidates = [s for s in self.schools_by_township.get(township, []) if s.teaches(grade)]
        if not candidates:
            urban = int(township[6:9]) < 100
            candidates = [
                s
                for s in SCHOOLS
                if not s.special
                and s.teaches(grade)
                and (grade >= 10 or (int(s.division[6:9]) < 100) == urban)
            ]
        return rng.choice(candidates).key

    # --- households

    def household(
        self, number: int, situation: str, code: str, options: dict[str, Any]
    ) -> Iterator[DemoMinor]:
        rng, today = self.rng, self.today
        _code, _village, urban_rural = self.by_code[code]
        rural = urban_rural == "220"
        migrant = situation == "migrant"
        # Hukou: agricultural in the villages, mostly non-agricultural in the communities;
        # a migrant family's is in its home county.
        if migrant:
            origin = rng.choices(*zip(*_MIGRANT_FROM, strict=True))[0]
            hukou_type = rng.choices(
                (
                    Minor.HukouType.AGRICULTURAL,
                    Minor.HukouType.NON_AGRICULTURAL,
                    Minor.HukouType.UNIFIED,
                ),
                weights=(70, 20, 10),
            )[0]
            hukou_code, id_area = origin, origin
        else:
            if options.get("urban"):
                hukou_type = Minor.HukouType.NON_AGRICULTURAL
            elif rural:
                hukou_type = rng.choices(
                    (
                        Minor.HukouType.AGRICULTURAL,
                        Minor.HukouType.UNIFIED,
                        Minor.HukouType.NON_AGRICULTURAL,
                    ),
                    weights=(88, 7, 5),
                )[0]
            else:
                hukou_type = rng.choices(
                    (
                        Minor.HukouType.NON_AGRICULTURAL,
                        Minor.HukouType.AGRICULTURAL,
                        Minor.HukouType.UNIFIED,
                    ),
                    weights=(72, 18, 10),
                )[0]
            hukou_code, id_area = code, COUNTY
            if hukou_type == Minor.HukouType.AGRICULTURAL and not rural:
                # Moved to town, hukou still in a village of the district.
                hukou_code = rng.choice([p[0] for p in self.places if p[2] == "220"])
        if migrant and origin == _YAO_COUNTY and rng.random() < 0.65:
            ethnicity = "13"  # 瑶族
        else:
            ethnicity = rng.choices(*zip(*_ETHNICITIES, strict=True))[0]
        # Children per household: 1-3, more of them in the villages.
        children = (
            options.get("children")
            or rng.choices((1, 2, 3), weights=(38, 46, 16) if rural else (55, 40, 5))[0]
        )
        youngest_age, oldest_age = options.get("ages", (0, 17))
        earliest = _years_before(today, oldest_age + 1) + timedelta(days=1)
        latest = _years_before(today, youngest_age)
        eldest = earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))
        births = [eldest]
        for _sibling in range(children - 1):
            born = births[-1] + timedelta(days=rng.randint(400, 2600))
            if born > today:
                break
            births.append(born)
        # Poverty: 低保 and 特困 are commoner where a parent cannot work.
        unable = situation in _UNABLE_SITUATIONS
        assistance = options.get("assistance")
        if assistance is None:
            roll = rng.random()
            if situation == "orphan":
                assistance = "tekun" if roll < 0.45 else "dibao" if roll < 0.9 else "none"
            elif unable:
                assistance = "dibao" if roll < 0.45 else "tekun" if roll < 0.5 else "none"
            elif rural:
                assistance = (
                    "dibao" if roll < 0.04 else "tekun" if roll < 0.043
                    else "dibao_edge" if roll < 0.063 else "fanpin_jiance" if roll < 0.093
                    else "none"
                )  # fmt: skip
            else:
                assistance = "dibao" if roll < 0.02 else "dibao_edge" if roll < 0.03 else "none"
        if situation in ("father_away", "mother_away", "both_away", "both_away_recent") or (
            situation in ("away_other_unable", "single_parent_away", "both_away_in_county")
        ):
            income: str = Household.Income.WAGES
        elif assistance in ("dibao", "tekun") and rng.random() < 0.6:
            income = Household.Income.ASSISTANCE
        elif rural:
            income = rng.choices(("farming", "wages", "business"), weights=(55, 30, 15))[0]
        else:
            income = rng.choices(("wages", "business", "other"), weights=(62, 30, 8))[0]
        contact_name, contact_phone = self.contacts.get(code, ("", ""))
        household = DemoHousehold(
            number=number,
            situation=situation,
            area_code=code,
            address=self.address(code),
            main_income=income,
            assistance=assistance,
            village_contact=contact_name,
            village_contact_phone=contact_phone,
        )
        surname = _surname(rng)
        guardians = self.family(
            situation, surname=surname, eldest=eldest, id_area=id_area, options=options
        )
        concern_rate = 0.03 if situation in ("de_facto", "de_facto_pending", "both_away") else 0.003
        family_concern = bool(options.get("concern")) or rng.random() < concern_rate
        for index, born in enumerate(births):
            sex = "M" if rng.random() < 0.52 else "F"
            name = surname + given_name(rng, sex)
            id_number = self.id_number(id_area, born, sex)
            no_hukou = False
            if rng.random() < 0.03:
                # Not yet registered with the police (未落户), or the number is unknown.
                id_number, no_hukou = "", rng.random() < 0.4
            yield self.child(
                household=household,
                guardians=guardians,
                name=name,
                sex=sex,
                born=born,
                id_number=id_number,
                hukou_type=Minor.HukouType.NONE if no_hukou else hukou_type,
                hukou_code="" if no_hukou else hukou_code,
                ethnicity=ethnicity,
                concern=family_concern and index == len(births) - 1,
                disabled=bool(options.get("disabled_child")) and index == 0,
                situation=situation,
                registered_on=self.registered_on(born, early=bool(options.get("early"))),
            )

    def child(
        self,
        *,
        household: DemoHousehold,
        guardians: tuple[DemoGuardian, ...],
        name: str,
        sex: str,
        born: date,
        id_number: str,
        hukou_type: str,
        hukou_code: str,
        ethnicity: str,
        concern: bool,
        disabled: bool,
        situation: str,
        registered_on: date,
    ) -> DemoMinor:
        rng, today = self.rng, self.today
        code = household.area_code
        health, illness, disability_type, disability_grade = Minor.Health.HEALTHY, "", "", None
        roll = rng.random()
        if disabled or roll < 0.012:
            disability_type = rng.choices(
                [t for t, _w in _DISABILITY_TYPES], weights=[w for _t, w in _DISABILITY_TYPES]
            )[0]
            disability_grade = (
                2 if disabled else rng.choices((1, 2, 3, 4), weights=(15, 25, 30, 30))[0]
            )
            health = Minor.Health.DISABLED
            if rng.random() < 0.08:
                health, illness = Minor.Health.DISABLED_AND_ILL, rng.choice(_CHILD_ILLNESSES)
        elif roll < 0.016:
            health, illness = Minor.Health.SERIOUS, rng.choice(_CHILD_ILLNESSES)
        elif roll < 0.036:
            health = Minor.Health.CHRONIC
        severe = disability_grade in (1, 2)
        grade = school_grade(born, today)
        school, schooling, boarding = "", Minor.Schooling.NOT_YET, False
        unsettled = concern or situation in ("de_facto", "orphan", "de_facto_pending")
        if grade < _G.KINDERGARTEN_1:
            pass
        elif grade <= _G.KINDERGARTEN_3:
            away = situation in ("both_away", "away_other_unable")
            if rng.random() < (0.8 if away else 0.88):
                schooling = Minor.Schooling.PRESCHOOL
                school = self.school_for(code[:9], grade, severe)
        elif grade <= _G.JUNIOR_3:
            roll = rng.random()
            if severe and roll < 0.2:
                schooling = Minor.Schooling.SUSPENDED  # taught at home (送教上门)
            elif roll < (0.03 if unsettled else 0.004):
                schooling = rng.choice((Minor.Schooling.SUSPENDED, Minor.Schooling.DROPPED_OUT))
            else:
                schooling = Minor.Schooling.IN_SCHOOL
                school = self.school_for(code[:9], grade, severe)
        else:
            roll = rng.random()
            if roll < 0.07:
                schooling = Minor.Schooling.LEFT_SCHOOL
            elif roll < 0.12:
                schooling = Minor.Schooling.DROPPED_OUT
            else:
                schooling = Minor.Schooling.IN_SCHOOL
                school = self.school_for(code[:9], grade, severe)
        if school:
            rural_home = int(code[9:12]) >= 200
            left_behind = situation in ("both_away", "away_other_unable", "single_parent_away")
            if school == "special_school" or grade >= _G.SENIOR_1:
                boarding = rng.random() < (0.6 if rural_home else 0.35)
            elif grade >= _G.JUNIOR_1:
                rate = (0.55 if left_behind else 0.4) if rural_home else 0.05
                boarding = rng.random() < rate
            elif grade >= _G.PRIMARY_4 and rural_home:
                boarding = rng.random() < (0.12 if left_behind else 0.05)
        return DemoMinor(
            name=name,
            sex=sex,
            birth_date=born,
            id_number=id_number,
            area_code=code,
            address=household.address,
            school=school,
            status=Minor.Status.ACTIVE,
            grade=grade if school else None,
            household=household,
            guardians=guardians,
            ethnicity=ethnicity,
            hukou_type=hukou_type,
            hukou_code=hukou_code,
            schooling=schooling,
            boarding=boarding,
            health=health,
            illness=illness,
            disability_type=disability_type,
            disability_grade=disability_grade,
            guardianship_concern=concern,
            registered_on=registered_on,
        )


def minor_rows(*, seed: int = DEFAULT_SEED, count: int, today: date) -> Iterator[DemoMinor]:
    """``count`` children aged 0-17 on ``today``, household by household (siblings
    together), spread over the villages and communities; the first households are
    ``SHOWCASE``'s, so that even a small demo has every family situation, and the
    first ``REGISTERED_BY_DIRECTOR`` children live in ``DEMO_VILLAGE``."""
    planner = _Planner(seed=seed, today=today)
    rng = planner.rng
    produced = 0
    number = 0
    while produced < count:
        if number < len(SHOWCASE):
            situation, code, options = SHOWCASE[number]
        else:
            code, _name, urban_rural = rng.choices(
                planner.places, cum_weights=planner.place_weights
            )[0]
            weights = _RURAL_WEIGHTS if urban_rural == "220" else _URBAN_WEIGHTS
            situation, options = rng.choices(_SITUATION_KEYS, weights=weights)[0], {}
        for child in planner.household(number, situation, code, options):
            roll = rng.random()
            if produced >= REGISTERED_BY_DIRECTOR and number >= len(SHOWCASE) and roll < 0.021:
                status = Minor.Status.MOVED_AWAY if roll < 0.02 else Minor.Status.DECEASED
                child = replace(child, status=status)
            yield child
            produced += 1
            if produced == count:
                return
        number += 1
