"""What a recorded visit sets off: follow-up tasks, police reports and alerts (issue 5 item 2).

In the visit's own transaction, so that a crash loses neither the visit nor what it
demands; notifications go through the outbox and name no child (they may leave the
system by e-mail): they name the village and link to the visit, which only those in
scope can open.

- "Follow-up needed" opens a follow-up for the child supervisors over the visit's
  division (due in ``CARECIRCLE_VISIT_FOLLOW_UP_DAYS``, 7), or with "refer to the
  centre" a referral for the centre's staff over it, and tells them.
- Any risk flag tells the supervisors over the child's village at once.
- A reportable flag (``flags.REPORTABLE``) also opens a "report to the police" task
  for the visitor, due in ``CARECIRCLE_VISIT_POLICE_REPORT_HOURS`` (24: the law says
  立即, immediately; the limit is when it shows as late), and tells the centre.

Where nobody holds the role over the division, the district administrators over it
are told instead, so that an alert never goes nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts.permissions import role_holders
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import record_change
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send
from carecircle.regions.selectors import division_names
from carecircle.visits import flags as risk
from carecircle.visits.models import Visit, VisitMinor, VisitTask
from carecircle.visits.permissions import can_complete_task

MIN_REASON = 5


def link(name: str, *args: Any) -> str:
    """A page of the visits app, or "" while no page by that name exists."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def responders(roles: Iterable[str], code: str) -> list[int]:
    """Those holding ``roles`` over ``code``; else its district administrators."""
    found = list(role_holders(roles, code).values_list("pk", flat=True))
    if not found:
        found = list(role_holders([Role.DISTRICT_ADMIN], code).values_list("pk", flat=True))
    return found


def place(code: str) -> str:
    """The division's name as the notifications write it ("township / village")."""
    return division_names({code}).get(code, code)


def _hours(name: str, default: int) -> timedelta:
    return timedelta(hours=int(getattr(settings, name, default)))


def _follow_up(actor: Any, visit: Visit) -> VisitTask:
    centre = visit.refer_to_centre
    role = Role.CENTER_STAFF if centre else Role.CHILD_SUPERVISOR
    days = int(getattr(settings, "CARECIRCLE_VISIT_FOLLOW_UP_DAYS", 7))
    task = VisitTask.objects.create(
        kind=VisitTask.Kind.REFERRAL if centre else VisitTask.Kind.FOLLOW_UP,
        visit=visit,
        area_code=visit.area_code,
        assigned_role=role,
        due_at=timezone.now() + timedelta(days=days),
    )
    notification_send(
        recipients=responders([role], visit.area_code),
        title=(
            _("A visit in %(place)s was referred to the centre")
            if centre
            else _("A visit in %(place)s needs a follow-up")
        )
        % {"place": place(visit.area_code)},
        body=_("Open the visit to see what the visitor found."),
        link=link("visits:visit-detail", visit.pk),
        dedupe_key=f"visits.follow_up:{visit.pk}",
    )
    return task


def _police_task(actor: Any, visit: Visit, row: VisitMinor, reportable: list[str]) -> VisitTask:
    return VisitTask.objects.create(
        kind=VisitTask.Kind.REPORT_POLICE,
        visit=visit,
        minor_id=row.minor_id,
        area_code=row.area_code,
        assigned_to=actor,
        flags=reportable,
        due_at=timezone.now() + _hours("CARECIRCLE_VISIT_POLICE_REPORT_HOURS", 24),
    )


def _risk_alert(visit: Visit, flagged: Sequence[VisitMinor], reportable: bool) -> None:
    roles = [Role.CHILD_SUPERVISOR, *([Role.CENTER_STAFF] if reportable else [])]
    recipients: set[int] = set()
    for code in {row.area_code for row in flagged}:
        recipients.update(responders(roles, code))
    notification_send(
        recipients=recipients,
        title=(
            _("A visit in %(place)s found a child in danger: report to the police")
            if reportable
            else _("A visit in %(place)s found a guardianship risk")
        )
        % {"place": place(visit.area_code)},
        body=_("Open the visit to see which risks were recorded and for whom."),
        link=link("visits:visit-detail", visit.pk),
        level=Notification.Level.URGENT if reportable else Notification.Level.WARNING,
        dedupe_key=f"visits.risk:{visit.pk}",
    )


def visit_consequences(*, actor: Any, visit: Visit, seen: Sequence[VisitMinor]) -> list[VisitTask]:
    """Open the tasks and send the alerts a new visit demands (in the caller's transaction)."""
    opened: list[VisitTask] = []
    if visit.follow_up_needed:
        opened.append(_follow_up(actor, visit))
    flagged = [row for row in seen if row.risk_flags]
    any_reportable = False
    for row in flagged:
        reportable = [f for f in row.risk_flags if f in risk.REPORTABLE]
        if reportable:
            any_reportable = True
            opened.append(_police_task(actor, visit, row, reportable))
    if flagged:
        _risk_alert(visit, flagged, any_reportable)
    for task in opened:
        record_change(
            actor=actor,
            instance=task,
            action=AuditEvent.Action.CREATE,
            changed=["kind", "status", "area_code", "assigned_role", "due_at"],
            minor_id=task.minor_id,
        )
    return opened


@transaction.atomic
def task_complete(
    *, actor: Any, task: VisitTask, outcome: str, police_receipt: str = ""
) -> VisitTask:
    """Close a task with what was done. A police report needs the police's receipt
    number, or a written reason why there is none (DOMAIN.md §9.3)."""
    task = VisitTask.objects.select_for_update().get(pk=task.pk)
    if not can_complete_task(actor, task):
        raise PermissionDenied(_("This task is not yours to close."))
    if task.status == VisitTask.Status.DONE:
        raise ValidationError(_("This task is already done."))
    outcome, police_receipt = outcome.strip(), police_receipt.strip()
    errors: dict[str, list[str]] = {}
    if task.kind == VisitTask.Kind.REPORT_POLICE:
        if not police_receipt and len(outcome) < MIN_REASON:
            errors["police_receipt"] = [
                _("Give the police's receipt number, or write why the report was not made.")
            ]
    elif len(outcome) < MIN_REASON:
        errors["outcome"] = [_("Write down what was done, in at least 5 characters.")]
    if len(police_receipt) > 64:
        errors.setdefault("police_receipt", []).append(
            _("A receipt number has at most 64 characters.")
        )
    if errors:
        raise ValidationError(errors)
    task.status = VisitTask.Status.DONE
    task.outcome, task.police_receipt = outcome, police_receipt
    task.done_by, task.done_at = actor, timezone.now()
    task.save(update_fields=["status", "outcome", "police_receipt", "done_by", "done_at"])
    record_change(
        actor=actor,
        instance=task,
        action=AuditEvent.Action.UPDATE,
        changed=["status", "outcome", "police_receipt"],
        minor_id=task.minor_id,
    )
    return task
