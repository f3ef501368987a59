"""``counseling.rooms`` (个): rooms in use by the period's end, by area and organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from carecircle.counseling import services
from carecircle.counseling.indicators import rooms_in_use
from carecircle.counseling.models import Room
from carecircle.stats.registry import REGISTRY, Scope, Unit

pytestmark = pytest.mark.django_db


def _scope(prefixes: tuple[str, ...], **filters: str) -> Scope:
    today = timezone.localdate()
    return Scope(
        start=today - timedelta(days=30),
        end=today,
        prefixes=prefixes,
        filters=tuple(sorted(filters.items())),
    )


def test_rooms_in_use_by_area_and_organisation(personas, district):
    desk = personas["center_staff"]
    school_a, school_b = district["orgs"]["school_A"], district["orgs"]["school_B"]
    first = services.room_add(actor=desk, name="一号室", kind="school", organisation=school_a)
    services.room_add(actor=desk, name="二号室", kind="school", organisation=school_a)
    services.room_add(actor=desk, name="三号室", kind="school", organisation=school_b)
    services.room_update(actor=desk, room=first, name=first.name, kind=first.kind, is_active=False)
    assert rooms_in_use(_scope(("431103",))) == 2
    assert rooms_in_use(_scope(("431103101",))) == 1
    assert rooms_in_use(_scope(("431102",))) == 0
    assert rooms_in_use(_scope(())) == 0
    assert rooms_in_use(_scope(("431103",), counseling_organisation=str(school_b.pk))) == 1
    assert rooms_in_use(_scope(("431103",), counseling_organisation="x")) == 0


def test_a_room_opened_after_the_period_is_not_counted(personas, district):
    services.room_add(
        actor=personas["center_staff"],
        name="一号室",
        kind="school",
        organisation=district["orgs"]["school_A"],
    )
    Room.objects.update(created_at=timezone.now() + timedelta(days=2))
    assert rooms_in_use(_scope(("431103",))) == 0


def test_the_indicator_is_registered_in_units_with_a_definition():
    ind = REGISTRY["counseling.rooms"]
    assert ind.unit == Unit.UNITS
    assert str(ind.definition)
    assert "counseling_organisation" in ind.filters
