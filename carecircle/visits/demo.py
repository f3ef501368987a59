"""Visits in the demo district: a year of home visits and phone calls in the demo township.

Each village of the demo township (花桥街镇) is visited by its own child director:
the children under a visit rule have had visits at about their interval over the
last year, recorded through ``visit_record`` as a phone would record them, so that
the lists show every state: most children visited on time, some due this week,
some overdue (the director fell behind in one village), and a few never visited
since they were registered. Yesterday's visit found a child living alone: it
alerted the supervisor and opened the "report to the police" task.

Only ``CHILDREN_PER_VILLAGE`` children per village are given a history, so the
demo's time does not grow with ``--minors``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from carecircle.accounts.models import RoleAssignment
from carecircle.accounts.roles import Role
from carecircle.people.models import Minor
from carecircle.people.rules import age_on
from carecircle.visits import due
from carecircle.visits.flags import RiskFlag
from carecircle.visits.models import Finding, Visit
from carecircle.visits.services import MinorSeen, VisitInput, visit_record

CHILDREN_PER_VILLAGE = 40
# The share of each village's children whose last visit is late, by village order:
# the first village keeps up, the last has fallen behind.
LATE_SHARES = (0.05, 0.1, 0.15, 0.3)
NOTES = (
    "与祖母交谈，孩子作业完成情况良好。",
    "电话联系在外务工的父亲，约定每周视频通话。",
    "孩子近期情绪低落，已告知班主任留意。",
    "家中厨房电线老化，已提醒监护人尽快更换。",
    "监护人身体状况一般，村委会协助申请临时救助。",
)


def _directors(township: str) -> dict[str, Any]:
    """Each village of the township → its child director."""
    rows = RoleAssignment.objects.filter(
        role=Role.CHILD_DIRECTOR, scope_prefix__startswith=township
    ).select_related("user")
    return {row.scope_prefix: row.user for row in rows if len(row.scope_prefix) == 12}


def _at(day: date, rng: random.Random) -> datetime:
    """A working hour of ``day``; today's visit before now, however early the
    demo is loaded (a visit cannot be recorded ahead of time)."""
    moment = timezone.make_aware(
        datetime.combine(day, time(9 + rng.randrange(8), rng.randrange(60)))
    )
    return min(moment, timezone.now() - timedelta(minutes=1))


def _visit(director: Any, minor: Minor, day: date, rng: random.Random, **extra: Any) -> Visit:
    kind = Visit.Kind.HOME if rng.random() < 0.75 else Visit.Kind.PHONE
    observations = {"guardian_present": Finding.OK, "living_conditions": Finding.OK}
    if rng.random() < 0.15:
        observations["mood_behaviour"] = Finding.CONCERN
    data = VisitInput(
        kind=kind,
        occurred_at=_at(day, rng),
        minors=(MinorSeen(minor.pk, tuple(extra.pop("flags", ()))),),
        observations=observations,
        notes=rng.choice(NOTES) if rng.random() < 0.5 else "",
        **extra,
    )
    key = f"demo-{minor.pk}-{day:%Y%m%d}"
    return visit_record(actor=director, data=data, idempotency_key=key)[0]


def visits_demo_seed(*, township: str, today: date, seed: int) -> int:
    """A year of visits in ``township``'s villages; returns how many were recorded."""
    rng = random.Random(f"carecircle-demo:{seed}:visits")  # noqa: S311 - demo data
    recorded = 0
    alerted = False
    directors = _directors(township)
    for number, (village, director) in enumerate(sorted(directors.items())):
        late_share = LATE_SHARES[min(number, len(LATE_SHARES) - 1)]
        children = (
            due.with_due(
                Minor.objects.filter(area_code=village, status=Minor.Status.ACTIVE), on=today
            )
            .filter(visit_interval__isnull=False)
            .order_by("pk")[:CHILDREN_PER_VILLAGE]
        )
        for child in children:
            interval = child.visit_interval
            if rng.random() < 0.05:
                continue  # registered recently enough, never visited yet
            late = rng.random() < late_share
            # The last visit: overdue by up to a month, or within the interval.
            last = today - timedelta(
                days=interval + 1 + rng.randrange(30) if late else rng.randrange(interval)
            )
            days = [last - timedelta(days=interval * n + rng.randrange(5)) for n in range(6)]
            for day in sorted(d for d in days if d > today - timedelta(days=365)):
                _visit(director, child, day, rng)
                recorded += 1
            if not alerted and age_on(child.birth_date, today) < 16:
                # A child under sixteen living alone: reportable, so the supervisor
                # is alerted and the police task opens (flags.RULES).
                _visit(
                    director,
                    child,
                    today - timedelta(days=1),
                    rng,
                    flags=[RiskFlag.UNDER_16_ALONE],
                    follow_up_needed=True,
                )
                recorded += 1
                alerted = True
    return recorded
