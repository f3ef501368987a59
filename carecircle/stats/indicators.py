"""Indicators of the foundation: staff in post, by role (人, as of the end of the period)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.models import RoleAssignment
from carecircle.accounts.permissions import prefix_q
from carecircle.accounts.roles import Role
from carecircle.stats.registry import Scope, Unit, indicator

STAFF = _("Workforce")


def staff_count(scope: Scope, role: str) -> int:
    """Distinct active users holding ``role`` at the end of the period, inside the scope."""
    from datetime import datetime, time

    from django.utils import timezone

    moment = timezone.make_aware(datetime.combine(scope.end, time.max))
    area = prefix_q("scope_prefix", scope.prefixes) or Q()
    return (
        RoleAssignment.objects.active_on(moment)
        .filter(area, role=role, user__is_active=True)
        .values("user_id")
        .distinct()
        .count()
    )


def _register_staff(id: str, role: str, name: object, definition: object) -> None:
    indicator(id, name=name, unit=Unit.PERSONS, definition=definition, group=STAFF)(
        lambda scope: staff_count(scope, role)
    )


_register_staff(
    "staff.social_workers",
    Role.SOCIAL_WORKER,
    _("Social workers"),
    _("Active accounts holding the social worker role in the area on the last day."),
)
_register_staff(
    "staff.counselors",
    Role.COUNSELOR,
    _("Counselors"),
    _("Active accounts holding the counselor role in the area on the last day."),
)
_register_staff(
    "staff.family_educators",
    Role.FAMILY_EDUCATOR,
    _("Family-education instructors"),
    _("Active accounts holding the family-education instructor role on the last day."),
)
_register_staff(
    "staff.lawyers",
    Role.LAWYER,
    _("Lawyers"),
    _("Active accounts holding the lawyer role in the area on the last day."),
)
_register_staff(
    "staff.child_supervisors",
    Role.CHILD_SUPERVISOR,
    _("Child supervisors"),
    _("Active accounts holding the child supervisor (儿童督导员) role on the last day."),
)
_register_staff(
    "staff.child_directors",
    Role.CHILD_DIRECTOR,
    _("Child directors"),
    _("Active accounts holding the child director (儿童主任) role on the last day."),
)
_register_staff(
    "staff.school_psych_teachers",
    Role.SCHOOL_PSYCH_TEACHER,
    _("School psychology teachers"),
    _("Active accounts holding the school psychology teacher role on the last day."),
)
