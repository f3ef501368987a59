"""The guardians half of the minors' planner: ID numbers and adults' birth dates, and
a family's parents and carer, whose states and evidence follow from the household's
situation. A mixin of ``planner._Planner``, drawing from the planner's stream."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from carecircle.people.demo.district import COUNTY
from carecircle.people.demo.families import (
    _ADULT_ILLNESSES,
    _DE_FACTO_PAIRS,
    _DISABILITY_DIGIT,
    _DISABILITY_TYPES,
    _HOSPITALS,
    _INCAPACITY,
    _ORPHAN_PAIRS,
    _POLICE_STATIONS,
    _R,
    _S,
    _WORK_AWAY,
    _WORK_IN_COUNTY,
)
from carecircle.people.demo.identity import (
    _VIETNAMESE_WOMEN,
    _days_ago,
    _person_name,
    _phone,
    _years_before,
    id_number_for,
)
from carecircle.people.demo.rows import DemoGuardian


class _GuardianDraws:
    """Draws a household's guardians; ``_Planner`` provides the stream, the day and the
    ID numbers already issued (children's and adults' share one set)."""

    rng: random.Random
    today: date
    issued: set[str]

    # --- people

    def id_number(self, area: str, born: date, sex: str) -> str:
        rng = self.rng
        while True:
            # Odd 001-999 for men, even 002-998 for women.
            sequence = 2 * rng.randrange(500) + 1 if sex == "M" else 2 * rng.randrange(499) + 2
            number = id_number_for(area, born, sequence)
            if number not in self.issued:
                self.issued.add(number)
                return number

    def adult_birth(self, child_born: date, low: int, high: int) -> date:
        born = _years_before(child_born, self.rng.randint(low, high))
        return born - timedelta(days=self.rng.randrange(365))

    # --- guardians

    def parent(
        self,
        relation: str,
        state: str,
        *,
        surname: str,
        born: date,
        id_area: str,
        recent: bool = False,
        in_county: bool = False,
        foreign: bool = False,
    ) -> DemoGuardian:
        rng, today = self.rng, self.today
        sex = "M" if relation == _R.FATHER else "F"
        name = rng.choice(_VIETNAMESE_WOMEN) if foreign else _person_name(rng, sex, surname=surname)
        id_number = "" if foreign or rng.random() < 0.06 else self.id_number(id_area, born, sex)
        alive = state not in (_S.DEAD, _S.DECLARED_DEAD, _S.DECLARED_MISSING, _S.OUT_OF_CONTACT)
        phone = _phone(rng) if alive and state != _S.DEPORTED and rng.random() < 0.92 else ""
        facts: dict[str, Any] = {}
        year = rng.randint(2019, today.year - 1)
        number = rng.randint(3, 980)
        if state == _S.AT_HOME:
            pass
        elif state == _S.WORKING_AWAY:
            if in_county:
                place, code = rng.choice(_WORK_IN_COUNTY)
                cross: bool | None = False
            else:
                place, code, _weight = rng.choices(_WORK_AWAY, weights=[w[2] for w in _WORK_AWAY])[
                    0
                ]
                cross = True if rng.random() > 0.01 else None  # a few not yet ascertained
            since = _days_ago(today, 20, 150, rng) if recent else _days_ago(today, 200, 3000, rng)
            # Parents away ring or video-call the child; most within the week.
            roll = rng.random()
            contact = (
                _days_ago(today, 0, 6, rng)
                if roll < 0.8
                else _days_ago(today, 8, 30, rng)
                if roll < 0.95
                else _days_ago(today, 31, 120, rng)
            )
            facts = {
                "state_since": since,
                "work_place": place,
                "work_area_code": code,
                "cross_county": cross,
                "last_contact_on": contact,
            }
        elif state in (_S.DEAD, _S.DECLARED_DEAD):
            since = _days_ago(today, 60, 4000, rng)
            if state == _S.DEAD:
                evidence = rng.choice(("居民死亡医学证明书", "火化证明", "户籍注销证明"))
            else:
                evidence = f"冷水滩区人民法院（{since.year}）湘1103民特{number}号判决书（宣告死亡）"
            facts = {"state_since": since, "evidence": evidence}
        elif state == _S.DECLARED_MISSING:
            since = _days_ago(today, 800, 4000, rng)
            facts = {
                "state_since": since,
                "evidence": f"冷水滩区人民法院（{year}）湘1103民特{number}号判决书（宣告失踪）",
            }
        elif state == _S.OUT_OF_CONTACT:
            reported = (
                _days_ago(today, 40, 120, rng) if recent else _days_ago(today, 200, 1500, rng)
            )
            station = rng.choice(_POLICE_STATIONS)
            facts = {
                "state_since": reported - timedelta(days=rng.randint(10, 300)),
                "police_report_on": None if recent and rng.random() < 0.5 else reported,
                "evidence": f"永州市公安局冷水滩分局{station}查找无果证明",
            }
        elif state in (_S.IMPRISONED, _S.COMPULSORY_REHAB, _S.RESTRICTED):
            since = _days_ago(today, 30, 120, rng) if recent else _days_ago(today, 200, 2500, rng)
            evidence = {
                _S.IMPRISONED: f"冷水滩区人民法院（{since.year}）湘1103刑初{number}号刑事判决书",
                _S.COMPULSORY_REHAB: (
                    f"强制隔离戒毒决定书（永公（禁）决字〔{since.year}〕{number}号）"
                ),
                _S.RESTRICTED: f"永州市公安局冷水滩分局羁押证明（{since.year}）第{number}号",
            }[_S(state)]
            facts = {"state_since": since, "evidence": evidence}
        elif state == _S.SEVERELY_DISABLED:
            # 重残: grade 1-2 of any type, or 3-4 of a mental or intellectual disability.
            kind = rng.choices(_DISABILITY_TYPES, weights=[w for _t, w in _DISABILITY_TYPES])[0][0]
            grade = rng.choice((3, 4)) if kind in ("mental", "intellectual") else rng.choice((1, 2))
            card = f"{id_number}{_DISABILITY_DIGIT[kind]}{grade}" if id_number else "（待补）"
            facts = {
                "state_since": _days_ago(today, 300, 5000, rng),
                "disability_type": kind,
                "disability_grade": grade,
                "evidence": f"残疾人证 {card}",
            }
        elif state == _S.SERIOUSLY_ILL:
            illness = rng.choice(_ADULT_ILLNESSES)
            facts = {
                "state_since": _days_ago(today, 200, 2000, rng),
                "evidence": f"{rng.choice(_HOSPITALS)}诊断证明（{illness}）",
            }
        elif state == _S.GUARDIANSHIP_REVOKED:
            since = _days_ago(today, 200, 2000, rng)
            facts = {
                "state_since": since,
                "evidence": f"冷水滩区人民法院（{since.year}）湘1103民特{number}号判决书"
                "（撤销监护人资格）",
            }
        elif state == _S.DEPORTED:
            since = _days_ago(today, 300, 3000, rng)
            facts = {"state_since": since, "evidence": "公安机关出入境管理部门遣送出境证明"}
        return DemoGuardian(
            relation=relation, name=name, phone=phone, id_number=id_number, state=state, **facts
        )

    def carer(
        self, *, surname: str, child_born: date, entrusted: bool, since: date | None, signed: bool
    ) -> DemoGuardian:
        """A grandparent (or aunt or uncle) bringing the child up."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.6:
            relation, sex, old, name_surname = _R.GRANDMOTHER, "F", True, ""
        elif roll < 0.85:
            relation, sex, old, name_surname = _R.GRANDFATHER, "M", True, surname
        else:
            relation, sex, old, name_surname = _R.RELATIVE, rng.choice("MF"), False, ""
        born = self.adult_birth(child_born, 45, 62) if old else self.adult_birth(child_born, 25, 40)
        signed_on = None
        if entrusted and signed:
            start = since or self.today - timedelta(days=365)
            days = max((self.today - start).days, 1)
            signed_on = start + timedelta(days=rng.randrange(min(days, 400)))
        return DemoGuardian(
            relation=relation,
            name=_person_name(rng, sex, surname=name_surname, old=old),
            phone=_phone(rng) if rng.random() < 0.7 else "",
            id_number=self.id_number(COUNTY, born, sex) if rng.random() < 0.9 else "",
            is_entrusted=entrusted,
            entrustment_signed_on=signed_on,
        )

    def family(
        self, situation: str, *, surname: str, eldest: date, id_area: str, options: dict[str, Any]
    ) -> tuple[DemoGuardian, ...]:
        rng = self.rng
        father_born = self.adult_birth(eldest, 23, 38)
        mother_born = self.adult_birth(eldest, 21, 34)

        def pair(father: str, mother: str, **kwargs: Any) -> tuple[DemoGuardian, DemoGuardian]:
            foreign = mother == _S.DEPORTED
            return (
                self.parent(
                    _R.FATHER, father, surname=surname, born=father_born, id_area=id_area, **kwargs
                ),
                self.parent(
                    _R.MOTHER,
                    mother,
                    surname="",
                    born=mother_born,
                    id_area=id_area,
                    foreign=foreign,
                    **kwargs,
                ),
            )

        def with_carer(
            parents: tuple[DemoGuardian, ...], *, entrusted: bool
        ) -> tuple[DemoGuardian, ...]:
            since = max((p.state_since for p in parents if p.state_since), default=None)
            signed = not options.get("unsigned") and rng.random() < 0.85
            carer = self.carer(
                surname=surname, child_born=eldest, entrusted=entrusted, since=since, signed=signed
            )
            return (*parents, carer)

        away, home = _S.WORKING_AWAY, _S.AT_HOME
        if situation in ("both_home", "migrant"):
            return pair(home, home)
        if situation == "father_away":
            return pair(away, home)
        if situation == "mother_away":
            return pair(home, away)
        if situation == "both_away":
            return with_carer(pair(away, away), entrusted=True)
        if situation == "both_away_in_county":
            return with_carer(pair(away, away, in_county=True), entrusted=rng.random() < 0.5)
        if situation == "both_away_recent":
            return with_carer(pair(away, away, recent=True), entrusted=True)
        if situation == "away_other_unable":
            unable = rng.choice(_INCAPACITY)
            parents = pair(away, unable) if rng.random() < 0.75 else pair(unable, away)
            return with_carer(parents, entrusted=True)
        if situation in ("single_parent", "single_parent_away"):
            other = away if situation == "single_parent_away" else home
            parents = pair(_S.DEAD, other) if rng.random() < 0.6 else pair(other, _S.DEAD)
            if situation == "single_parent_away":
                return with_carer(parents, entrusted=True)
            return parents
        if situation == "orphan":
            father, mother = (
                options.get("pair")
                or rng.choices(
                    [(f, m) for f, m, _w in _ORPHAN_PAIRS], weights=[w for *_p, w in _ORPHAN_PAIRS]
                )[0]
            )
            return with_carer(pair(father, mother), entrusted=False)
        if situation == "de_facto":
            father, mother = (
                options.get("pair")
                or rng.choices(
                    [(f, m) for f, m, _w in _DE_FACTO_PAIRS],
                    weights=[w for *_p, w in _DE_FACTO_PAIRS],
                )[0]
            )
            return with_carer(pair(father, mother), entrusted=False)
        if situation == "de_facto_pending":
            return with_carer(pair(_S.IMPRISONED, _S.OUT_OF_CONTACT, recent=True), entrusted=False)
        raise ValueError(situation)
