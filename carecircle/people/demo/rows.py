"""The rows the plan yields: a child with its household and guardians, as plain
frozen data whose ``fields()`` are the keyword arguments of the models and services
that store them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from carecircle.people.models import Guardian, Minor

_S = Guardian.State


@dataclass(frozen=True, slots=True)
class DemoGuardian:
    relation: str
    name: str
    phone: str = ""
    id_number: str = ""
    state: str = _S.AT_HOME
    state_since: date | None = None
    work_place: str = ""
    work_area_code: str = ""
    cross_county: bool | None = None
    police_report_on: date | None = None
    disability_type: str = ""
    disability_grade: int | None = None
    evidence: str = ""
    is_entrusted: bool = False
    entrustment_signed_on: date | None = None
    last_contact_on: date | None = None

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for ``Guardian`` and ``guardian_save``."""
        return {name: getattr(self, name) for name in _GUARDIAN_ATTRS}


_GUARDIAN_ATTRS = tuple(DemoGuardian.__slots__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class DemoHousehold:
    number: int  # position in the plan, shared by siblings
    situation: str  # a Situation key: what the family's facts were drawn from
    area_code: str
    address: str
    main_income: str
    assistance: str
    village_contact: str
    village_contact_phone: str

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for ``Household`` (area code and address included)."""
        return {
            "area_code": self.area_code,
            "address": self.address,
            "main_income": self.main_income,
            "assistance": self.assistance,
            "village_contact": self.village_contact,
            "village_contact_phone": self.village_contact_phone,
        }


@dataclass(frozen=True, slots=True)
class DemoMinor:
    name: str
    sex: str
    birth_date: date
    id_number: str
    area_code: str
    address: str
    school: str  # DemoOrg.key or ""
    status: str
    grade: int | None  # school grade (SchoolClass.Grade) when in a school
    household: DemoHousehold
    guardians: tuple[DemoGuardian, ...]
    ethnicity: str = "01"
    hukou_type: str = ""
    hukou_code: str = ""
    schooling: str = ""
    boarding: bool = False
    health: str = Minor.Health.HEALTHY
    illness: str = ""
    disability_type: str = ""
    disability_grade: int | None = None
    guardianship_concern: bool = False
    # When the child was entered in the registry (a yearly screening, or soon after
    # birth); the migrant rule counts residence from it.
    registered_on: date | None = None

    def fields(self) -> dict[str, Any]:
        """The facts ``minor_create`` takes (school, household and class apart)."""
        return {name: getattr(self, name) for name in _MINOR_ATTRS}


_MINOR_ATTRS = (
    "name", "sex", "birth_date", "id_number", "area_code", "address", "status", "ethnicity",
    "hukou_type", "hukou_code", "schooling", "boarding", "health", "illness", "disability_type",
    "disability_grade", "guardianship_concern",
)  # fmt: skip
