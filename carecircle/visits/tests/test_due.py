"""Each child's interval, last visit, next due day and overdue flag; the lists and coverage."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation, User
from carecircle.people.models import Minor
from carecircle.screening.models import Campaign, KeyTarget, Participant, Response
from carecircle.testing.fixtures import AREA_A, AREA_B
from carecircle.visits.due import (
    TOWNSHIP,
    VILLAGE,
    coverage,
    due_this_week,
    my_children,
    overdue,
    with_due,
)
from carecircle.visits.rules import visit_rules_create
from carecircle.visits.tests.factories import MinorFactory, in_category, registered_on, visit

pytestmark = pytest.mark.django_db
ON = date(2026, 6, 15)


def due(minor: Minor, on: date = ON) -> dict[str, Any]:
    return (
        with_due(Minor.objects.filter(pk=minor.pk), on=on)
        .values("visit_interval", "last_visited_on", "next_due_on", "is_overdue")
        .get()
    )


def child(name: str, *categories: str, area: str = AREA_A, since: date = date(2026, 1, 1)) -> Minor:
    made = registered_on(MinorFactory.create(name=name, area_code=area), since)
    for category in categories:
        in_category(made, category)
    return made


def screened(minor: Minor, level: str, when: date, school: Organisation, by: User) -> None:
    at = timezone.make_aware(datetime.combine(when, time(9)))
    campaign = Campaign.objects.create(
        name=f"c-{minor.pk}-{when}",
        school=school,
        opens_at=at,
        closes_at=at + timedelta(days=7),
        basis=Campaign.Basis.STATUTORY,
        statutory_basis="test",
        created_by=by,
    )
    participant = Participant.objects.create(
        campaign=campaign, minor=minor, code="X", code_digest=f"d-{minor.pk}-{when}"
    )
    Response.objects.create(
        participant=participant, code="PHQ9", version=1, submitted_at=at, triage=level
    )


def test_a_visited_orphan_is_due_a_month_after_the_visit(district: Any) -> None:
    orphan = child("孤", "orphan")
    visit(date(2026, 5, 1), orphan)
    visit(date(2026, 4, 1), orphan)
    assert due(orphan) == {
        "visit_interval": 30,
        "last_visited_on": date(2026, 5, 1),
        "next_due_on": date(2026, 5, 31),
        "is_overdue": True,
    }


def test_the_shortest_interval_of_the_childs_rules_wins(district: Any) -> None:
    left = child("留", "rural_left_behind")
    both = child("双", "rural_left_behind", "de_facto_unsupported")
    for minor in (left, both):
        visit(date(2026, 5, 1), minor)
    assert due(left)["next_due_on"] == date(2026, 7, 30)
    assert not due(left)["is_overdue"]
    assert due(both)["visit_interval"] == 30


def test_a_child_under_no_rule_has_no_due_day(district: Any) -> None:
    plain = child("普", "migrant")
    visit(date(2026, 5, 1), plain)
    assert due(plain) == {
        "visit_interval": None,
        "last_visited_on": date(2026, 5, 1),
        "next_due_on": None,
        "is_overdue": False,
    }


def test_a_child_never_visited_is_due_one_interval_after_registration(district: Any) -> None:
    new = child("新", "in_difficulty", since=date(2026, 6, 1))
    assert due(new)["next_due_on"] == date(2026, 8, 30)
    old = child("旧", "orphan", since=date(2025, 1, 1))
    assert due(old)["next_due_on"] == date(2025, 1, 31)
    assert due(old)["is_overdue"]


def test_the_due_day_is_computed_as_of_the_day_asked(district: Any) -> None:
    orphan = child("孤", "orphan")
    visit(date(2026, 5, 1), orphan)
    visit(date(2026, 6, 20), orphan)  # after ON: not yet known on ON
    assert due(orphan)["last_visited_on"] == date(2026, 5, 1)
    assert due(orphan, on=date(2026, 6, 21))["next_due_on"] == date(2026, 7, 20)


def test_a_membership_ended_before_the_day_no_longer_applies(district: Any) -> None:
    ended = registered_on(MinorFactory.create(name="止"), date(2026, 1, 1))
    in_category(ended, "orphan", valid_to=date(2026, 6, 14))
    in_category(ended, "in_difficulty")
    assert due(ended)["visit_interval"] == 90
    assert due(ended, on=date(2026, 6, 14))["visit_interval"] == 30


def test_key_targets_and_recent_red_or_yellow_results_are_visited_monthly(
    district: Any, personas: dict[str, User]
) -> None:
    school, counselor = district["orgs"]["school_A"], personas["counselor"]
    target = child("重")
    KeyTarget.objects.create(
        minor=target,
        reasons=["test"],
        confirmed_by=counselor,
        confirmed_at=timezone.make_aware(datetime(2026, 3, 1, 9)),
    )
    red, yellow, old_red, green = child("红"), child("黄"), child("旧红"), child("绿")
    screened(red, Response.Triage.RED_CRITICAL, date(2026, 3, 1), school, counselor)
    screened(yellow, Response.Triage.YELLOW, date(2026, 5, 1), school, counselor)
    screened(old_red, Response.Triage.RED, date(2025, 11, 1), school, counselor)  # > 180 days
    screened(green, Response.Triage.GREEN, date(2026, 5, 1), school, counselor)
    intervals = {m.name: due(m)["visit_interval"] for m in (target, red, yellow, old_red, green)}
    assert intervals == {"重": 30, "红": 30, "黄": 30, "旧红": None, "绿": None}
    KeyTarget.objects.update(ended_at=timezone.make_aware(datetime(2026, 6, 1, 9)))
    assert due(target)["visit_interval"] is None


def test_a_deployments_own_rules_replace_the_defaults(
    district: Any, personas: dict[str, User]
) -> None:
    migrant = child("流", "migrant")
    orphan = child("孤", "orphan")
    visit_rules_create(actor=personas["district_admin"], intervals={"migrant": 60})
    assert due(migrant)["visit_interval"] == 60
    assert due(orphan)["visit_interval"] is None


@pytest.fixture
def village(district: Any) -> dict[str, Minor]:
    """Village A: one child overdue, one due in three days, one due in a month, one under
    no rule; one child moved away; and village B's overdue child."""
    kids = {
        "late": child("迟", "orphan"),
        "soon": child("近", "orphan"),
        "later": child("远", "rural_left_behind"),
        "none": child("无"),
        "gone": child("走", "orphan"),
        "b": child("乙", "orphan", area=AREA_B),
    }
    visit(date(2026, 4, 1), kids["late"])
    visit(date(2026, 5, 19), kids["soon"])  # due 06-18
    visit(date(2026, 4, 16), kids["later"])  # due 07-15
    Minor.objects.filter(pk=kids["gone"].pk).update(status=Minor.Status.MOVED_AWAY)
    visit(date(2026, 4, 1), kids["b"])
    return kids


def names(queryset: Any) -> list[str]:
    return [m.name for m in queryset]


def test_a_director_sees_their_villages_children_soonest_due_first(
    village: dict[str, Minor], personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    director = personas["child_director"]
    assert names(my_children(director, on=ON)) == ["迟", "近", "远", "无"]
    assert names(overdue(director, on=ON)) == ["迟"]
    assert names(due_this_week(director, on=ON)) == ["近"]
    assert names(overdue(other_personas["child_director"], on=ON)) == ["乙"]
    first = my_children(director, on=ON).first()
    assert first is not None and first.is_overdue and first.next_due_on == date(2026, 5, 1)


@pytest.mark.parametrize("role", ["school_admin", "volunteer", "analyst"])
def test_roles_without_a_village_follow_no_child(
    village: dict[str, Minor], personas: dict[str, User], role: str
) -> None:
    assert not my_children(personas[role], on=ON).exists()


def test_a_page_of_a_list_is_the_rules_and_one_query_however_many_children(
    village: dict[str, Minor], personas: dict[str, User]
) -> None:
    director = personas["child_director"]
    perms.assignments(director)  # loaded once per request

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            page = list(my_children(director, on=ON)[:50])
        return len(queries), len(page)

    assert cost() == (2, 4)  # the active rule version, then the page
    for n in range(20):
        visit(date(2026, 5, 1), child(f"多{n}", "orphan"))
    assert cost() == (2, 24)


def test_coverage_per_village_for_the_supervisor_and_per_township_for_the_district(
    village: dict[str, Minor], personas: dict[str, User]
) -> None:
    MinorFactory.create(name="东", area_code="431103101201")  # another village, no rule
    rows = coverage(personas["child_supervisor"], length=VILLAGE, on=ON)
    assert [(r.area, r.tracked, r.overdue, r.on_time) for r in rows] == [
        (AREA_A, 3, 1, 2),
        ("431103101201", 0, 0, 0),
    ]
    assert str(rows[0].on_time_share) == "66.7" and rows[1].on_time_share is None
    assert rows[0].name == "花桥街镇 / 石门村"
    district = coverage(personas["district_admin"], length=TOWNSHIP, on=ON)
    assert [(r.area, r.name, r.tracked, r.overdue) for r in district] == [
        ("431103101", "花桥街镇", 3, 1),
        ("431103102", "普利桥镇", 1, 1),
    ]


def test_a_key_edited_into_the_rules_by_hand_that_names_nothing_is_ignored(
    district: Any,
) -> None:
    from carecircle.visits.models import VisitRuleSet

    orphan = child("孤", "orphan")
    VisitRuleSet.objects.create(version=1, intervals={"bogus": 5, "orphan": 30})
    assert due(orphan)["visit_interval"] == 30
    VisitRuleSet.objects.update(intervals={"bogus": 5})
    assert due(orphan)["visit_interval"] is None
