"""Counseling sessions on a case (issue 7 item 2).

``session_record`` follows the house style of ``services``: keyword-only with
``actor`` first, one transaction that locks the case's row and checks its state after
the lock, a ``CaseEvent`` and audit records, ``ValidationError`` /
``PermissionDenied`` on refusal.

The rules:

- only a current member of the case's team records a session (a supervisor reads
  sessions but did not hold them);
- the case is open, at any step: the first interview at intake is itself a session,
  so sessions are not held back until the assessment;
- the session was held, not planned: ``held_at`` is not in the future, nor before
  the day the case opened;
- the counselor who held it is on the team;
- the case's child always attends; other children (a family or group session) are
  children the recorder may read, and an individual session has none;
- nothing here records a diagnosis (DOMAIN.md §5.5);
- a session held in a counseling room names it (a room the recorder sees); one held
  in a booked rota slot names the appointment, which must be the case's, booked and
  begun: the session takes the appointment's room and marks it held. An appointment
  has one session at most (the one-to-one backs it when two recordings race).

Audit: one record per attending child (``minor_id`` is that child), so a child's
access history shows the session.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.cases.models import Case, CaseEvent, Session, SessionAttendee
from carecircle.cases.permissions import is_member
from carecircle.counseling.models import Appointment, Room
from carecircle.counseling.permissions import can_see
from carecircle.people.models import Minor
from carecircle.people.permissions import minors_visible_to
from carecircle.people.timeline import day_start


def _check(
    actor: Any,
    case: Case,
    *,
    kind: str,
    held_at: datetime,
    duration_minutes: int,
    counselor: Any,
    mode: str,
    others: list[Minor],
) -> None:
    errors: dict[str, str] = {}
    if kind not in Session.Kind.values:
        errors["kind"] = _("Choose the kind of session.")
    if mode not in Session.Mode.values:
        errors["mode"] = _("Choose how the session was held.")
    if not Session.MIN_MINUTES <= int(duration_minutes or 0) <= Session.MAX_MINUTES:
        errors["duration_minutes"] = _("A session lasts from 1 to 480 minutes.")
    if held_at > timezone.now():
        errors["held_at"] = _("Record a session once it has been held, not before.")
    elif held_at < day_start(timezone.localdate(case.opened_at)):
        errors["held_at"] = _("The session cannot be before the case was opened.")
    if counselor is None or not is_member(counselor, case):
        errors["counselor"] = _("Choose a counselor on the case's team.")
    if others and kind == Session.Kind.INDIVIDUAL:
        errors["other_minors"] = _(
            "An individual session is with the case's child alone; choose a family or "
            "group session for other children."
        )
    elif others:
        visible = set(
            minors_visible_to(actor)
            .filter(pk__in=[m.pk for m in others])
            .values_list("pk", flat=True)
        )
        if any(m.pk not in visible for m in others):
            errors["other_minors"] = _("Choose children you may read.")
    if errors:
        raise ValidationError(errors)


def _slot(actor: Any, case: Case, appointment: Appointment | None) -> Appointment | None:
    """The appointment locked and checked, or None."""
    if appointment is None:
        return None
    locked = (
        Appointment.objects.select_for_update()
        .select_related("shift__room")
        .filter(pk=appointment.pk)
        .first()
    )
    if locked is None or locked.case_id != case.pk:
        raise ValidationError({"appointment": _("Choose an appointment of this case.")})
    if (
        locked.status == Appointment.Status.HELD
        or Session.objects.filter(appointment=locked).exists()
    ):
        raise ValidationError(
            {"appointment": _("A session is already recorded for this appointment.")}
        )
    if locked.status != Appointment.Status.BOOKED:
        raise ValidationError(
            {"appointment": _("This appointment was cancelled or the child did not come.")}
        )
    if locked.starts_at > timezone.now():
        raise ValidationError({"appointment": _("The appointment has not begun yet.")})
    return locked


@transaction.atomic
def session_record(
    *,
    actor: Any,
    case: Case,
    kind: str,
    held_at: datetime,
    duration_minutes: int,
    counselor: Any,
    mode: str,
    place: str = "",
    other_minors: Iterable[Minor] = (),
    other_attendees: str = "",
    notes: str = "",
    room: Room | None = None,
    appointment: Appointment | None = None,
) -> Session:
    """Record a session held on the case; the case's child is always an attendee."""
    if not is_member(actor, case):
        raise PermissionDenied(_("Only the case's team records its sessions."))
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not case.is_open:
        raise ValidationError(_("The case is closed; reopen it first."))
    others = list({m.pk: m for m in other_minors if m.pk != case.minor_id}.values())
    _check(
        actor,
        case,
        kind=kind,
        held_at=held_at,
        duration_minutes=duration_minutes,
        counselor=counselor,
        mode=mode,
        others=others,
    )
    slot = _slot(actor, case, appointment)
    if slot is not None:
        room = slot.shift.room
    elif room is not None and not can_see(actor, room):
        raise ValidationError({"room": _("Choose a counseling room you see.")})
    try:
        with transaction.atomic():
            session = Session.objects.create(
                case=case,
                kind=kind,
                held_at=held_at,
                duration_minutes=int(duration_minutes),
                counselor=counselor,
                mode=mode,
                place=(place or "").strip(),
                room=room,
                appointment=slot,
                other_attendees=(other_attendees or "").strip(),
                notes=(notes or "").strip(),
                recorded_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            {"appointment": _("A session is already recorded for this appointment.")}
        ) from None
    if slot is not None:
        slot.status = Appointment.Status.HELD
        slot.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            object_type="counseling.appointment",
            object_id=slot.pk,
            minor_id=case.minor_id,
            details={"case": case.pk, "status": "held", "session": session.pk},
        )
    attending = [case.minor_id, *(m.pk for m in others)]
    SessionAttendee.objects.bulk_create(
        [SessionAttendee(session=session, minor_id=pk) for pk in attending]
    )
    CaseEvent.objects.create(
        case=case,
        kind="session",
        actor=actor,
        details={
            "session": session.pk,
            "kind": kind,
            "mode": mode,
            "minutes": int(duration_minutes),
            "children": len(attending),
            "room": room.pk if room else None,
            "appointment": slot.pk if slot else None,
        },
    )
    for minor_id in attending:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            object_type="cases.session",
            object_id=session.pk,
            minor_id=minor_id,
            details={"case": case.pk, "kind": kind},
        )
    return session


def sessions_of(case: Case) -> list[Session]:
    """The case's sessions, latest first, with their counselor and number of children."""
    return list(
        case.sessions.select_related("counselor")
        .prefetch_related("attendees")
        .order_by("-held_at", "-pk")
    )
