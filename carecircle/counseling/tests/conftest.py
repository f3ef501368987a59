"""Fixtures of the counseling tests: a room at school A, side A's counselor's case,
and shifts tomorrow morning."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from carecircle.cases import services as case_services
from carecircle.cases.models import Case, Kind, Risk, Source
from carecircle.counseling import services
from carecircle.counseling.models import Room, Shift
from carecircle.people.models import Minor


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@pytest.fixture
def room(personas: dict[str, Any], district: dict[str, Any]) -> Room:
    return services.room_add(
        actor=personas["center_staff"],
        name="心理辅导室",
        kind=Room.Kind.SCHOOL,
        organisation=district["orgs"]["school_A"],
    )


@pytest.fixture
def other_room(personas: dict[str, Any], district: dict[str, Any]) -> Room:
    return services.room_add(
        actor=personas["center_staff"],
        name="心理辅导室",
        kind=Room.Kind.SCHOOL,
        organisation=district["orgs"]["school_B"],
    )


@pytest.fixture
def case(personas: dict[str, Any], minor_a: Minor) -> Case:
    return case_services.case_open(
        actor=personas["counselor"],
        minor=minor_a,
        kind=Kind.COUNSELING,
        source=Source.WALK_IN,
        summary="孩子近期情绪低落，需要辅导。",
        risk=Risk.YELLOW,
    )


@pytest.fixture
def shift(personas: dict[str, Any], room: Room) -> Shift:
    """Tomorrow 09:00–12:00, three 50-minute slots (09:00, 09:50, 10:40)."""
    return services.shift_add(
        actor=personas["center_staff"],
        room=room,
        counselor=personas["counselor"],
        starts_at=tomorrow_at(9),
        ends_at=tomorrow_at(12),
        slot_minutes=50,
    )


def running_shift(room: Room, counselor: Any, creator: Any) -> Shift:
    """A shift that began 5 minutes ago (the services only put future shifts on the
    rota, so it is written directly, as one that was put there yesterday)."""
    began = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=5)
    return Shift.objects.create(
        room=room,
        counselor=counselor,
        starts_at=began,
        ends_at=began + timedelta(hours=3),
        slot_minutes=50,
        created_by=creator,
    )
