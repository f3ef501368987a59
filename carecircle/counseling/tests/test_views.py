"""The counseling pages: their refusals, the rota week, booking from a slot, and the
session recorded from an appointment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from carecircle.audit.models import AuditEvent
from carecircle.cases.models import Session
from carecircle.counseling import services
from carecircle.counseling.models import Appointment, Room, Shift
from carecircle.counseling.tests.conftest import running_shift, tomorrow_at

pytestmark = pytest.mark.django_db


def _slot(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _week(room: Room, day: Any = None) -> str:
    url = reverse("counseling:room-week", args=[room.pk])
    return f"{url}?start={(day or timezone.localdate()).isoformat()}"


def _denials(kind: str) -> int:
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.DENIED, object_type=f"counseling.{kind}"
    ).count()


# Refusals --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["volunteer", "social_worker", "auditor", "hospital_clinician"])
def test_roles_that_reach_no_room_get_403_everywhere(personas, client_for, room, shift, role):
    client = client_for(personas[role])
    for url in (
        reverse("counseling:room-list"),
        reverse("counseling:mine"),
        reverse("counseling:room-week", args=[room.pk]),
        reverse("counseling:book", args=[shift.pk]),
    ):
        assert client.get(url).status_code == 403


def test_a_room_out_of_scope_is_404_and_recorded(other_personas, client_for, room, shift):
    for role in ("counselor", "center_staff"):
        client = client_for(other_personas[role])
        assert client.get(reverse("counseling:room-week", args=[room.pk])).status_code == 404
    assert _denials("room") == 2
    client = client_for(other_personas["center_staff"])
    assert client.get(reverse("counseling:book", args=[shift.pk])).status_code in (403, 404)
    assert client.get(reverse("counseling:shift-cancel", args=[shift.pk])).status_code == 404
    assert _denials("shift") == 1


def test_a_counselor_sees_the_room_but_does_not_keep_it(personas, client_for, room, shift):
    client = client_for(personas["counselor"])
    assert client.get(_week(room)).status_code == 200
    assert client.get(reverse("counseling:room-edit", args=[room.pk])).status_code == 403
    assert client.get(reverse("counseling:shift-add", args=[room.pk])).status_code == 403
    response = client.post(reverse("counseling:shift-cancel", args=[shift.pk]), {"reason": "x"})
    assert response.status_code == 403
    shift.refresh_from_db()
    assert shift.cancelled_at is None


def test_a_school_keeps_its_own_rooms_only(personas, client_for, room, other_room):
    client = client_for(personas["school_admin"])
    assert client.get(reverse("counseling:room-edit", args=[room.pk])).status_code == 200
    assert client.get(reverse("counseling:room-edit", args=[other_room.pk])).status_code == 404
    page = client.get(reverse("counseling:room-list")).content.decode()
    assert reverse("counseling:room-week", args=[room.pk]) in page
    assert reverse("counseling:room-week", args=[other_room.pk]) not in page


def test_booking_needs_an_open_case_one_works_on(personas, client_for, shift):
    client = client_for(personas["school_psych_teacher"])
    assert client.get(reverse("counseling:book", args=[shift.pk])).status_code == 403


# Rooms and shifts ------------------------------------------------------------------


def test_a_keeper_adds_a_room_and_a_bad_form_changes_nothing(personas, client_for, district):
    client = client_for(personas["school_psych_teacher"])
    url = reverse("counseling:room-add")
    school = district["orgs"]["school_A"]
    bad = client.post(url, {"name": "", "kind": "school", "organisation": school.pk})
    assert bad.status_code == 400
    elsewhere = client.post(
        url, {"name": "x", "kind": "school", "organisation": district["orgs"]["school_B"].pk}
    )
    assert elsewhere.status_code == 400
    assert not Room.objects.exists()
    response = client.post(url, {"name": "阳光小屋", "kind": "school", "organisation": school.pk})
    assert response.status_code == 302
    assert Room.objects.get().area_code == school.division_id


def test_a_clashing_shift_is_shown_again_with_the_clash(personas, client_for, room, shift, english):
    client = client_for(personas["center_staff"])
    response = client.post(
        reverse("counseling:shift-add", args=[room.pk]),
        {
            "counselor": personas["school_psych_teacher"].pk,
            "starts_at": _slot(tomorrow_at(10)),
            "ends_at": _slot(tomorrow_at(12)),
            "slot_minutes": "50",
        },
    )
    assert response.status_code == 400
    assert "cannot overlap" in response.content.decode()
    assert Shift.objects.count() == 1


def test_a_shift_is_added_and_cancelled_through_the_pages(personas, client_for, room):
    client = client_for(personas["center_staff"])
    response = client.post(
        reverse("counseling:shift-add", args=[room.pk]),
        {
            "counselor": personas["counselor"].pk,
            "starts_at": _slot(tomorrow_at(14)),
            "ends_at": _slot(tomorrow_at(16)),
            "slot_minutes": "40",
        },
    )
    assert response.status_code == 302
    shift = Shift.objects.get()
    assert shift.slot_minutes == 40
    url = reverse("counseling:shift-cancel", args=[shift.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "外出培训"}).status_code == 302
    shift.refresh_from_db()
    assert shift.cancelled_at is not None


# The rota week ---------------------------------------------------------------------


def test_the_week_shows_seven_days_and_the_slots_free_or_booked(
    personas, client_for, room, shift, case
):
    services.appointment_book(
        actor=personas["counselor"], shift=shift, case=case, starts_at=shift.starts_at
    )
    day = timezone.localdate(shift.starts_at)
    counselor_page = client_for(personas["counselor"]).get(_week(room, day)).content.decode()
    assert counselor_page.count('data-testid="rota-day"') == 7
    assert counselor_page.count('data-testid="slot-free"') == 2
    assert counselor_page.count('data-testid="slot-booked"') == 1
    assert case.number in counselor_page
    assert case.minor.name not in counselor_page
    free = f'id="slot-{shift.pk}-0950"'
    assert free in counselor_page
    # The school sees the room but not the case: "booked", no number, no name.
    teacher_page = client_for(personas["school_psych_teacher"]).get(_week(room, day))
    text = teacher_page.content.decode()
    assert teacher_page.status_code == 200
    assert case.number not in text
    assert case.minor.name not in text
    assert 'data-testid="slot-free"' not in text  # on no case, so nothing to book for


def test_the_week_starts_on_monday_and_survives_a_bad_date(personas, client_for, room):
    client = client_for(personas["counselor"])
    response = client.get(reverse("counseling:room-week", args=[room.pk]) + "?start=2026-13-45")
    assert response.status_code == 200
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    assert monday.isoformat() in response.content.decode()


# Booking and the session -----------------------------------------------------------


def test_a_counselor_books_a_free_slot_from_the_rota(personas, client_for, room, shift, case):
    client = client_for(personas["counselor"])
    url = reverse("counseling:book", args=[shift.pk])
    at = _slot(shift.starts_at + timedelta(minutes=50))
    page = client.get(f"{url}?at={at}")
    assert page.status_code == 200
    assert case.number in page.content.decode()
    assert client.post(url, {"starts_at": "2000-01-01T09:00", "case": case.pk}).status_code == 400
    response = client.post(url, {"starts_at": at, "case": case.pk})
    assert response.status_code == 302
    assert Appointment.objects.get().starts_at == shift.starts_at + timedelta(minutes=50)
    # The slot is gone from the form: a second booking of it is refused.
    again = client.post(url, {"starts_at": at, "case": case.pk})
    assert again.status_code == 400
    assert Appointment.objects.count() == 1


def test_the_session_is_recorded_from_the_appointment(personas, client_for, room, case):
    counselor = personas["counselor"]
    running = running_shift(room, counselor, personas["center_staff"])
    appointment = services.appointment_book(
        actor=counselor, shift=running, case=case, starts_at=running.starts_at
    )
    client = client_for(counselor)
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    link = reverse("counseling:appointment-session", args=[appointment.pk])
    assert link in detail
    assert f'id="record-session-{appointment.pk}"' in detail
    form = client.get(link)
    assert form.status_code == 200
    text = form.content.decode()
    assert reverse("cases:session", args=[case.pk]) in text
    assert f'value="{appointment.pk}" selected' in text
    response = client.post(
        reverse("cases:session", args=[case.pk]),
        {
            "kind": "individual",
            "held_at": _slot(appointment.starts_at),
            "duration_minutes": "50",
            "counselor": counselor.pk,
            "mode": "in_person",
            "room": room.pk,
            "appointment": appointment.pk,
            "notes": "按预约面谈",
        },
    )
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.appointment == appointment
    assert session.room == room
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.HELD


def test_only_the_team_opens_the_session_form_of_an_appointment(personas, client_for, room, case):
    counselor = personas["counselor"]
    running = running_shift(room, counselor, personas["center_staff"])
    appointment = services.appointment_book(
        actor=counselor, shift=running, case=case, starts_at=running.starts_at
    )
    url = reverse("counseling:appointment-session", args=[appointment.pk])
    for role in ("center_staff", "school_psych_teacher"):
        assert client_for(personas[role]).get(url).status_code == 403


def test_cancel_and_no_show_through_the_pages(personas, client_for, room, shift, case):
    counselor = personas["counselor"]
    client = client_for(counselor)
    later = services.appointment_book(
        actor=counselor, shift=shift, case=case, starts_at=shift.starts_at
    )
    no_show = reverse("counseling:appointment-no-show", args=[later.pk])
    assert client.post(no_show).status_code == 400
    cancel = reverse("counseling:appointment-cancel", args=[later.pk])
    assert client.get(cancel).status_code == 405
    assert client.post(cancel, {"reason": ""}).status_code == 400
    assert client.post(cancel, {"reason": "家长有事"}).status_code == 302
    later.refresh_from_db()
    assert later.status == Appointment.Status.CANCELLED
    outsider = client_for(personas["social_worker"])
    assert outsider.post(cancel, {"reason": "x"}).status_code == 403


def test_my_appointments_lists_my_shifts_and_bookings(personas, client_for, room, shift, case):
    counselor = personas["counselor"]
    services.appointment_book(actor=counselor, shift=shift, case=case, starts_at=shift.starts_at)
    page = client_for(counselor).get(reverse("counseling:mine")).content.decode()
    assert page.count('data-testid="my-appointment"') == 1
    assert case.number in page
    assert case.minor.name not in page
