"""Opening a case and moving it through its workflow (issue 7 items 1 and 3).

Every service is ``case_<verb>``, keyword-only with ``actor`` first, one transaction
that locks the case's row and checks its state after the lock (a form sent twice
changes the case once), writes a ``CaseEvent`` and an audit record, and raises
``ValidationError`` / ``PermissionDenied``.

``TRANSITIONS`` is the state machine: from each state, the states it may go to and
who may take the step. What a step needs is checked by ``_ready``: an assessment
before planning, goals and a review date before intervention, a closure note and no
open crisis before asking to close; a supervisor other than the one who asked
approves the closure.

The crisis protocol: a case at ``red_critical`` gets a daily follow-up task for its
owner, renewed when done, until a team member lowers the risk with a reason; its
safety plan and the record that the guardian was told are required within
``CARECIRCLE_CASE_CRISIS_HOURS`` (24), and ``jobs`` escalates a missed step to the
supervisors.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.permissions import role_holders
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.cases.models import (
    RISK_ORDER,
    Case,
    CaseEvent,
    CaseMember,
    CaseTask,
    Kind,
    Risk,
    Source,
    Status,
)
from carecircle.cases.permissions import (
    SUPERVISOR_ROLES,
    can_open_cases,
    can_work,
    forget_team_access,
    is_member,
    supervises,
)
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send
from carecircle.people.models import Minor
from carecircle.people.permissions import minors_visible_to
from carecircle.workdays.calendar import end_of_day

MIN_TEXT = 5
TEAM = "team"
SUPERVISOR = "supervisor"

# From each state: the states it may go to, and who takes the step.
TRANSITIONS: dict[str, dict[str, str]] = {
    Status.INTAKE: {Status.ASSESSMENT: TEAM},
    Status.ASSESSMENT: {Status.PLANNING: TEAM},
    Status.PLANNING: {Status.INTERVENTION: TEAM},
    Status.INTERVENTION: {Status.REVIEW: TEAM},
    Status.REVIEW: {Status.INTERVENTION: TEAM, Status.CLOSURE_PENDING: TEAM},
    Status.CLOSURE_PENDING: {Status.CLOSED: SUPERVISOR, Status.REVIEW: SUPERVISOR},
    Status.CLOSED: {Status.ASSESSMENT: SUPERVISOR},
}
# The team role a user joins as, from the roles they hold.
MEMBER_ROLE: dict[str, str] = {
    Role.SOCIAL_WORKER: CaseMember.Role.SOCIAL_WORKER,
    Role.COUNSELOR: CaseMember.Role.COUNSELOR,
    Role.FAMILY_EDUCATOR: CaseMember.Role.FAMILY_EDUCATOR,
    Role.LAWYER: CaseMember.Role.LAWYER,
    Role.VOLUNTEER: CaseMember.Role.VOLUNTEER,
    Role.SCHOOL_PSYCH_TEACHER: CaseMember.Role.TEACHER,
}


def crisis_hours() -> int:
    return int(getattr(settings, "CARECIRCLE_CASE_CRISIS_HOURS", 24))


def member_role_of(user: Any) -> str:
    for assignment in perms.assignments(user):
        if assignment.role in MEMBER_ROLE:
            return MEMBER_ROLE[assignment.role]
    return str(CaseMember.Role.OTHER)


def case_link(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def supervisors_of(case: Case) -> list[int]:
    """The supervisors over the case's division (``permissions.SUPERVISOR_ROLES``)."""
    return sorted(role_holders(SUPERVISOR_ROLES, case.area_code).values_list("pk", flat=True))


def _event(case: Case, kind: str, actor: Any, text: str = "", **details: Any) -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, actor=actor, text=text, details=details)


def _audit(actor: Any, action: str, case: Case, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="cases.case",
        object_id=case.pk,
        minor_id=case.minor_id,
        details=details,
    )


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if len(value) < MIN_TEXT:
        raise ValidationError({field: message})
    return value


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _require_work(actor: Any, case: Case) -> None:
    if not can_work(actor, case):
        raise PermissionDenied(_("You are not on this case's team."))


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise ValidationError(_("The case is closed; reopen it first."))


def _notify(recipients: list[int], case: Case, title: str, *, urgent: bool = False) -> None:
    notification_send(
        recipients=recipients,
        title=title,
        body=_("Case %(number)s.") % {"number": case.number},
        link=case_link(case),
        level=Notification.Level.URGENT if urgent else Notification.Level.INFO,
    )


def _start_crisis(actor: Any, case: Case) -> None:
    """The daily follow-up of a red-critical case, and the supervisors told."""
    owner = case.members.filter(is_owner=True, left_at__isnull=True).first()
    CaseTask.objects.create(
        case=case,
        kind=CaseTask.Kind.CRISIS_FOLLOW_UP,
        title=_("Daily crisis follow-up"),
        assigned_to_id=owner.user_id if owner else actor.pk,
        due_at=timezone.now() + timedelta(days=1),
    )
    _notify(supervisors_of(case), case, _("A case is in crisis"), urgent=True)


@transaction.atomic
def case_open(
    *,
    actor: Any,
    minor: Minor,
    kind: str,
    source: str,
    summary: str,
    risk: str,
    risk_reasons: str = "",
    source_target: Any = None,
    source_tip: Any = None,
    source_visit: Any = None,
) -> Case:
    """Open a case for a child the actor may read; the actor joins as its owner."""
    if not can_open_cases(actor):
        raise PermissionDenied(_("Your roles do not allow opening cases."))
    if not minors_visible_to(actor).filter(pk=minor.pk).exists():
        raise ValidationError({"minor": _("Choose a child you may read.")})
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Choose the type of case.")})
    if source not in Source.values:
        raise ValidationError({"source": _("Say where the case came from.")})
    if risk not in Risk.values:
        raise ValidationError({"risk": _("Choose a risk level.")})
    _check_source(actor, minor, source, source_target, source_tip, source_visit)
    summary = _text(summary, "summary", _("Say in a sentence or two why the case is opened."))
    case = Case(
        kind=kind,
        minor=minor,
        area_code=minor.area_code,
        source=source,
        source_target=source_target,
        source_tip=source_tip,
        source_visit=source_visit,
        summary=summary,
        risk=risk,
        risk_reasons=risk_reasons.strip(),
        opened_by=actor,
        opened_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise ValidationError(
            _("The child already has an open case of this type; work on that one.")
        ) from None
    CaseMember.objects.create(
        case=case, user=actor, role=member_role_of(actor), is_owner=True, added_by=actor
    )
    forget_team_access(actor)
    _event(case, "opened", actor, source=source, risk=risk)
    _audit(actor, AuditEvent.Action.CREATE, case, kind=kind, source=source)
    if case.risk == Risk.RED_CRITICAL:
        _start_crisis(actor, case)
    return case


def _check_source(actor: Any, minor: Minor, source: str, target: Any, tip: Any, visit: Any) -> None:
    """The link a source names, and only that one, for this child, readable by the actor."""
    from carecircle.tips.permissions import tips_visible_to
    from carecircle.visits.permissions import visits_visible_to

    needed: dict[str, Any] = {Source.KEY_TARGET: target, Source.TIP: tip, Source.VISIT: visit}
    given = [link for link in (target, tip, visit) if link is not None]
    if source in needed and needed[source] is None:
        raise ValidationError(_("Say which target, report or visit the case comes from."))
    if len(given) > (1 if source in needed else 0):
        raise ValidationError(_("A case comes from one place: remove the other links."))
    if target is not None:
        if target.minor_id != minor.pk:
            raise ValidationError(_("The key assistance target is another child."))
        # Its child is one the actor reads (checked above); the target's reasons are
        # not copied, so the link shows nothing of the results behind them.
        if target.ended_at is not None:
            raise ValidationError(_("That key assistance target has ended."))
    if visit is not None:
        if not visit.seen.filter(minor_id=minor.pk).exists():
            raise ValidationError(_("The child was not seen on that visit."))
        if not visits_visible_to(actor).filter(pk=visit.pk).exists():
            raise ValidationError(_("You cannot read that visit."))
    if tip is not None:
        if not tip.minors.filter(pk=minor.pk).exists():
            raise ValidationError(_("Link the child to the report first."))
        if not tips_visible_to(actor).filter(pk=tip.pk).exists():
            raise ValidationError(_("You cannot read that report."))


def _ready(case: Case, to: str) -> None:
    """What the step to ``to`` needs on the case as it stands."""
    if to == Status.PLANNING and not case.assessment:
        raise ValidationError(_("Record the assessment before planning."))
    if to == Status.INTERVENTION and (not case.goals or case.review_on is None):
        raise ValidationError(_("The plan needs its goals and a review date first."))
    if to == Status.CLOSURE_PENDING:
        if not case.closure_note:
            raise ValidationError(_("Write the closure note before asking to close."))
        if case.risk == Risk.RED_CRITICAL:
            raise ValidationError(_("A case in crisis cannot close: lower its risk first."))
        if case.tasks.filter(status=CaseTask.Status.OPEN).exists():
            raise ValidationError(_("Finish or cancel the case's open tasks first."))


@transaction.atomic
def case_transition(*, actor: Any, case: Case, to: str, note: str = "") -> Case:
    """Move the case to ``to`` if the state machine and the case allow it."""
    case = _lock(case)
    allowed = TRANSITIONS.get(case.status, {})
    if to not in allowed:
        raise ValidationError(
            _("A case cannot go from %(from)s to %(to)s.")
            % {
                "from": case.get_status_display(),
                "to": Status(to).label if to in Status.values else to,
            }
        )
    who = allowed[to]
    if who == SUPERVISOR and not supervises(actor, case):
        raise PermissionDenied(_("Only a supervisor over this case's division takes this step."))
    if who == TEAM:
        _require_work(actor, case)
    _ready(case, to)
    before = case.status
    fields = ["status", "updated_at"]
    if to == Status.CLOSURE_PENDING:
        case.closure_requested_by = actor
        fields.append("closure_requested_by")
    if before == Status.CLOSURE_PENDING and to == Status.CLOSED:
        if case.closure_requested_by_id == actor.pk:
            raise PermissionDenied(_("Someone other than who asked approves the closure."))
        case.closed_by, case.closed_at = actor, timezone.now()
        fields += ["closed_by", "closed_at"]
    if before == Status.CLOSURE_PENDING and to == Status.REVIEW:
        note = _text(note, "note", _("Say why the closure is refused."))
    if before == Status.CLOSED:
        note = _text(note, "note", _("Say why the case is reopened."))
        case.reopened += 1
        case.closed_at = case.closed_by = None
        fields += ["reopened", "closed_at", "closed_by"]
    case.status = to
    try:
        with transaction.atomic():
            case.save(update_fields=fields)
    except IntegrityError:  # reopening beside another open case of the type
        raise ValidationError(
            _("The child already has an open case of this type; work on that one.")
        ) from None
    forget_team_access(actor)
    _event(case, "transition", actor, note, **{"from": before, "to": to})
    _audit(actor, AuditEvent.Action.UPDATE, case, status=to)
    if to == Status.CLOSURE_PENDING:
        _notify(supervisors_of(case), case, _("A case asks to be closed"))
    return case


@transaction.atomic
def case_record_plan(
    *,
    actor: Any,
    case: Case,
    assessment: str | None = None,
    goals: str | None = None,
    services: str | None = None,
    review_on: date | None = None,
    closure_note: str | None = None,
) -> Case:
    """The assessment, the plan (goals, services, review date) and the closure note."""
    case = _lock(case)
    _require_work(actor, case)
    _require_open(case)
    if review_on is not None and review_on < timezone.localdate():
        raise ValidationError({"review_on": _("The review date cannot be in the past.")})
    changed = []
    for name, value in (
        ("assessment", assessment),
        ("goals", goals),
        ("services", services),
        ("closure_note", closure_note),
    ):
        if value is not None and value.strip() != getattr(case, name):
            setattr(case, name, value.strip())
            changed.append(name)
    if review_on is not None and review_on != case.review_on:
        case.review_on = review_on
        changed.append("review_on")
    if not changed:
        raise ValidationError(_("Nothing was changed."))
    case.save(update_fields=[*changed, "updated_at"])
    _event(case, "plan", actor, fields=changed)
    _audit(actor, AuditEvent.Action.UPDATE, case, fields=changed)
    return case


@transaction.atomic
def case_set_risk(*, actor: Any, case: Case, risk: str, reasons: str) -> Case:
    """A new risk level with its reasons; into red-critical starts the crisis
    protocol, out of it ends the daily follow-up."""
    case = _lock(case)
    _require_work(actor, case)
    _require_open(case)
    if risk not in Risk.values or risk == case.risk:
        raise ValidationError({"risk": _("Choose a new risk level.")})
    reasons = _text(reasons, "reasons", _("Give the reasons for the new level."))
    before = case.risk
    case.risk, case.risk_reasons = risk, reasons
    case.save(update_fields=["risk", "risk_reasons", "updated_at"])
    lowered = RISK_ORDER.index(risk) < RISK_ORDER.index(before)
    _event(case, "risk", actor, reasons, **{"from": before, "to": risk})
    _audit(actor, AuditEvent.Action.UPDATE, case, risk=risk)
    if risk == Risk.RED_CRITICAL:
        _start_crisis(actor, case)
    elif before == Risk.RED_CRITICAL and lowered:
        case.tasks.filter(kind=CaseTask.Kind.CRISIS_FOLLOW_UP, status=CaseTask.Status.OPEN).update(
            status=CaseTask.Status.DONE, done_by=actor, done_at=timezone.now(),
            done_note=_("The crisis ended: risk lowered."),
        )  # fmt: skip
    return case


@transaction.atomic
def case_record_crisis(
    *, actor: Any, case: Case, safety_plan: str | None = None, guardian_told: bool = False
) -> Case:
    """The crisis protocol's records: the safety plan, and that the guardian was told."""
    case = _lock(case)
    _require_work(actor, case)
    _require_open(case)
    changed = []
    if safety_plan is not None:
        case.safety_plan = _text(safety_plan, "safety_plan", _("Write the safety plan."))
        changed.append("safety_plan")
    if guardian_told and case.guardian_told_at is None:
        case.guardian_told_at = timezone.now()
        changed.append("guardian_told_at")
    if not changed:
        raise ValidationError(_("Nothing was changed."))
    case.save(update_fields=[*changed, "updated_at"])
    _event(case, "crisis", actor, fields=changed)
    _audit(actor, AuditEvent.Action.UPDATE, case, fields=changed)
    return case


@transaction.atomic
def case_add_member(*, actor: Any, case: Case, user: Any, role: str = "") -> CaseMember:
    """A supervisor or the owner adds someone who holds a role; they then reach the child."""
    case = _lock(case)
    owner = case.members.filter(user=actor, is_owner=True, left_at__isnull=True).exists()
    if not (owner or supervises(actor, case)):
        raise PermissionDenied(_("Only the owner or a supervisor changes the team."))
    _require_open(case)
    if not perms.assignments(user):
        raise ValidationError({"user": _("Choose someone who holds a role.")})
    if is_member(user, case):
        raise ValidationError({"user": _("They are already on the team.")})
    role = role or member_role_of(user)
    if role not in CaseMember.Role.values:
        raise ValidationError({"role": _("Choose their role on the team.")})
    member = CaseMember.objects.create(case=case, user=user, role=role, added_by=actor)
    _event(case, "member_added", actor, user=user.pk, role=role)
    _audit(actor, AuditEvent.Action.UPDATE, case, member_added=user.pk)
    _notify([user.pk], case, _("You were added to a case's team"))
    return member


@transaction.atomic
def case_remove_member(*, actor: Any, case: Case, member: CaseMember) -> CaseMember:
    case = _lock(case)
    if (
        not supervises(actor, case)
        and not case.members.filter(user=actor, is_owner=True, left_at__isnull=True).exists()
    ):
        raise PermissionDenied(_("Only the owner or a supervisor changes the team."))
    _require_open(case)
    if member.case_id != case.pk or member.left_at is not None:
        raise ValidationError(_("They are not on the team."))
    if member.is_owner:
        raise ValidationError(_("The owner stays on the team; make someone else owner first."))
    member.left_at = timezone.now()
    member.save(update_fields=["left_at"])
    _event(case, "member_removed", actor, user=member.user_id)
    _audit(actor, AuditEvent.Action.UPDATE, case, member_removed=member.user_id)
    return member


@transaction.atomic
def case_add_task(
    *, actor: Any, case: Case, title: str, assigned_to: Any, due_on: date
) -> CaseTask:
    case = _lock(case)
    _require_work(actor, case)
    _require_open(case)
    if not is_member(assigned_to, case):
        raise ValidationError({"assigned_to": _("Give the task to someone on the team.")})
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": _("The due date cannot be in the past.")})
    title = _text(title, "title", _("Say what is to be done."))
    task = CaseTask.objects.create(
        case=case,
        title=title,
        assigned_to=assigned_to,
        due_at=end_of_day(due_on),
    )
    _event(case, "task_added", actor, task=task.pk)
    return task


@transaction.atomic
def case_complete_task(*, actor: Any, task: CaseTask, note: str) -> CaseTask:
    """Done, with what was done; a crisis follow-up done while the crisis lasts
    schedules the next day's."""
    case = _lock(task.case)
    _require_work(actor, case)
    task = CaseTask.objects.select_for_update().get(pk=task.pk)
    if task.status != CaseTask.Status.OPEN:
        raise ValidationError(_("This task is already done."))
    task.status, task.done_by, task.done_at = CaseTask.Status.DONE, actor, timezone.now()
    task.done_note = _text(note, "note", _("Say what was done."))
    task.save(update_fields=["status", "done_by", "done_at", "done_note"])
    _event(case, "task_done", actor, task=task.pk)
    _audit(actor, AuditEvent.Action.UPDATE, case, task_done=task.pk)
    if task.kind == CaseTask.Kind.CRISIS_FOLLOW_UP and case.in_crisis:
        CaseTask.objects.create(
            case=case,
            kind=CaseTask.Kind.CRISIS_FOLLOW_UP,
            title=task.title,
            assigned_to=task.assigned_to,
            due_at=task.done_at + timedelta(days=1),
        )
    return task
