"""The demo district's rooms, rota and appointments, loaded as ``make demo`` loads them."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.utils import timezone

from carecircle.accounts.models import Organisation
from carecircle.cases.models import Session
from carecircle.counseling.models import Appointment, Room, Shift
from carecircle.people import demo

pytestmark = pytest.mark.django_db


def test_the_demo_has_rooms_a_clash_free_rota_and_appointments():
    summary = demo.demo_seed(minors=demo.REGISTERED_BY_DIRECTOR + 4, seed=7)
    assert summary.rooms == Room.objects.count()
    schools = Organisation.objects.filter(kind=Organisation.Kind.SCHOOL)
    assert set(
        Room.objects.filter(kind=Room.Kind.SCHOOL).values_list("organisation", flat=True)
    ) == set(schools.values_list("pk", flat=True))
    kinds = set(Room.objects.values_list("kind", flat=True))
    assert {Room.Kind.CENTER, Room.Kind.GOVERNANCE_CENTER, Room.Kind.SCHOOL} <= kinds
    assert Room.Kind.HOSPITAL in kinds
    shifts = list(Shift.objects.filter(cancelled_at__isnull=True))
    assert shifts
    for shift in shifts:
        overlapping = Shift.objects.filter(
            Q(room=shift.room_id) | Q(counselor=shift.counselor_id),
            cancelled_at__isnull=True,
            starts_at__lt=shift.ends_at,
            ends_at__gt=shift.starts_at,
        ).exclude(pk=shift.pk)
        assert not overlapping.exists()
    booked = Appointment.objects.filter(status=Appointment.Status.BOOKED)
    assert booked.filter(starts_at__gt=timezone.now()).exists()
    held = Appointment.objects.filter(status=Appointment.Status.HELD)
    assert held.count() == Session.objects.filter(appointment__isnull=False).count()
