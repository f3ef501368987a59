"""What the case dashboards count and list (issue 7 item 6), each through the cases'
permission layer.

Whose rows
    A supervisor (``permissions.supervisor_prefixes``: centre staff and district
    administrators) sees the tasks, sessions and counselors of the cases of their
    divisions; anyone else sees their own: the tasks assigned to them on cases whose
    team they are still on, the cases they are on, the sessions they held.
Cost
    The lists are index ranges read in index order and cut to a page:
    ``overdue_tasks`` walks ``case_task_due`` (status, due_at) or ``case_task_mine``
    (assigned_to, status, due_at) from the oldest due time; ``counselor_cases``
    starts from ``case_member_user`` (user, left_at), the few cases one person is on.
    The benchmark (bench/cases.py) times these two functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import (
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.cases.models import (
    OPEN_STATUSES,
    RISK_ORDER,
    Case,
    CaseTask,
    Session,
    SessionAttendee,
)
from carecircle.cases.permissions import supervisor_prefixes
from carecircle.cases.selectors import next_due
from carecircle.people.timeline import day_start
from carecircle.stats.registry import child_key, distinct_children

UPCOMING = 20
# The roles whose caseload a supervisor may open: those who hold sessions.
COUNSELING_ROLES = frozenset({Role.COUNSELOR, Role.SOCIAL_WORKER, Role.SCHOOL_PSYCH_TEACHER})


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return day_start(self.start), day_start(self.end + timedelta(days=1))

    @classmethod
    def this_month(cls) -> Period:
        today = timezone.localdate()
        return cls(today.replace(day=1), today)


def _area(field: str, prefixes: list[str]) -> Q:
    """``field`` within the supervised divisions (nothing when there are none)."""
    q = perms.prefix_q(field, prefixes)
    return q if q is not None else Q(pk__in=[])


def overdue_tasks(user: Any) -> QuerySet[CaseTask]:
    """Open tasks of open cases past their due time, longest overdue first: for a
    supervisor those of the cases of their divisions, for anyone else their own."""
    now = timezone.now()
    rows = CaseTask.objects.filter(
        status=CaseTask.Status.OPEN, due_at__lt=now, case__status__in=OPEN_STATUSES
    )
    prefixes = supervisor_prefixes(user)
    if prefixes:
        rows = rows.filter(_area("case__area_code", prefixes))
    else:
        uid = getattr(user, "pk", None) or 0
        rows = rows.filter(
            assigned_to_id=uid, case__members__user_id=uid, case__members__left_at__isnull=True
        )
    return rows.select_related("case", "case__minor", "assigned_to").order_by("due_at", "pk")


def _urgency() -> SqlCase:
    """Red-critical first: the risk's rank in ``RISK_ORDER``, highest first."""
    return SqlCase(
        *(When(risk=risk, then=Value(rank)) for rank, risk in enumerate(RISK_ORDER)),
        default=Value(-1),
        output_field=IntegerField(),
    )


def counselor_cases(user: Any, counselor: Any = None) -> QuerySet[Case]:
    """The open cases whose team ``counselor`` (the user by default) is on, most
    urgent risk first, then the earliest next task. A supervisor looking at another
    counselor sees only the cases of the supervisor's divisions."""
    counselor = user if counselor is None else counselor
    uid = getattr(counselor, "pk", None) or 0
    rows = Case.objects.filter(
        members__user_id=uid, members__left_at__isnull=True, status__in=OPEN_STATUSES
    )
    if uid != getattr(user, "pk", None):
        rows = rows.filter(_area("area_code", supervisor_prefixes(user)))
    return (
        rows.select_related("minor")
        .annotate(urgency=_urgency(), next_due=next_due())
        .order_by("-urgency", F("next_due").asc(nulls_last=True), "-opened_at", "-pk")
    )


def counselors_in_scope(user: Any) -> QuerySet[User]:
    """Who a supervisor may pick: active holders of a counseling role whose division
    overlaps one the supervisor oversees (a district-wide counselor works in every
    township; a township counselor inside a district)."""
    prefixes = supervisor_prefixes(user)
    if not prefixes:
        return User.objects.none()
    wider = [p[:n] for p in prefixes for n in range(len(p) + 1)]
    within = perms.prefix_q("scope_prefix", prefixes)
    holders = RoleAssignment.objects.active().filter(
        Q(scope_prefix__in=wider) | (within or Q(pk__in=[])),
        role__in=list(COUNSELING_ROLES),
    )
    return User.objects.filter(is_active=True, pk__in=holders.values("user_id")).order_by(
        "full_name", "username"
    )


@dataclass(frozen=True)
class Served:
    """次, 人次 and 人 of a set of sessions."""

    sessions: int
    person_times: int
    persons: int


def _served(sessions: QuerySet[Session]) -> Served:
    attendance = SessionAttendee.objects.filter(session__in=sessions.values("pk"))
    return Served(
        sessions=sessions.count(),
        person_times=attendance.count(),
        persons=distinct_children(attendance),
    )


@dataclass(frozen=True)
class Caseload:
    counselor: Any
    # status → risk → number of open cases
    by_status: dict[str, dict[str, int]]
    open_total: int
    month: Served
    period: Served
    upcoming: list[CaseTask]


def caseload(user: Any, counselor: Any, period: Period) -> Caseload:
    """The counselor's open cases by status and risk, the sessions they held this
    month and in ``period``, and their next tasks; within the viewer's divisions when
    the viewer is not the counselor."""
    own = counselor.pk == getattr(user, "pk", None)
    prefixes = [] if own else supervisor_prefixes(user)
    cases = Case.objects.filter(
        members__user_id=counselor.pk, members__left_at__isnull=True, status__in=OPEN_STATUSES
    )
    sessions = Session.objects.filter(counselor_id=counselor.pk)
    tasks = CaseTask.objects.filter(
        assigned_to_id=counselor.pk,
        status=CaseTask.Status.OPEN,
        due_at__gte=timezone.now(),
        case__status__in=OPEN_STATUSES,
    )
    if not own:
        cases = cases.filter(_area("area_code", prefixes))
        sessions = sessions.filter(_area("case__area_code", prefixes))
        tasks = tasks.filter(_area("case__area_code", prefixes))
    by_status: dict[str, dict[str, int]] = {}
    total = 0
    for row in cases.values("status", "risk").annotate(n=Count("pk")).order_by():
        by_status.setdefault(row["status"], {})[row["risk"]] = row["n"]
        total += row["n"]

    def held(within: Period) -> Served:
        first, after = within.bounds
        return _served(sessions.filter(held_at__gte=first, held_at__lt=after))

    return Caseload(
        counselor=counselor,
        by_status=by_status,
        open_total=total,
        month=held(Period.this_month()),
        period=held(period),
        upcoming=list(
            tasks.select_related("case", "case__minor").order_by("due_at", "pk")[:UPCOMING]
        ),
    )


def served_by_room(user: Any, period: Period, *, by: str) -> list[dict[str, Any]]:
    """次, 人次 and 人 per counseling room (``by="room"``) or per organisation of the
    room (``by="organisation"``), of the sessions held in ``period`` on cases of the
    viewer's divisions, busiest first. Sessions held in no room are left out."""
    first, after = period.bounds
    rows = SessionAttendee.objects.filter(
        _area("session__case__area_code", supervisor_prefixes(user)),
        session__held_at__gte=first,
        session__held_at__lt=after,
        session__room__isnull=False,
    )
    if by == "room":
        keys = ["session__room_id", "session__room__name", "session__room__organisation__name"]
    else:
        keys = ["session__room__organisation_id", "session__room__organisation__name"]
    grouped = (
        rows.values(*keys)
        .annotate(
            sessions=Count("session_id", distinct=True),
            person_times=Count("pk"),
            persons=Count(child_key(), distinct=True),
        )
        .order_by("-sessions", keys[1])
    )
    return [
        {
            "id": row[keys[0]],
            "name": row[keys[1]],
            "organisation": row[keys[2]] if by == "room" else "",
            "sessions": row["sessions"],
            "person_times": row["person_times"],
            "persons": row["persons"],
        }
        for row in grouped
    ]
