"""What the counseling pages read: rooms, a room's rota week, appointments.

A booked slot names its case only to a viewer who reads the case
(``cases.permissions.cases_visible_to``); to anyone else it is just "booked". No
page here ever shows the child's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from carecircle.accounts import permissions as perms
from carecircle.cases.models import Case
from carecircle.cases.permissions import cases_visible_to
from carecircle.counseling.models import Appointment, Room, Shift
from carecircle.counseling.permissions import rooms_visible_to
from carecircle.counseling.services import slot_starts
from carecircle.people.timeline import day_start

DAYS = 7


def room_list(user: Any, *, area: str = "", kind: str = "") -> QuerySet[Room]:
    rows = rooms_visible_to(user).select_related("organisation")
    if area:
        q = perms.prefix_q("area_code", [area])
        rows = rows.filter(q) if q is not None else rows
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("area_code", "name", "pk")


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


@dataclass
class Slot:
    starts_at: datetime
    ends_at: datetime
    appointment: Appointment | None = None
    case: Case | None = None  # only when the viewer reads the case
    bookable: bool = False

    @property
    def anchor(self) -> str:
        return timezone.localtime(self.starts_at).strftime("%Y-%m-%dT%H:%M")


@dataclass
class ShiftRow:
    shift: Shift
    slots: list[Slot] = field(default_factory=list)


@dataclass
class Day:
    day: date
    shifts: list[ShiftRow] = field(default_factory=list)


def readable_case_ids(user: Any, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(cases_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def room_week(room: Room, start: date, user: Any, *, may_book: bool) -> list[Day]:
    """Seven days from ``start``: the live shifts of the room, each cut into slots."""
    first, after = day_start(start), day_start(start + timedelta(days=DAYS))
    shifts = list(
        Shift.objects.filter(
            room=room, cancelled_at__isnull=True, starts_at__gte=first, starts_at__lt=after
        )
        .select_related("counselor")
        .order_by("starts_at", "pk")
    )
    booked = list(
        Appointment.objects.filter(
            shift__in=[s.pk for s in shifts], status__in=Appointment.LIVE
        ).select_related("case")
    )
    readable = readable_case_ids(user, {a.case_id for a in booked})
    by_slot = {(a.shift_id, a.starts_at): a for a in booked}
    now = timezone.now()
    days = [Day(day=start + timedelta(days=i)) for i in range(DAYS)]
    for shift in shifts:
        row = ShiftRow(shift=shift)
        step = timedelta(minutes=shift.slot_minutes)
        for at in slot_starts(shift):
            appointment = by_slot.get((shift.pk, at))
            row.slots.append(
                Slot(
                    starts_at=at,
                    ends_at=at + step,
                    appointment=appointment,
                    case=appointment.case
                    if appointment and appointment.case_id in readable
                    else None,
                    bookable=may_book and appointment is None and at + step > now,
                )
            )
        index = (timezone.localdate(shift.starts_at) - start).days
        if 0 <= index < DAYS:
            days[index].shifts.append(row)
    return days


def free_slots(shift: Shift) -> list[datetime]:
    """The slots of a live shift that are not booked and not over."""
    if shift.cancelled_at is not None:
        return []
    taken = set(
        Appointment.objects.filter(shift=shift, status__in=Appointment.LIVE).values_list(
            "starts_at", flat=True
        )
    )
    now = timezone.now()
    step = timedelta(minutes=shift.slot_minutes)
    return [at for at in slot_starts(shift) if at not in taken and at + step > now]


def my_appointments(user: Any, *, days_back: int = 7) -> list[tuple[Appointment, bool]]:
    """Appointments on the user's shifts or booked by them, from a week ago on, each
    with whether the user reads its case."""
    since = timezone.now() - timedelta(days=days_back)
    rows = list(
        Appointment.objects.filter(Q(shift__counselor=user) | Q(booked_by=user), ends_at__gte=since)
        .select_related("shift__room", "shift__counselor", "case")
        .order_by("starts_at", "pk")
    )
    readable = readable_case_ids(user, {a.case_id for a in rows})
    return [(a, a.case_id in readable) for a in rows]


def case_appointments(case: Case) -> QuerySet[Appointment]:
    """The case's booked appointments and those of the last week, soonest first."""
    since = timezone.now() - timedelta(days=7)
    return (
        Appointment.objects.filter(case=case)
        .filter(Q(status=Appointment.Status.BOOKED) | Q(ends_at__gte=since))
        .select_related("shift__room", "shift__counselor")
        .order_by("starts_at", "pk")
    )
