"""Visits on each visited child's timeline, as the viewer may see them; visits follow a merge."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from carecircle.accounts.models import User
from carecircle.people.dedupe import minor_merge
from carecircle.people.timeline import timeline_for
from carecircle.visits.models import VisitMinor
from carecircle.visits.tests.factories import HouseholdFactory, MinorFactory, seen_on, visit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Titles are compared with their msgids."""


def visit_entries(viewer: User, minor: Any) -> list[Any]:
    return [e for e in timeline_for(viewer, minor).entries if e.source == "visits.visits"]


def test_each_child_seen_gets_the_visit_on_their_timeline(
    district: Any, personas: dict[str, User]
) -> None:
    home = HouseholdFactory.create()
    elder, younger = (
        MinorFactory.create(household=home),
        MinorFactory.create(household=home, young=True),
    )
    made = visit(date(2026, 5, 1), elder, recorded_by=personas["child_director"])
    seen_on(made, younger, flags=("under_8_unattended",))
    made.follow_up_needed = True
    made.notes = "不应出现在时间线上"
    made.save()
    supervisor = personas["child_supervisor"]
    [for_elder] = visit_entries(supervisor, elder)
    [for_younger] = visit_entries(supervisor, younger)
    assert for_elder.title == "Home visit" and for_elder.at == made.occurred_at
    assert for_elder.detail == "by child_director_a · Follow-up needed"
    assert for_younger.detail == (
        "by child_director_a · Risks: Child under 8 left unattended · Follow-up needed"
    )
    assert for_younger.tone == "danger" and for_elder.tone == "warning"
    assert "时间线" not in for_elder.detail


def test_a_visit_read_at_the_township_is_not_on_a_village_directors_timeline(
    district: Any, personas: dict[str, User]
) -> None:
    child = MinorFactory.create()
    visit(date(2026, 5, 1), child, area_code="431103101")  # a talk spanning two villages
    assert visit_entries(personas["child_supervisor"], child)
    assert not visit_entries(personas["child_director"], child)


def test_a_merge_moves_the_duplicates_visits_to_the_survivor(
    district: Any, personas: dict[str, User]
) -> None:
    survivor, duplicate = MinorFactory.create(name="郑一"), MinorFactory.create(name="郑一")
    both = visit(date(2026, 5, 1), survivor, duplicate, kind="school")
    only = visit(date(2026, 5, 2), duplicate)
    minor_merge(
        actor=personas["child_director"],
        survivor=survivor,
        duplicate=duplicate,
        reason="同一个孩子的两条记录",
    )
    assert list(VisitMinor.objects.filter(visit=both).values_list("minor_id", flat=True)) == [
        survivor.pk
    ]
    assert VisitMinor.objects.get(visit=only).minor_id == survivor.pk
