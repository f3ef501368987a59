"""Reading cases for the staff pages: the list with its filters, the team's
candidates, and what a case page shows (issue 7 item 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Min, OuterRef, Q, QuerySet, Subquery

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import RoleAssignment, User
from carecircle.cases.models import Case, CaseMember, CaseTask, Status
from carecircle.cases.permissions import cases_visible_to, supervisor_prefixes
from carecircle.regions.codes import PREFIX_LENGTHS

OPEN, CLOSED, ALL = "open", "closed", "all"

# The main road of a case, drawn as steps on its page.
STEPS: tuple[str, ...] = (
    Status.INTAKE,
    Status.ASSESSMENT,
    Status.PLANNING,
    Status.INTERVENTION,
    Status.REVIEW,
    Status.CLOSURE_PENDING,
    Status.CLOSED,
)


@dataclass(frozen=True)
class CaseFilters:
    status: str = OPEN
    kind: str = ""
    risk: str = ""
    awaiting: bool = False  # closure awaiting my approval


def case_list(user: Any, filters: CaseFilters) -> QuerySet[Case]:
    """The user's cases (team) and, for a supervisor, every case of their division,
    with the owner's name and the next open task's due time in one query."""
    qs = cases_visible_to(user)
    if filters.status == OPEN:
        qs = qs.exclude(status=Status.CLOSED)
    elif filters.status == CLOSED:
        qs = qs.filter(status=Status.CLOSED)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.risk:
        qs = qs.filter(risk=filters.risk)
    if filters.awaiting:
        supervised = perms.prefix_q("area_code", supervisor_prefixes(user))
        if supervised is None:
            return qs.none()
        qs = qs.filter(supervised, status=Status.CLOSURE_PENDING).exclude(
            closure_requested_by_id=user.pk
        )
    owners = CaseMember.objects.filter(case=OuterRef("pk"), is_owner=True, left_at__isnull=True)
    return (
        qs.select_related("minor")
        .annotate(
            owner_name=Subquery(owners.values("user__full_name")[:1]),
            owner_username=Subquery(owners.values("user__username")[:1]),
            next_due=next_due(),
        )
        .order_by("-opened_at", "-pk")
    )


def next_due() -> Subquery:
    """The case's earliest open task's due time. Filtered on the case alone, so that the
    planner reads the case's few tasks by their case index instead of walking every
    open task in due order (``case_task_due``) until one is the case's."""
    tasks = CaseTask.objects.filter(case=OuterRef("pk")).order_by().values("case")
    first = Min("due_at", filter=Q(status=CaseTask.Status.OPEN))
    return Subquery(tasks.annotate(first=first).values("first")[:1])


def member_candidates(case: Case) -> QuerySet[User]:
    """Active users holding a role over the case's division, or at an organisation of
    its county (a law firm, a hospital), who are not on the team."""
    code = case.area_code
    prefixes = [code[:n] for n in PREFIX_LENGTHS.values() if n <= len(code)]
    holders = RoleAssignment.objects.active().filter(
        Q(scope_prefix__in=prefixes)
        | Q(organisation__isnull=False, scope_prefix__startswith=code[:6])
    )
    on_team = case.members.filter(left_at__isnull=True).values("user_id")
    return (
        User.objects.filter(is_active=True, pk__in=holders.values("user_id"))
        .exclude(pk__in=on_team)
        .order_by("full_name", "username")
    )


def team_of(case: Case) -> QuerySet[CaseMember]:
    return case.members.filter(left_at__isnull=True).select_related("user")


def tasks_of(case: Case) -> QuerySet[CaseTask]:
    return case.tasks.select_related("assigned_to", "done_by").order_by("status", "due_at", "pk")
