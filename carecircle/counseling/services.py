"""Rooms, rota shifts and appointments (issue 7 item 4).

House style, as ``cases.services``: keyword-only with ``actor`` first, one
transaction, the rows that two requests could both change locked and re-read before
the rules are checked, an audit record, ``ValidationError`` / ``PermissionDenied`` on
refusal.

The rules:

- a room belongs to an organisation the actor keeps; its division is copied from the
  organisation's so rooms filter by area. The organisation of a room never changes
  (its rota and sessions stay where they were held);
- a shift is in the future, at most ``MAX_SHIFT_HOURS`` long, holds at least one
  slot, and its counselor may be put on the room's rota. Under a lock on the room
  and on the counselor: the room has no other live shift overlapping it, and the
  counselor is on no other live shift overlapping it, in any room;
- a shift is cancelled before it begins, with a reason. While it has booked
  appointments the manager must say that they are cancelled with it (each child's
  worker then sees the cancellation and its reason on the case): a rota change never
  silently drops a child's appointment;
- a slot is ``shift.starts_at + k × slot_minutes`` and ends within the shift. It is
  bookable until it ends, so that a child who walks in during a counselor's shift can
  be seen in the running slot; the shift is live, the room in use, the case open and
  workable by the booker, and the case has no other live appointment at an
  overlapping time. The partial unique constraint ``appointment_one_per_slot`` is the
  last word on a double booking: two requests racing for one slot get one booking and
  one "just taken";
- an appointment is cancelled (with a reason) or marked "did not come" (once its slot
  has begun) while it is booked; the session recorded against it marks it held
  (``cases.sessions``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from carecircle.accounts.models import Organisation, User
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, record_change
from carecircle.cases.models import Case
from carecircle.cases.permissions import can_work
from carecircle.counseling.models import Appointment, Room, Shift
from carecircle.counseling.permissions import (
    can_act_on,
    can_manage,
    can_see,
    may_keep_organisation,
    on_duty_candidates,
)

# A rota shift is one stretch of duty on one day; a longer one is a typing slip.
MAX_SHIFT_HOURS = 12
REASON_LENGTH = 200
LIVE = Appointment.LIVE


def _text(value: str, field: str, message: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text[:limit]


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _span(start: datetime, end: datetime) -> str:
    return f"{_when(start)}–{date_format(timezone.localtime(end), 'H:i')}"


# --- Rooms -------------------------------------------------------------------------


def _require_kept(actor: Any, room: Room) -> None:
    if not can_manage(actor, room):
        raise PermissionDenied(_("You do not keep this room."))


def _check_room(name: str, kind: str) -> str:
    name = _text(name, "name", _("Give the room a name."), 100)
    if kind not in Room.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of room.")})
    return name


@transaction.atomic
def room_add(
    *, actor: Any, name: str, kind: str, organisation: Organisation, location: str = ""
) -> Room:
    if not may_keep_organisation(actor, organisation):
        raise PermissionDenied(_("You do not keep rooms at this organisation."))
    name = _check_room(name, kind)
    if not organisation.is_active:
        raise ValidationError({"organisation": _("This organisation is no longer active.")})
    try:
        with transaction.atomic():
            room = Room.objects.create(
                name=name,
                kind=kind,
                organisation=organisation,
                area_code=organisation.division_id,
                location=(location or "").strip()[:200],
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            {"name": _("The organisation already has a room of that name.")}
        ) from None
    record_change(
        actor=actor,
        instance=room,
        action=AuditEvent.Action.CREATE,
        changed=["name", "kind", "organisation", "area_code", "location", "is_active"],
    )
    return room


@transaction.atomic
def room_update(
    *, actor: Any, room: Room, name: str, kind: str, location: str = "", is_active: bool = True
) -> Room:
    """Rename, re-kind, move within the organisation or take out of use. A room with
    booked appointments to come stays in use until they are cancelled."""
    room = Room.objects.select_for_update().get(pk=room.pk)
    _require_kept(actor, room)
    name = _check_room(name, kind)
    if not is_active and room.is_active:
        waiting = Appointment.objects.filter(
            shift__room=room, status=Appointment.Status.BOOKED, ends_at__gt=timezone.now()
        ).count()
        if waiting:
            raise ValidationError(
                {
                    "is_active": _(
                        "The room has %(count)d booked appointment(s) to come; cancel them "
                        "before taking it out of use."
                    )
                    % {"count": waiting}
                }
            )
    new = {
        "name": name,
        "kind": kind,
        "location": (location or "").strip()[:200],
        "is_active": bool(is_active),
    }
    changed = [f for f, v in new.items() if getattr(room, f) != v]
    if not changed:
        return room
    for field, value in new.items():
        setattr(room, field, value)
    try:
        with transaction.atomic():
            room.save(update_fields=changed)
    except IntegrityError:
        raise ValidationError(
            {"name": _("The organisation already has a room of that name.")}
        ) from None
    record_change(actor=actor, instance=room, action=AuditEvent.Action.UPDATE, changed=changed)
    return room


# --- Shifts ------------------------------------------------------------------------


def slot_starts(shift: Shift) -> list[datetime]:
    """The starts of the slots that fit whole in the shift."""
    step = timedelta(minutes=shift.slot_minutes)
    starts, at = [], shift.starts_at
    while at + step <= shift.ends_at:
        starts.append(at)
        at += step
    return starts


def _live_overlapping(starts_at: datetime, ends_at: datetime) -> Any:
    return Shift.objects.filter(
        cancelled_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at
    )


@transaction.atomic
def shift_add(
    *,
    actor: Any,
    room: Room,
    counselor: Any,
    starts_at: datetime,
    ends_at: datetime,
    slot_minutes: int = 50,
) -> Shift:
    # Room first, then the counselor: every shift_add takes the locks in this order.
    room = Room.objects.select_for_update().get(pk=room.pk)
    _require_kept(actor, room)
    if not room.is_active:
        raise ValidationError(_("The room is not in use; put it back in use first."))
    errors: dict[str, str] = {}
    slot_minutes = int(slot_minutes or 0)
    if not Shift.MIN_SLOT <= slot_minutes <= Shift.MAX_SLOT:
        errors["slot_minutes"] = _("A slot lasts from %(low)d to %(high)d minutes.") % {
            "low": Shift.MIN_SLOT,
            "high": Shift.MAX_SLOT,
        }
    if ends_at <= starts_at:
        errors["ends_at"] = _("The shift must end after it starts.")
    elif ends_at - starts_at > timedelta(hours=MAX_SHIFT_HOURS):
        errors["ends_at"] = _("A shift lasts at most %(hours)d hours.") % {"hours": MAX_SHIFT_HOURS}
    elif "slot_minutes" not in errors and ends_at - starts_at < timedelta(minutes=slot_minutes):
        errors["slot_minutes"] = _("The shift is shorter than one slot.")
    if starts_at <= timezone.now():
        errors["starts_at"] = _("Put shifts on the rota before they begin.")
    if counselor is None or not on_duty_candidates(room).filter(pk=counselor.pk).exists():
        errors["counselor"] = _("Choose a counselor who may take turns in this room.")
    if errors:
        raise ValidationError(errors)
    User.objects.select_for_update().filter(pk=counselor.pk).first()
    clash = (
        _live_overlapping(starts_at, ends_at)
        .filter(Q(room=room) | Q(counselor=counselor))
        .select_related("room", "counselor")
        .first()
    )
    if clash is not None and clash.room_id == room.pk:
        raise ValidationError(
            {
                "starts_at": _(
                    "The room already has %(name)s on duty %(span)s; shifts in one room "
                    "cannot overlap."
                )
                % {
                    "name": clash.counselor.display_name,
                    "span": _span(clash.starts_at, clash.ends_at),
                }
            }
        )
    if clash is not None:
        raise ValidationError(
            {
                "counselor": _("%(name)s is already on duty in %(room)s %(span)s.")
                % {
                    "name": clash.counselor.display_name,
                    "room": clash.room.name,
                    "span": _span(clash.starts_at, clash.ends_at),
                }
            }
        )
    shift = Shift.objects.create(
        room=room,
        counselor=counselor,
        starts_at=starts_at,
        ends_at=ends_at,
        slot_minutes=slot_minutes,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        object_type="counseling.shift",
        object_id=shift.pk,
        details={"room": room.pk, "counselor": counselor.pk, "slots": len(slot_starts(shift))},
    )
    return shift


@transaction.atomic
def shift_cancel(
    *, actor: Any, shift: Shift, reason: str, cancel_appointments: bool = False
) -> Shift:
    shift = Shift.objects.select_for_update().select_related("room").get(pk=shift.pk)
    _require_kept(actor, shift.room)
    if shift.cancelled_at is not None:
        raise ValidationError(_("This shift is already cancelled."))
    now = timezone.now()
    if shift.starts_at <= now:
        raise ValidationError(_("A shift that has begun cannot be cancelled."))
    reason = _text(reason, "reason", _("Say why the shift is cancelled."), REASON_LENGTH)
    booked = list(
        Appointment.objects.select_for_update()
        .filter(shift=shift, status__in=LIVE)
        .select_related("case")
    )
    if booked and not cancel_appointments:
        raise ValidationError(
            {
                "cancel_appointments": _(
                    "%(count)d appointment(s) are booked on this shift. Tick the box to "
                    "cancel them with it, or move them first."
                )
                % {"count": len(booked)}
            }
        )
    for appointment in booked:
        _cancel(actor, appointment, reason)
    shift.cancelled_at, shift.cancelled_by = now, actor
    shift.save(update_fields=["cancelled_at", "cancelled_by"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        object_type="counseling.shift",
        object_id=shift.pk,
        details={"cancelled": True, "appointments_cancelled": len(booked)},
    )
    return shift


# --- Appointments ------------------------------------------------------------------


def slot_taken(shift: Shift, starts_at: datetime) -> bool:
    return Appointment.objects.filter(shift=shift, starts_at=starts_at, status__in=LIVE).exists()


@transaction.atomic
def appointment_book(*, actor: Any, shift: Shift, case: Case, starts_at: datetime) -> Appointment:
    shift = Shift.objects.select_for_update().select_related("room").get(pk=shift.pk)
    if not can_see(actor, shift.room):
        raise PermissionDenied(_("You do not see this room."))
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not can_work(actor, case):
        raise PermissionDenied(_("You may book only for cases you work on."))
    if not case.is_open:
        raise ValidationError({"case": _("The case is closed; reopen it first.")})
    if shift.cancelled_at is not None:
        raise ValidationError(_("This shift is cancelled."))
    if not shift.room.is_active:
        raise ValidationError(_("The room is not in use."))
    if starts_at not in slot_starts(shift):
        raise ValidationError({"starts_at": _("Choose one of the shift's slots.")})
    ends_at = starts_at + timedelta(minutes=shift.slot_minutes)
    if ends_at <= timezone.now():
        raise ValidationError({"starts_at": _("This slot is over; choose one to come.")})
    same_case = (
        Appointment.objects.filter(
            case=case, status__in=LIVE, starts_at__lt=ends_at, ends_at__gt=starts_at
        )
        .select_related("shift__room")
        .first()
    )
    if same_case is not None:
        raise ValidationError(
            {
                "case": _("The case already has an appointment %(span)s in %(room)s.")
                % {
                    "span": _span(same_case.starts_at, same_case.ends_at),
                    "room": same_case.shift.room.name,
                }
            }
        )
    if slot_taken(shift, starts_at):
        raise ValidationError({"starts_at": _("This slot is already booked.")})
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                shift=shift, case=case, starts_at=starts_at, ends_at=ends_at, booked_by=actor
            )
    except IntegrityError:
        raise ValidationError(
            {"starts_at": _("This slot was just taken by another booking; choose another.")}
        ) from None
    _audit(actor, AuditEvent.Action.CREATE, appointment, case, booked=True)
    return appointment


def _audit(actor: Any, action: str, appointment: Appointment, case: Case, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="counseling.appointment",
        object_id=appointment.pk,
        minor_id=case.minor_id,
        details={"case": case.pk, "shift": appointment.shift_id, **details},
    )


def _cancel(actor: Any, appointment: Appointment, reason: str) -> None:
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancel_reason, appointment.cancelled_by = reason, actor
    appointment.save(update_fields=["status", "cancel_reason", "cancelled_by"])
    _audit(actor, AuditEvent.Action.UPDATE, appointment, appointment.case, status="cancelled")


def _lock_booked(actor: Any, appointment: Appointment) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("shift__room", "case")
        .get(pk=appointment.pk)
    )
    if not can_act_on(actor, appointment):
        raise PermissionDenied(_("This appointment is not yours to change."))
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError(
            _("This appointment is already %(status)s.")
            % {"status": appointment.get_status_display().lower()}
        )
    return appointment


@transaction.atomic
def appointment_cancel(*, actor: Any, appointment: Appointment, reason: str) -> Appointment:
    appointment = _lock_booked(actor, appointment)
    reason = _text(reason, "reason", _("Say why the appointment is cancelled."), REASON_LENGTH)
    _cancel(actor, appointment, reason)
    return appointment


@transaction.atomic
def appointment_no_show(*, actor: Any, appointment: Appointment) -> Appointment:
    appointment = _lock_booked(actor, appointment)
    if appointment.starts_at > timezone.now():
        raise ValidationError(_("The appointment has not begun yet."))
    appointment.status = Appointment.Status.NO_SHOW
    appointment.save(update_fields=["status"])
    _audit(actor, AuditEvent.Action.UPDATE, appointment, appointment.case, status="no_show")
    return appointment
