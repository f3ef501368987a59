"""Who runs screening campaigns (issue 4, item 4).

A campaign is opened by the school's psychology teacher (an organisation scope on
that school) or by the district centre: center staff and counselors whose division
scope covers the school. Everyone else, the school's administrator and class
teachers included, is refused; scores are never shown to class teachers by name.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation
from carecircle.accounts.roles import Role
from carecircle.screening.models import Campaign, Response

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


def can_run_campaigns(user: perms.AnyUser, school: Organisation) -> bool:
    if school.kind != Organisation.Kind.SCHOOL:
        return False
    schools, prefixes = campaign_schools(user)
    return school.pk in schools or perms.covers(prefixes, school.division_id)


def campaigns_visible_to(user: perms.AnyUser) -> QuerySet[Campaign]:
    schools, prefixes = campaign_schools(user)
    q = perms.prefix_q("school__division_id", prefixes)
    if schools:
        term = Q(school_id__in=schools)
        q = term if q is None else q | term
    if q is None:
        return Campaign.objects.none()
    return Campaign.objects.filter(q)


def results_visible_to(user: perms.AnyUser) -> QuerySet[Response]:
    """Submitted results of the campaigns the user runs (item 7: nobody else reads
    them; class teachers and school administrators see aggregates only)."""
    return Response.objects.filter(
        submitted_at__isnull=False, participant__campaign__in=campaigns_visible_to(user)
    )
