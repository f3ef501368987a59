"""Escalation of missed crisis steps and overdue case tasks (issue 7 items 1 and 3).

``cases.escalate`` (every 5 minutes) looks at:

- open cases at red-critical still without a safety plan or without the record that
  the guardian was told ``CARECIRCLE_CASE_CRISIS_HOURS`` (24) after the crisis began
  (the latest risk change to red-critical, or the opening if the case opened in
  crisis). Each crisis is escalated once: a case that leaves the crisis and enters
  it again starts a new clock;
- open tasks of open cases past their ``due_at`` (the daily crisis follow-up among
  them), each escalated once (``CaseTask.escalated_at``).

The case's supervisors (``services.supervisors_of``) and its owner are told through
the outbox, with an ``escalated`` case event, in the same transaction; the case (or
the task) is locked and checked again first, so two runs never send it twice, and
the outbox's ``dedupe_key`` backs that up.

Notifications name the case number, never the child, nor a task's own words (a
task's title is free text and may name the child).

``cases.referral_escalate`` (every 5 minutes) runs the referrals' two clocks (issue 7
items 3 and 5):

- a referral still awaiting acceptance past its ``accept_due_at`` is escalated once
  (``Referral.escalated_at``) to its sender, the case's owner and supervisors, and
  the receiving organisation's users, with an ``escalated`` referral event;
- a case at red-critical with no hospital referral sent since the crisis began (one
  declined or withdrawn does not count) ``CARECIRCLE_CASE_CRISIS_REFERRAL_HOURS``
  (48) after it began is escalated once per crisis to its supervisors and owner.

Those notifications name the referral or case number, never the child.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from carecircle.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseTask,
    Referral,
    ReferralEvent,
    Risk,
)
from carecircle.cases.referrals.permissions import receiver_users
from carecircle.cases.referrals.selectors import (
    crisis_escalated,
    crisis_referral_hours,
    hospital_referral_since,
)
from carecircle.cases.referrals.services import referral_link, sender_side
from carecircle.cases.services import case_link, crisis_hours, supervisors_of
from carecircle.notifications.models import Notification
from carecircle.notifications.outbox import periodic
from carecircle.notifications.services import notification_send

ESCALATED = "escalated"
CRISIS, TASK = "crisis", "task"
REFERRAL, HOSPITAL = "referral", "hospital"


def _link(case: Case) -> str:
    try:
        return case_link(case)
    except NoReverseMatch:
        return ""


def _recipients(case: Case) -> list[int]:
    owner = case.members.filter(is_owner=True, left_at__isnull=True).values_list(
        "user_id", flat=True
    )
    return sorted({*supervisors_of(case), *owner})


def crisis_began(case: Case) -> tuple[datetime, int]:
    """When the case's current crisis began, and its key (the risk event's id, or 0 for
    a case opened in crisis)."""
    entered = (
        CaseEvent.objects.filter(case=case, kind="risk", details__to=Risk.RED_CRITICAL.value)
        .order_by("-at", "-pk")
        .values_list("at", "pk")
        .first()
    )
    return entered if entered is not None else (case.opened_at, 0)


def _missing(case: Case) -> list[str]:
    missing = []
    if not case.safety_plan:
        missing.append(_("no safety plan"))
    if case.guardian_told_at is None:
        missing.append(_("the guardian not told"))
    return missing


def _crisis_escalated(case: Case, key: int) -> bool:
    return CaseEvent.objects.filter(
        case=case, kind=ESCALATED, details__clock=CRISIS, details__crisis=key
    ).exists()


def overdue(now: datetime) -> list[tuple[str, int]]:
    """(what, id) for every missed crisis step (case id) and overdue task (task id)
    not escalated yet."""
    found: list[tuple[str, int]] = []
    window = timedelta(hours=crisis_hours())
    crises = Case.objects.filter(status__in=OPEN_STATUSES, risk=Risk.RED_CRITICAL).only(
        "pk", "opened_at", "safety_plan", "guardian_told_at"
    )
    for case in crises:
        if not _missing(case):
            continue
        began, key = crisis_began(case)
        if began + window < now and not _crisis_escalated(case, key):
            found.append((CRISIS, case.pk))
    tasks = CaseTask.objects.filter(
        status=CaseTask.Status.OPEN,
        due_at__lt=now,
        escalated_at__isnull=True,
        case__status__in=OPEN_STATUSES,
    ).values_list("pk", flat=True)
    found += [(TASK, pk) for pk in tasks]
    return found


def _escalate_crisis(case_id: int, now: datetime) -> bool:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or not case.in_crisis:
        return False
    missing = _missing(case)
    began, key = crisis_began(case)
    if not missing or began + timedelta(hours=crisis_hours()) >= now:
        return False
    if _crisis_escalated(case, key):
        return False
    CaseEvent.objects.create(
        case=case, kind=ESCALATED, details={"clock": CRISIS, "crisis": key, "missing": len(missing)}
    )
    notification_send(
        recipients=_recipients(case),
        title=_("Case %(number)s is in crisis and a protocol step was missed")
        % {"number": case.number},
        body=_("Case %(number)s: %(missing)s.")
        % {"number": case.number, "missing": pgettext("list separator", ", ").join(missing)},
        link=_link(case),
        level=Notification.Level.URGENT,
        dedupe_key=f"cases.escalate:{case.pk}:crisis:{key}",
    )
    return True


def _escalate_task(task_id: int, now: datetime) -> bool:
    task = (
        CaseTask.objects.select_for_update()
        .filter(pk=task_id, status=CaseTask.Status.OPEN, escalated_at__isnull=True)
        .select_related("case")
        .first()
    )
    if task is None or task.due_at >= now or not task.case.is_open:
        return False
    case = task.case
    task.escalated_at = now
    task.save(update_fields=["escalated_at"])
    CaseEvent.objects.create(case=case, kind=ESCALATED, details={"clock": TASK, "task": task.pk})
    urgent = task.kind == CaseTask.Kind.CRISIS_FOLLOW_UP
    notification_send(
        recipients=sorted({*_recipients(case), task.assigned_to_id}),
        title=_("A task of case %(number)s is overdue") % {"number": case.number},
        body=_("Case %(number)s: %(kind)s, due %(due)s.")
        % {
            "number": case.number,
            "kind": task.get_kind_display(),
            "due": timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M"),
        },
        link=_link(case),
        level=Notification.Level.URGENT if urgent else Notification.Level.INFO,
        dedupe_key=f"cases.escalate:task:{task.pk}",
    )
    return True


def escalate_one(what: str, pk: int, now: datetime) -> bool:
    """Escalate one missed crisis step or one overdue task, unless it was done or
    escalated meanwhile."""
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        if what == CRISIS:
            return _escalate_crisis(pk, now)
        return _escalate_task(pk, now)


def escalate_run(*, now: datetime | None = None) -> int:
    """Escalate everything overdue; returns how many were escalated."""
    now = now or timezone.now()
    return sum(escalate_one(what, pk, now) for what, pk in overdue(now))


@periodic("cases.escalate", every=timedelta(minutes=5))
def escalate() -> None:
    escalate_run()


# --- The referrals' clocks -----------------------------------------------------------


def referrals_overdue(now: datetime) -> list[tuple[str, int]]:
    """(what, id): referrals not accepted in time (referral id) and crises without a
    hospital referral in time (case id), not escalated yet."""
    found: list[tuple[str, int]] = [
        (REFERRAL, pk)
        for pk in Referral.objects.filter(
            status=Referral.Status.SENT, accept_due_at__lt=now, escalated_at__isnull=True
        ).values_list("pk", flat=True)
    ]
    window = timedelta(hours=crisis_referral_hours())
    crises = Case.objects.filter(status__in=OPEN_STATUSES, risk=Risk.RED_CRITICAL).only(
        "pk", "opened_at"
    )
    for case in crises:
        began, key = crisis_began(case)
        if began + window >= now or crisis_escalated(case, key):
            continue
        if hospital_referral_since(case, began) is None:
            found.append((HOSPITAL, case.pk))
    return found


def _escalate_referral(referral_id: int, now: datetime) -> bool:
    referral = (
        Referral.objects.select_for_update()
        .filter(pk=referral_id, status=Referral.Status.SENT, escalated_at__isnull=True)
        .select_related("case", "to_organisation")
        .first()
    )
    if referral is None or referral.accept_due_at >= now:
        return False
    referral.escalated_at = now
    referral.save(update_fields=["escalated_at"])
    ReferralEvent.objects.create(referral=referral, kind=ESCALATED)
    notification_send(
        recipients=sorted({*sender_side(referral), *receiver_users(referral.to_organisation)}),
        title=_("Referral %(number)s was not accepted in time") % {"number": referral.number},
        body=_("Referral %(number)s to %(organisation)s, due %(due)s.")
        % {
            "number": referral.number,
            "organisation": referral.to_organisation.name,
            "due": timezone.localtime(referral.accept_due_at).strftime("%Y-%m-%d %H:%M"),
        },
        link=referral_link(referral),
        level=Notification.Level.URGENT,
        dedupe_key=f"cases.referral_escalate:{referral.pk}",
    )
    return True


def _escalate_hospital(case_id: int, now: datetime) -> bool:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or not case.in_crisis:
        return False
    began, key = crisis_began(case)
    if began + timedelta(hours=crisis_referral_hours()) >= now or crisis_escalated(case, key):
        return False
    if hospital_referral_since(case, began) is not None:
        return False
    CaseEvent.objects.create(case=case, kind=ESCALATED, details={"clock": HOSPITAL, "crisis": key})
    notification_send(
        recipients=_recipients(case),
        title=_("Case %(number)s is in crisis and was not referred to a hospital in time")
        % {"number": case.number},
        body=_("Case %(number)s: refer the child to a hospital.") % {"number": case.number},
        link=_link(case),
        level=Notification.Level.URGENT,
        dedupe_key=f"cases.referral_escalate:{case.pk}:hospital:{key}",
    )
    return True


def referral_escalate_one(what: str, pk: int, now: datetime) -> bool:
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        if what == REFERRAL:
            return _escalate_referral(pk, now)
        return _escalate_hospital(pk, now)


def referral_escalate_run(*, now: datetime | None = None) -> int:
    """Run both referral clocks; returns how many were escalated."""
    now = now or timezone.now()
    return sum(referral_escalate_one(what, pk, now) for what, pk in referrals_overdue(now))


@periodic("cases.referral_escalate", every=timedelta(minutes=5))
def referral_escalate() -> None:
    referral_escalate_run()
