"""Who opens, reads, works and supervises cases (issue 7).

The team
    The case's current members (``CaseMember`` without ``left_at``): they read the
    case and its child's record (a relationship role such as a lawyer or a
    family-education instructor reaches the child only this way, registered with
    ``people.permissions.register_minor_access`` while the case is open), record
    its steps and tasks, and ask for its closure.
The supervisors
    The minors' protection centre's staff and the district administrators whose
    division covers the case: they read every case there, add and remove members,
    approve or refuse a closure (never their own request) and reopen.
Opening
    Centre staff, district administrators, social workers, counselors and school
    psychology teachers open cases for children they may read; the opener joins the
    team as its owner.

Nobody else reads a case, whatever their roles over children: a child director
sees that a child has a case on the child's timeline only if they are on its team.
Out of scope is a 404 recorded as a denial; a role that reaches no case is a 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.roles import Role
from carecircle.audit.services import note_denial
from carecircle.cases.models import OPEN_STATUSES, Case, CaseMember
from carecircle.people.permissions import register_minor_access

MAX_ID = 2**63 - 1
SUPERVISOR_ROLES = frozenset({Role.CENTER_STAFF, Role.DISTRICT_ADMIN})
OPENER_ROLES = SUPERVISOR_ROLES | {
    Role.SOCIAL_WORKER,
    Role.COUNSELOR,
    Role.SCHOOL_PSYCH_TEACHER,
}


def supervisor_prefixes(user: Any) -> list[str]:
    return [a.scope_prefix for a in perms.assignments(user) if a.role in SUPERVISOR_ROLES]


def can_open_cases(user: Any) -> bool:
    return bool(perms.roles_of(user) & OPENER_ROLES)


def _team_q(user: Any) -> Q:
    return Q(members__user_id=getattr(user, "pk", None), members__left_at__isnull=True)


def reaches_cases(user: Any) -> bool:
    return bool(
        can_open_cases(user)
        or supervisor_prefixes(user)
        or CaseMember.objects.filter(
            user_id=getattr(user, "pk", 0) or 0, left_at__isnull=True
        ).exists()
    )


def require_reader(user: Any) -> None:
    if not reaches_cases(user):
        raise PermissionDenied(_("Your roles do not allow reading cases."))


def cases_visible_to(user: Any) -> QuerySet[Case]:
    if getattr(user, "pk", None) is None or not perms.assignments(user):
        return Case.objects.none()
    q = Q(pk__in=Case.objects.filter(_team_q(user)).values("pk"))
    supervised = perms.prefix_q("area_code", supervisor_prefixes(user))
    if supervised is not None:
        q |= supervised
    return Case.objects.filter(q)


def get_case_for_user(user: Any, pk: int, *, related: tuple[str, ...] = ()) -> Case:
    """The case if ``user`` may read it (with ``related`` joined); else 404, recorded."""
    rows = cases_visible_to(user).select_related(*related)
    found = rows.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        note_denial(actor=user, object_type="cases.case", object_id=pk, reason="out of scope")
        raise Http404
    return found


def is_member(user: Any, case: Case) -> bool:
    return case.members.filter(user_id=getattr(user, "pk", 0) or 0, left_at__isnull=True).exists()


def supervises(user: Any, case: Case) -> bool:
    return perms.covers(supervisor_prefixes(user), case.area_code)


def can_work(user: Any, case: Case) -> bool:
    """Record steps, tasks and the plan: the team, and the supervisors."""
    return is_member(user, case) or supervises(user, case)


_TEAM_ATTR = "_carecircle_case_children"


@register_minor_access
def case_team_access(user: Any) -> Q | None:
    """A team member reaches the child of an open case they are on (literal ids, read
    once per request object like the role assignments)."""
    uid = getattr(user, "pk", None)
    if uid is None:
        return None
    ids = getattr(user, _TEAM_ATTR, None)
    if ids is None:
        ids = list(
            CaseMember.objects.filter(
                user_id=uid, left_at__isnull=True, case__status__in=OPEN_STATUSES
            ).values_list("case__minor_id", flat=True)
        )
        setattr(user, _TEAM_ATTR, ids)
    return Q(pk__in=ids) if ids else None


def forget_team_access(user: Any) -> None:
    if hasattr(user, _TEAM_ATTR):
        delattr(user, _TEAM_ATTR)
