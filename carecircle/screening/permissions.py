"""Who runs screening campaigns (issue 4, item 4).

A campaign is opened by the school's psychology teacher (an organisation scope on
that school) or by the district centre: center staff and counselors whose division
scope covers the school. Everyone else, the school's administrator and class
teachers included, is refused; scores are never shown to class teachers by name.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation
from carecircle.accounts.roles import Role
from carecircle.screening.models import Campaign, FollowUp, Response

SCHOOL_ROLES = frozenset({Role.SCHOOL_PSYCH_TEACHER})
CENTRE_ROLES = frozenset({Role.CENTER_STAFF, Role.COUNSELOR})


def campaign_schools(user: perms.AnyUser) -> tuple[set[int], list[str]]:
    """(schools by key, division prefixes) under which the user runs campaigns."""
    schools: set[int] = set()
    prefixes: list[str] = []
    for assignment in perms.assignments(user):
        if assignment.role in SCHOOL_ROLES and assignment.organisation_id is not None:
            schools.add(assignment.organisation_id)
        elif assignment.role in CENTRE_ROLES:
            prefixes.append(assignment.scope_prefix)
    return schools, prefixes


def runs_campaigns(user: perms.AnyUser) -> bool:
    """Whether any role lets the user run campaigns somewhere (the pages' 403 gate)."""
    schools, prefixes = campaign_schools(user)
    return bool(schools or prefixes)


def require_runner(user: perms.AnyUser) -> None:
    """403 before any lookup for those who run no campaign anywhere."""
    if not runs_campaigns(user):
        raise PermissionDenied(
            _("Only the school's psychology teacher and the centre work with screening.")
        )


def school_scope_q(user: perms.AnyUser, school: str) -> Q | None:
    """Rows whose school (the field path ``school``, "" for the Organisation itself) is
    one where the user runs campaigns; None for nowhere."""
    schools, prefixes = campaign_schools(user)
    key, division = (f"{school}__pk", f"{school}__division_id") if school else ("pk", "division_id")
    q = perms.prefix_q(division, prefixes)
    if schools:
        term = Q(**{f"{key}__in": schools})
        q = term if q is None else q | term
    return q


def can_run_campaigns(user: perms.AnyUser, school: Organisation) -> bool:
    if school.kind != Organisation.Kind.SCHOOL:
        return False
    schools, prefixes = campaign_schools(user)
    return school.pk in schools or perms.covers(prefixes, school.division_id)


def campaign_schools_for(user: perms.AnyUser) -> QuerySet[Organisation]:
    """The active schools where the user may open a campaign."""
    q = school_scope_q(user, "")
    if q is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(q, kind=Organisation.Kind.SCHOOL, is_active=True)


def campaigns_visible_to(user: perms.AnyUser) -> QuerySet[Campaign]:
    q = school_scope_q(user, "school")
    return Campaign.objects.none() if q is None else Campaign.objects.filter(q)


def follow_ups_visible_to(user: perms.AnyUser) -> QuerySet[FollowUp]:
    """Follow-ups at the schools where the user runs campaigns."""
    q = school_scope_q(user, "school")
    return FollowUp.objects.none() if q is None else FollowUp.objects.filter(q)


def results_visible_to(user: perms.AnyUser) -> QuerySet[Response]:
    """Submitted results of the campaigns the user runs (item 7: nobody else reads
    them; class teachers and school administrators see aggregates only)."""
    q = school_scope_q(user, "participant__campaign__school")
    if q is None:
        return Response.objects.none()
    return Response.objects.filter(q, submitted_at__isnull=False)
