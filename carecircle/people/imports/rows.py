"""A roster row's columns by destination, the row as checked, and the importer's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation
from carecircle.accounts.roles import MinorAccess
from carecircle.people.models import Minor, SchoolClass

MINOR_KEYS = (
    "name",
    "sex",
    "birth_date",
    "id_number",
    "ethnicity",
    "hukou_type",
    "hukou_code",
    "area_code",
    "address",
    "resident_since",
    "schooling",
    "boarding",
    "health",
    "illness",
    "disability_type",
    "disability_grade",
    "guardianship_concern",
)
GUARDIAN_KEYS = {
    "father": (
        ("name", "father_name"),
        ("state", "father_state"),
        ("state_since", "father_state_since"),
        ("work_place", "father_work_place"),
        ("cross_county", "father_cross_county"),
        ("phone", "father_phone"),
    ),
    "mother": (
        ("name", "mother_name"),
        ("state", "mother_state"),
        ("state_since", "mother_state_since"),
        ("work_place", "mother_work_place"),
        ("cross_county", "mother_cross_county"),
        ("phone", "mother_phone"),
    ),
    "entrusted": (
        ("name", "entrusted_name"),
        ("relation", "entrusted_relation"),
        ("phone", "entrusted_phone"),
        ("entrustment_signed_on", "entrustment_signed_on"),
    ),
}
HOUSEHOLD_KEYS = (
    ("main_income", "income"),
    ("assistance", "assistance"),
    ("village_contact", "village_contact"),
    ("village_contact_phone", "village_contact_phone"),
)


@dataclass
class Row:
    number: int
    values: dict[str, Any]  # column key → cleaned value, non-empty cells only
    digest: str | None = None
    match: Minor | None = None
    school: Organisation | None = None
    school_class: SchoolClass | None = None

    @property
    def triple(self) -> tuple[str, date, str]:
        return (self.values["name"], self.values["birth_date"], self.values["area_code"])


@dataclass
class Scope:
    """Where the importer may register and change children (``services._check_area``)."""

    system: bool
    areas: list[str]
    schools: set[int]

    @classmethod
    def of(cls, actor: Any) -> Scope:
        if actor is None:
            return cls(True, [], set())
        areas = perms.minor_prefixes(actor, MinorAccess.JURISDICTION, edit=True)
        schools = set(perms.minor_schools(actor, edit=True))
        if not areas and not schools:
            raise PermissionDenied(_("You cannot register children."))
        return cls(False, areas, schools)

    def allows(self, area_code: str, school_id: int | None) -> bool:
        return self.system or perms.covers(self.areas, area_code) or school_id in self.schools


def can_import(user: Any) -> bool:
    """Roles that edit minors (in a jurisdiction or a school) import rosters."""
    return bool(
        perms.minor_prefixes(user, MinorAccess.JURISDICTION, edit=True)
        or perms.minor_schools(user, edit=True)
    )
