"""Rooms, rota shifts and appointments: the rules of ``counseling.services``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecircle.audit.models import AuditEvent
from carecircle.cases import services as case_services
from carecircle.cases.models import Case
from carecircle.counseling import services
from carecircle.counseling.models import Appointment, Room, Shift
from carecircle.counseling.tests.conftest import running_shift, tomorrow_at
from carecircle.testing.fixtures import grant, make_user

pytestmark = pytest.mark.django_db


def _shift(actor: Any, room: Room, counselor: Any, start: int, end: int, **kw: Any) -> Shift:
    return services.shift_add(
        actor=actor,
        room=room,
        counselor=counselor,
        starts_at=tomorrow_at(start),
        ends_at=tomorrow_at(end),
        **kw,
    )


def _messages(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


# Rooms -----------------------------------------------------------------------------


def test_a_room_takes_its_organisations_division_and_is_audited(personas, district):
    school = district["orgs"]["school_A"]
    room = services.room_add(
        actor=personas["school_psych_teacher"], name="阳光小屋", kind="school", organisation=school
    )
    assert room.area_code == school.division_id
    assert AuditEvent.objects.filter(
        object_type="counseling.room", object_id=str(room.pk), action=AuditEvent.Action.CREATE
    ).exists()


def test_a_room_is_added_only_at_an_organisation_one_keeps(personas, other_personas, district):
    school_b = district["orgs"]["school_B"]
    for actor in (
        personas["school_psych_teacher"],
        personas["counselor"],
        other_personas["center_staff"],
    ):
        with pytest.raises(PermissionDenied):
            services.room_add(actor=actor, name="x", kind="school", organisation=school_b)
    assert not Room.objects.exists()


def test_two_rooms_of_one_organisation_have_two_names(personas, room):
    with pytest.raises(ValidationError) as exc:
        services.room_add(
            actor=personas["center_staff"],
            name=room.name,
            kind="school",
            organisation=room.organisation,
        )
    assert "name" in exc.value.message_dict
    assert Room.objects.count() == 1


def test_a_room_with_bookings_to_come_stays_in_use(personas, room, shift, case):
    services.appointment_book(
        actor=personas["counselor"], shift=shift, case=case, starts_at=shift.starts_at
    )
    with pytest.raises(ValidationError):
        services.room_update(
            actor=personas["center_staff"],
            room=room,
            name=room.name,
            kind=room.kind,
            is_active=False,
        )
    room.refresh_from_db()
    assert room.is_active


# Shifts ----------------------------------------------------------------------------


def test_a_shift_is_audited_and_cut_into_whole_slots(personas, shift):
    assert [timezone.localtime(s).strftime("%H:%M") for s in services.slot_starts(shift)] == [
        "09:00",
        "09:50",
        "10:40",
    ]
    assert AuditEvent.objects.filter(
        object_type="counseling.shift", object_id=str(shift.pk)
    ).exists()


def test_two_shifts_never_overlap_in_one_room(personas, room, shift, english):
    other = personas["school_psych_teacher"]
    with pytest.raises(ValidationError) as exc:
        _shift(personas["center_staff"], room, other, 11, 13)
    assert "already has" in _messages(exc)
    assert personas["counselor"].display_name in _messages(exc)
    assert Shift.objects.count() == 1


def test_a_counselor_is_never_on_two_overlapping_shifts(personas, shift, other_room, english):
    with pytest.raises(ValidationError) as exc:
        _shift(personas["center_staff"], other_room, personas["counselor"], 8, 10)
    assert "counselor" in exc.value.message_dict
    assert other_room.name in _messages(exc) or "already on duty" in _messages(exc)
    assert Shift.objects.count() == 1


def test_back_to_back_shifts_and_cancelled_ones_do_not_clash(personas, room, shift):
    desk = personas["center_staff"]
    _shift(desk, room, personas["school_psych_teacher"], 12, 14)
    services.shift_cancel(actor=desk, shift=shift, reason="培训")
    again = _shift(desk, room, personas["counselor"], 9, 12)
    assert again.pk != shift.pk


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": timezone.now() - timedelta(hours=1)}, "starts_at"),
        ({"ends_at": tomorrow_at(8)}, "ends_at"),
        ({"ends_at": tomorrow_at(23)}, "ends_at"),
        ({"slot_minutes": 5}, "slot_minutes"),
        ({"ends_at": tomorrow_at(9, 30)}, "slot_minutes"),
    ],
)
def test_a_shift_needs_a_sound_time(personas, room, change, field):
    data = {
        "starts_at": tomorrow_at(9),
        "ends_at": tomorrow_at(12),
        "slot_minutes": 50,
        "counselor": personas["counselor"],
    } | change
    with pytest.raises(ValidationError) as exc:
        services.shift_add(actor=personas["center_staff"], room=room, **data)
    assert field in exc.value.message_dict
    assert not Shift.objects.exists()


def test_only_an_eligible_counselor_goes_on_the_rota(personas, other_personas, room):
    for who in (
        other_personas["counselor"],
        personas["volunteer"],
        other_personas["school_psych_teacher"],
    ):
        with pytest.raises(ValidationError) as exc:
            _shift(personas["center_staff"], room, who, 9, 12)
        assert "counselor" in exc.value.message_dict


def test_only_a_keeper_puts_shifts_on_the_rota(personas, other_personas, room):
    for actor in (
        personas["counselor"],
        other_personas["center_staff"],
        other_personas["school_admin"],
    ):
        with pytest.raises(PermissionDenied):
            _shift(actor, room, personas["counselor"], 9, 12)
    assert not Shift.objects.exists()


def test_cancelling_a_booked_shift_needs_the_appointments_cancelled_with_it(personas, shift, case):
    desk = personas["center_staff"]
    booked = services.appointment_book(
        actor=personas["counselor"], shift=shift, case=case, starts_at=shift.starts_at
    )
    with pytest.raises(ValidationError) as exc:
        services.shift_cancel(actor=desk, shift=shift, reason="培训")
    assert "cancel_appointments" in exc.value.message_dict
    shift.refresh_from_db()
    assert shift.cancelled_at is None
    services.shift_cancel(actor=desk, shift=shift, reason="培训", cancel_appointments=True)
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CANCELLED
    assert booked.cancel_reason == "培训"
    with pytest.raises(ValidationError):
        services.shift_cancel(actor=desk, shift=shift, reason="again")


def test_a_shift_that_has_begun_is_not_cancelled(personas, room):
    running = running_shift(room, personas["counselor"], personas["center_staff"])
    with pytest.raises(ValidationError):
        services.shift_cancel(actor=personas["center_staff"], shift=running, reason="x")


def test_cancelling_needs_a_reason(personas, shift):
    with pytest.raises(ValidationError) as exc:
        services.shift_cancel(actor=personas["center_staff"], shift=shift, reason="  ")
    assert "reason" in exc.value.message_dict


# Appointments ----------------------------------------------------------------------


def test_a_slot_is_booked_for_a_case_and_audited_with_the_child(personas, shift, case):
    second = shift.starts_at + timedelta(minutes=50)
    appointment = services.appointment_book(
        actor=personas["counselor"], shift=shift, case=case, starts_at=second
    )
    assert appointment.ends_at == second + timedelta(minutes=50)
    assert appointment.status == Appointment.Status.BOOKED
    audit = AuditEvent.objects.get(
        object_type="counseling.appointment", object_id=str(appointment.pk)
    )
    assert audit.minor_id == case.minor_id


def test_a_slot_is_never_booked_twice(personas, shift, case, minor_b):
    desk = personas["center_staff"]
    services.appointment_book(actor=desk, shift=shift, case=case, starts_at=shift.starts_at)
    other = case_services.case_open(
        actor=desk,
        minor=minor_b,
        kind="counseling",
        source="walk_in",
        summary="孩子与同学发生冲突，需要辅导。",
        risk="green",
    )
    with pytest.raises(ValidationError) as exc:
        services.appointment_book(actor=desk, shift=shift, case=other, starts_at=shift.starts_at)
    assert "starts_at" in exc.value.message_dict
    assert Appointment.objects.count() == 1


def test_a_racing_double_booking_is_refused_by_the_constraint(
    personas, shift, case, minor_b, monkeypatch, english
):
    desk = personas["center_staff"]
    services.appointment_book(actor=desk, shift=shift, case=case, starts_at=shift.starts_at)
    other = case_services.case_open(
        actor=desk,
        minor=minor_b,
        kind="counseling",
        source="walk_in",
        summary="孩子与同学发生冲突，需要辅导。",
        risk="green",
    )
    # The other request checked before this one's row was written: it saw a free slot.
    monkeypatch.setattr(services, "slot_taken", lambda shift, starts_at: False)
    with pytest.raises(ValidationError) as exc:
        services.appointment_book(actor=desk, shift=shift, case=other, starts_at=shift.starts_at)
    assert "just taken" in _messages(exc)
    assert Appointment.objects.count() == 1


def test_a_cancelled_booking_frees_its_slot(personas, shift, case):
    counselor = personas["counselor"]
    first = services.appointment_book(
        actor=counselor, shift=shift, case=case, starts_at=shift.starts_at
    )
    services.appointment_cancel(actor=counselor, appointment=first, reason="家长有事")
    again = services.appointment_book(
        actor=counselor, shift=shift, case=case, starts_at=shift.starts_at
    )
    assert again.pk != first.pk


def test_a_case_has_one_live_appointment_at_a_time(personas, shift, other_room, case, english):
    desk = personas["center_staff"]
    services.appointment_book(actor=desk, shift=shift, case=case, starts_at=shift.starts_at)
    colleague = make_user("colleague")
    grant(colleague, "counselor", prefix="431103")
    elsewhere = services.shift_add(
        actor=desk,
        room=other_room,
        counselor=colleague,
        starts_at=tomorrow_at(9, 30),
        ends_at=tomorrow_at(11, 10),
    )
    with pytest.raises(ValidationError) as exc:
        services.appointment_book(
            actor=desk, shift=elsewhere, case=case, starts_at=elsewhere.starts_at
        )
    assert "case" in exc.value.message_dict
    assert Appointment.objects.count() == 1


def test_a_slot_is_on_the_grid(personas, shift, case, english):
    with pytest.raises(ValidationError) as exc:
        services.appointment_book(
            actor=personas["counselor"],
            shift=shift,
            case=case,
            starts_at=shift.starts_at + timedelta(minutes=20),
        )
    assert "slots" in _messages(exc)
    # 11:30 would end at 12:20, after the shift.
    with pytest.raises(ValidationError):
        services.appointment_book(
            actor=personas["counselor"], shift=shift, case=case, starts_at=tomorrow_at(11, 30)
        )
    assert not Appointment.objects.exists()


def test_a_slot_that_is_over_is_not_booked_but_the_running_one_is(personas, room, case):
    counselor = personas["counselor"]
    running = running_shift(room, counselor, personas["center_staff"])
    Shift.objects.filter(pk=running.pk).update(starts_at=running.starts_at - timedelta(minutes=100))
    running.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.appointment_book(
            actor=counselor, shift=running, case=case, starts_at=running.starts_at
        )
    assert "starts_at" in exc.value.message_dict
    now = services.slot_starts(running)[2]
    assert now <= timezone.now() < now + timedelta(minutes=50)
    services.appointment_book(actor=counselor, shift=running, case=case, starts_at=now)


def test_a_cancelled_shift_takes_no_booking(personas, shift, case):
    services.shift_cancel(actor=personas["center_staff"], shift=shift, reason="培训")
    with pytest.raises(ValidationError):
        services.appointment_book(
            actor=personas["counselor"], shift=shift, case=case, starts_at=shift.starts_at
        )
    assert not Appointment.objects.exists()


def test_only_the_cases_workers_book_and_only_open_cases(personas, shift, case):
    for actor in (personas["school_psych_teacher"], personas["social_worker"]):
        with pytest.raises(PermissionDenied):
            services.appointment_book(
                actor=actor, shift=shift, case=case, starts_at=shift.starts_at
            )
    Case.objects.filter(pk=case.pk).update(status="closed")
    with pytest.raises(ValidationError):
        services.appointment_book(
            actor=personas["counselor"], shift=shift, case=case, starts_at=shift.starts_at
        )
    assert not Appointment.objects.exists()


def test_cancel_needs_a_reason_and_a_booked_appointment(personas, shift, case):
    counselor = personas["counselor"]
    booked = services.appointment_book(
        actor=counselor, shift=shift, case=case, starts_at=shift.starts_at
    )
    with pytest.raises(ValidationError):
        services.appointment_cancel(actor=counselor, appointment=booked, reason="")
    with pytest.raises(PermissionDenied):
        services.appointment_cancel(actor=personas["social_worker"], appointment=booked, reason="x")
    services.appointment_cancel(actor=personas["school_admin"], appointment=booked, reason="停课")
    with pytest.raises(ValidationError):
        services.appointment_cancel(actor=counselor, appointment=booked, reason="again")


def test_no_show_only_once_the_slot_has_begun(personas, room, shift, case):
    counselor = personas["counselor"]
    later = services.appointment_book(
        actor=counselor, shift=shift, case=case, starts_at=shift.starts_at
    )
    with pytest.raises(ValidationError):
        services.appointment_no_show(actor=counselor, appointment=later)
    services.appointment_cancel(actor=counselor, appointment=later, reason="改约")
    running = running_shift(room, personas["school_psych_teacher"], personas["center_staff"])
    now = services.appointment_book(
        actor=counselor, shift=running, case=case, starts_at=running.starts_at
    )
    services.appointment_no_show(actor=counselor, appointment=now)
    now.refresh_from_db()
    assert now.status == Appointment.Status.NO_SHOW
