"""Counseling rooms in the demo district, their rota and some appointments.

- the protection centre's consulting room, the comprehensive governance center's room
  where the center's counselors take turns, a room at every school (the demo
  school's with its psychology teacher on duty) and the hospital's;
- a rota for the rest of this week and all of next: the two counselors alternate
  between the centre's mornings and the governance center's afternoons, so neither is
  ever on two shifts at once;
- appointments for the counselor's open cases in the coming slots, and, when the day
  is far enough along, a slot this morning that was held: its session is recorded
  against it, as the case's page records it.

Rooms, future shifts and bookings go through the services, as the pages would. A
shift that has already begun cannot be put on the rota through them, so today's held
slot is written directly, then its session goes through ``cases.sessions``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from carecircle.accounts.models import Organisation, User
from carecircle.cases.models import OPEN_STATUSES, Case, Session
from carecircle.cases.sessions import session_record
from carecircle.counseling import services
from carecircle.counseling.models import Appointment, Room, Shift
from carecircle.counseling.permissions import may_keep_organisation

CENTER, GOVERNANCE = "center", "governance"
SCHOOL_ROOMS = ("huaqiao_middle", "no1_middle", "meiwan_primary", "puli_school")
HOSPITAL = "third_hospital"
MORNING, AFTERNOON = (time(9), time(12)), (time(14), time(17))
SLOT = 50


def _at(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


def _rooms(desk: User, orgs: dict[str, Organisation]) -> dict[str, Room]:
    plan = [
        (CENTER, "心理咨询室", Room.Kind.CENTER, "中心二楼 201"),
        (GOVERNANCE, "心理服务室", Room.Kind.GOVERNANCE_CENTER, "综治中心一楼东侧"),
        (HOSPITAL, "儿童青少年心理门诊咨询室", Room.Kind.HOSPITAL, "门诊楼三楼"),
        *((key, "心理辅导室", Room.Kind.SCHOOL, "") for key in SCHOOL_ROOMS),
    ]
    rooms = {}
    for key, name, kind, location in plan:
        if key in orgs:
            rooms[key] = services.room_add(
                actor=desk, name=name, kind=kind, organisation=orgs[key], location=location
            )
    # Every school has its psychological counseling room (the district counts 63), on
    # the rota list even where nobody is on duty this fortnight.
    equipped = {room.organisation_id for room in rooms.values()}
    schools = Organisation.objects.filter(kind=Organisation.Kind.SCHOOL, is_active=True)
    for school in schools.exclude(pk__in=equipped).order_by("division_id", "pk"):
        if may_keep_organisation(desk, school):
            services.room_add(
                actor=desk, name="心理辅导室", kind=Room.Kind.SCHOOL, organisation=school
            )
    return rooms


def _rota(
    desk: User, rooms: dict[str, Room], counselors: list[User], teacher: User | None
) -> list[Shift]:
    """Weekdays from tomorrow to the end of next week."""
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    shifts = []
    for offset in range(14):
        day = monday + timedelta(days=offset)
        if day <= today or day.weekday() >= 5:
            continue
        first, second = counselors if day.weekday() % 2 == 0 else counselors[::-1]
        for key, who, (start, end) in (
            (CENTER, first, MORNING),
            (GOVERNANCE, second, AFTERNOON),
            (GOVERNANCE, first, (time(18), time(20))),
        ):
            if key in rooms:
                shifts.append(
                    services.shift_add(
                        actor=desk,
                        room=rooms[key],
                        counselor=who,
                        starts_at=_at(day, start),
                        ends_at=_at(day, end),
                        slot_minutes=SLOT,
                    )
                )
        if teacher is not None and "huaqiao_middle" in rooms and day.weekday() == 2:
            shifts.append(
                services.shift_add(
                    actor=desk,
                    room=rooms["huaqiao_middle"],
                    counselor=teacher,
                    starts_at=_at(day, time(15)),
                    ends_at=_at(day, time(17)),
                    slot_minutes=SLOT,
                )
            )
    return shifts


def _held_this_morning(desk: User, room: Room, counselor: User, case: Case) -> Session | None:
    """A slot that began an hour ago, if that is still today, held with its session."""
    now = timezone.localtime()
    starts = now.replace(second=0, microsecond=0) - timedelta(minutes=SLOT + 10)
    if starts.date() != now.date() or starts < timezone.localtime(case.opened_at).replace(
        hour=0, minute=0
    ):
        return None
    shift = Shift.objects.create(
        room=room,
        counselor=counselor,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=SLOT),
        slot_minutes=SLOT,
        created_by=desk,
    )
    appointment = Appointment.objects.create(
        shift=shift,
        case=case,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=SLOT),
        booked_by=counselor,
    )
    return session_record(
        actor=counselor,
        case=case,
        kind=Session.Kind.INDIVIDUAL,
        held_at=starts,
        duration_minutes=SLOT,
        counselor=counselor,
        mode=Session.Mode.IN_PERSON,
        place=room.name,
        notes="按预约到中心面谈，孩子愿意谈近期的学习压力，约定下周继续。",
        appointment=appointment,
    )


def counseling_demo_seed(*, users: dict[str, User], orgs: dict[str, Organisation]) -> int:
    """The demo's rooms, rota and appointments; the number of rooms made."""
    desk = users["center_staff"]
    counselor = users["counselor"]
    second = users.get("counselor_2", counselor)
    rooms = _rooms(desk, orgs)
    shifts = _rota(desk, rooms, [counselor, second], users.get("school_psych_teacher"))
    cases = list(
        Case.objects.filter(
            status__in=OPEN_STATUSES, members__user=counselor, members__left_at__isnull=True
        ).order_by("pk")
    )
    if CENTER in rooms and cases:
        _held_this_morning(desk, rooms[CENTER], counselor, cases[0])
    mine = [s for s in shifts if s.counselor_id == counselor.pk]
    for case, shift in zip(cases, mine, strict=False):
        services.appointment_book(
            actor=counselor, shift=shift, case=case, starts_at=shift.starts_at
        )
    return Room.objects.count()
