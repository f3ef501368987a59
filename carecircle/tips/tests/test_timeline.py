"""A tip linked to a child shows on the child's timeline to those who may read the tip."""

from __future__ import annotations

from typing import Any

import pytest

from carecircle.people.models import Minor
from carecircle.people.timeline import timeline_for
from carecircle.tips.models import Status, Tip, TipMinor
from carecircle.tips.tests.factories import tip

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


@pytest.fixture
def linked(personas: Any, minor_a: Minor) -> Tip:
    made = tip(reporter_name="举报人王某", reporter_contact="13800000000")
    TipMinor.objects.create(tip=made, minor=minor_a, linked_by=personas["center_staff"])
    return made


def _tips(viewer: Any, minor: Minor) -> list[Any]:
    return [e for e in timeline_for(viewer, minor).entries if e.kind == "tip"]


def test_the_desk_sees_number_category_and_status(
    personas: Any, minor_a: Minor, linked: Tip
) -> None:
    [entry] = _tips(personas["center_staff"], minor_a)
    assert entry.title == f"Report {linked.number}"
    assert entry.detail == "Neglect · Received"
    assert entry.at == linked.received_at
    assert "王某" not in entry.title + entry.detail
    assert entry.url.endswith(f"/tips/{linked.pk}/")


def test_a_closed_tip_shows_its_status(personas: Any, minor_a: Minor, linked: Tip) -> None:
    Tip.objects.filter(pk=linked.pk).update(status=Status.CLOSED)
    [entry] = _tips(personas["center_staff"], minor_a)
    assert entry.detail.endswith("Closed") and entry.tone == "success"


@pytest.mark.parametrize("role", ["child_director", "child_supervisor", "school_admin"])
def test_those_who_may_not_read_the_tip_see_nothing_of_it(
    personas: Any, minor_a: Minor, linked: Tip, role: str
) -> None:
    # They see the child, not the tip: it was not dispatched to them.
    assert _tips(personas[role], minor_a) == []


def test_a_handler_sees_their_tip(personas: Any, minor_a: Minor, linked: Tip) -> None:
    assert _tips(personas["child_supervisor"], minor_a) == []
    Tip.objects.filter(pk=linked.pk).update(handler=personas["social_worker"])
    assert len(_tips(personas["social_worker"], minor_a)) == 1


def test_older_pages_stop_before_the_cursor(personas: Any, minor_a: Minor, linked: Tip) -> None:
    page = timeline_for(personas["center_staff"], minor_a, before=linked.received_at)
    assert [e for e in page.entries if e.kind == "tip"] == []
