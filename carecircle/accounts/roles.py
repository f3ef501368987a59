"""The roles a CareCircle user can hold, and what each one implies.

A role is always held *with a scope*: a division (its code prefix covers the
subtree) or one organisation (a school, a hospital, an agency). The table below is
the single source of truth for the permission layer (``permissions.py``), for the
second-factor rule and for the grant rules in the account pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    CENTER_STAFF = "center_staff", _("Minors' protection center staff")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    COUNSELOR = "counselor", _("Counselor")
    FAMILY_EDUCATOR = "family_educator", _("Family-education instructor")
    LAWYER = "lawyer", _("Lawyer")
    CHILD_SUPERVISOR = "child_supervisor", _("Child supervisor")
    CHILD_DIRECTOR = "child_director", _("Child director")
    SCHOOL_PSYCH_TEACHER = "school_psych_teacher", _("School psychology teacher")
    SCHOOL_ADMIN = "school_admin", _("School administrator")
    HOSPITAL_CLINICIAN = "hospital_clinician", _("Hospital clinician")
    AGENCY_OFFICER = "agency_officer", _("Agency officer")
    HOTLINE_OPERATOR = "hotline_operator", _("Hotline operator")
    VOLUNTEER = "volunteer", _("Volunteer / caring mother")
    AUDITOR = "auditor", _("Auditor")
    ANALYST = "analyst", _("Analyst")
    SYSADMIN = "sysadmin", _("System administrator")


class ScopeKind(models.TextChoices):
    DIVISION = "division", _("Division")
    ORGANISATION = "organisation", _("Organisation")


class MinorAccess(models.TextChoices):
    """How a role reaches identified child records before any case or referral exists."""

    JURISDICTION = "jurisdiction", _("Every minor living in the scope's divisions")
    SCHOOL = "school", _("Every minor enrolled at the scope's school")
    RELATIONSHIP = (
        "relationship",
        _("Only minors linked to the user by a case, referral or pairing"),
    )
    NONE = "none", _("No identified child records")


@dataclass(frozen=True)
class RoleSpec:
    scope: ScopeKind
    minor_access: MinorAccess
    # Organisation kinds a role may be scoped to (organisation-scoped roles only).
    org_kinds: tuple[str, ...] = ()
    edits_minors: bool = False
    manages_accounts: bool = False
    reads_audit: bool = False
    reads_stats: bool = False

    @property
    def sees_child_data(self) -> bool:
        return self.minor_access != MinorAccess.NONE

    @property
    def requires_second_factor(self) -> bool:
        # Everyone who can see a child, manage accounts or read the audit log.
        return self.sees_child_data or self.manages_accounts or self.reads_audit


_D, _O = ScopeKind.DIVISION, ScopeKind.ORGANISATION
_J, _S, _R, _N = (
    MinorAccess.JURISDICTION,
    MinorAccess.SCHOOL,
    MinorAccess.RELATIONSHIP,
    MinorAccess.NONE,
)
SCHOOL_KINDS = ("school",)
CLINICAL_KINDS = ("hospital",)
AGENCY_KINDS = ("court", "procuratorate", "police", "justice_bureau", "petition_office")

ROLE_SPECS: dict[str, RoleSpec] = {
    Role.DISTRICT_ADMIN: RoleSpec(_D, _J, edits_minors=True, reads_stats=True),
    Role.CENTER_STAFF: RoleSpec(_D, _J, edits_minors=True, reads_stats=True),
    # Social workers and counselors screen whole areas (全面摸排) and pick key
    # assistance targets, so they reach every child of their service area.
    Role.SOCIAL_WORKER: RoleSpec(_D, _J, edits_minors=True, reads_stats=True),
    Role.COUNSELOR: RoleSpec(_D, _J, reads_stats=True),
    # Family educators and lawyers act on cases handed to them, nothing wider.
    Role.FAMILY_EDUCATOR: RoleSpec(_D, _R),
    Role.LAWYER: RoleSpec(_D, _R),
    Role.CHILD_SUPERVISOR: RoleSpec(_D, _J, edits_minors=True, reads_stats=True),
    Role.CHILD_DIRECTOR: RoleSpec(_D, _J, edits_minors=True, reads_stats=True),
    Role.SCHOOL_PSYCH_TEACHER: RoleSpec(_O, _S, org_kinds=SCHOOL_KINDS, reads_stats=True),
    Role.SCHOOL_ADMIN: RoleSpec(
        _O, _S, org_kinds=SCHOOL_KINDS, edits_minors=True, reads_stats=True
    ),
    Role.HOSPITAL_CLINICIAN: RoleSpec(_O, _R, org_kinds=CLINICAL_KINDS),
    Role.AGENCY_OFFICER: RoleSpec(_O, _R, org_kinds=AGENCY_KINDS),
    Role.HOTLINE_OPERATOR: RoleSpec(_D, _R),
    Role.VOLUNTEER: RoleSpec(_D, _R),
    Role.AUDITOR: RoleSpec(_D, _N, reads_audit=True),
    Role.ANALYST: RoleSpec(_D, _N, reads_stats=True),
    Role.SYSADMIN: RoleSpec(_D, _N, manages_accounts=True),
}

# Roles whose holders may be granted only by a system administrator whose scope
# covers the new scope, never by themselves and never by each other (三员分立).
ACCOUNT_ROLES = frozenset({Role.SYSADMIN, Role.AUDITOR})


def spec(role: str) -> RoleSpec:
    return ROLE_SPECS[role]


def is_role(value: str) -> bool:
    return value in ROLE_SPECS
