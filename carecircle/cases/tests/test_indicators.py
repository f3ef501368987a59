"""The cases' indicators (issue 7 item 6) on a hand-counted fixture where 例, 次, 人次
and 人 all differ (DOMAIN.md §8).

In March 2026, in 冷水滩区 (431103):

    case 1, child a (village A), opened 3 March:
        s1 individual  a        1
        s2 family      a, c     2
        s3 individual  a        1
    case 2, child b (village B), opened 5 March:
        s4 group       b, c     2
        s5 individual  b        1   (31 March, 23:30)
    例 2 · 次 5 · 人次 7 · 人 3 (a, b, c)

Outside: a session of case 1 on 1 April at 00:10, and a case in 零陵区 (431102) with
a session in March.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from django.utils import timezone

from carecircle.cases import indicators
from carecircle.cases.models import Case, Kind, Risk, Session, SessionAttendee, Source
from carecircle.people.models import Minor
from carecircle.stats.registry import REGISTRY, Scope, Unit, compute_all
from carecircle.testing.fixtures import _create_minor

pytestmark = pytest.mark.django_db

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
COUNTY = ("431103",)


def _at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour, minute))


def _case(minor: Minor, user: Any, opened_at: datetime) -> Case:
    return Case.objects.create(
        kind=Kind.COUNSELING,
        minor=minor,
        area_code=minor.area_code,
        source=Source.WALK_IN,
        summary="孩子近期情绪低落",
        risk=Risk.GREEN,
        opened_by=user,
        opened_at=opened_at,
    )


def _session(case: Case, user: Any, held_at: datetime, *children: Minor) -> Session:
    kind = Session.Kind.INDIVIDUAL if len(children) == 1 else Session.Kind.FAMILY
    session = Session.objects.create(
        case=case,
        kind=kind,
        held_at=held_at,
        duration_minutes=50,
        counselor=user,
        mode=Session.Mode.IN_PERSON,
        recorded_by=user,
    )
    SessionAttendee.objects.bulk_create(
        [SessionAttendee(session=session, minor=child) for child in children]
    )
    return session


@pytest.fixture
def world(personas: dict[str, Any], minor_a: Minor, minor_b: Minor) -> dict[str, Minor]:
    user = personas["counselor"]
    minor_c = _create_minor(name="赵小乐", sex="F", birth_date=date(2015, 1, 9),
                            area_code="431103101200", id_number="431103201501090028")  # fmt: skip
    minor_x = _create_minor(name="钱小雨", sex="F", birth_date=date(2012, 8, 8),
                            area_code="431102001001", id_number="431102201208080027")  # fmt: skip
    case1 = _case(minor_a, user, _at(3, 3))
    case2 = _case(minor_b, user, _at(3, 5))
    _session(case1, user, _at(3, 4), minor_a)
    _session(case1, user, _at(3, 10), minor_a, minor_c)
    _session(case1, user, _at(3, 17), minor_a)
    _session(case2, user, _at(3, 6), minor_b, minor_c)
    _session(case2, user, _at(3, 31, 23, 30), minor_b)
    _session(case1, user, _at(4, 1, 0, 10), minor_a)  # after the period
    elsewhere = _case(minor_x, user, _at(3, 8))
    _session(elsewhere, user, _at(3, 9), minor_x)  # another county
    return {"a": minor_a, "b": minor_b, "c": minor_c}


def _figures(prefixes: tuple[str, ...] = COUNTY) -> dict[str, Any]:
    scope = Scope(start=MARCH[0], end=MARCH[1], prefixes=prefixes)
    return {
        "opened": indicators.cases_opened(scope),
        "sessions": indicators.session_count(scope),
        "person_times": indicators.person_times(scope),
        "minors": indicators.minors_served(scope),
    }


def test_cases_sessions_person_times_and_persons_differ_as_counted_by_hand(world):
    assert _figures() == {"opened": 2, "sessions": 5, "person_times": 7, "minors": 3}


def test_the_area_is_the_case_division(world):
    # Village A: case 1 only (s1-s3: a, a+c, a).
    assert _figures(("431103101",)) == {
        "opened": 1,
        "sessions": 3,
        "person_times": 4,
        "minors": 2,
    }


def test_a_merged_child_counts_as_the_child_it_was_merged_into(world):
    Minor.objects.filter(pk=world["c"].pk).update(merged_into=world["a"])
    assert _figures()["minors"] == 2
    assert _figures()["person_times"] == 7


def test_the_indicators_are_registered_with_their_units_and_definitions(world):
    units = {
        "cases.opened": Unit.CASES,
        "cases.sessions": Unit.TIMES,
        "cases.minors_served_person_times": Unit.PERSON_TIMES,
        "cases.minors_served": Unit.PERSONS,
    }
    for key, unit in units.items():
        registered = REGISTRY[key]
        assert registered.unit == unit
        assert len(str(registered.definition)) > 40
    values = compute_all(start=MARCH[0], end=MARCH[1], viewer_prefixes=list(COUNTY))
    assert [values[key] for key in units] == [2, 5, 7, 3]


def test_a_viewer_without_scope_gets_no_figure(world):
    values = compute_all(start=MARCH[0], end=MARCH[1], viewer_prefixes=[])
    assert [values[key] for key in indicators.IDS] == [None, None, None, None]
    assert _figures(()) == {"opened": 0, "sessions": 0, "person_times": 0, "minors": 0}


# --- By room and organisation ---------------------------------------------------------
#
# On the same fixture: s1 and s2 in the school room (school A), s4 in the hospital
# room (hospital A), s3 and s5 in no room (by phone). Case 2 is led by hospital A.
#     school room       s1 a, s2 a+c          次 2 · 人次 3 · 人 2
#     hospital room     s4 b+c                次 1 · 人次 2 · 人 2
#     school A          = the school room;  hospital A = the hospital room


@pytest.fixture
def rooms(world: dict[str, Minor], personas: dict[str, Any], district: Any) -> dict[str, Any]:
    from carecircle.counseling.models import Room

    made = {}
    for label, org in (("school", "school_A"), ("hospital", "hospital_A")):
        organisation = district["orgs"][org]
        made[label] = Room.objects.create(
            name=f"{label} room",
            kind=Room.Kind.SCHOOL if label == "school" else Room.Kind.HOSPITAL,
            organisation=organisation,
            area_code=organisation.division.prefix,
            created_by=personas["center_staff"],
        )
    march = Session.objects.filter(held_at__month=3, case__area_code__startswith="431103")
    by_time = {s.held_at.day: s for s in march}
    for day, room in ((4, "school"), (10, "school"), (6, "hospital")):
        Session.objects.filter(pk=by_time[day].pk).update(room=made[room])
    Case.objects.filter(minor=world["b"]).update(organisation=district["orgs"]["hospital_A"])
    made["orgs"] = district["orgs"]
    return made


def _filtered(**chosen: Any) -> dict[str, Any]:
    scope = Scope(
        start=MARCH[0],
        end=MARCH[1],
        prefixes=COUNTY,
        filters=tuple(sorted((name, str(value)) for name, value in chosen.items())),
    )
    return {
        "sessions": indicators.session_count(scope),
        "person_times": indicators.person_times(scope),
        "minors": indicators.minors_served(scope),
    }


def test_sessions_person_times_and_persons_by_room(rooms):
    school, hospital = rooms["school"].pk, rooms["hospital"].pk
    assert _filtered(counseling_room=school) == {"sessions": 2, "person_times": 3, "minors": 2}
    assert _filtered(counseling_room=hospital) == {"sessions": 1, "person_times": 2, "minors": 2}


def test_sessions_by_the_organisation_of_the_room(rooms):
    school, hospital = rooms["orgs"]["school_A"].pk, rooms["orgs"]["hospital_A"].pk
    assert _filtered(counseling_organisation=school) == {
        "sessions": 2,
        "person_times": 3,
        "minors": 2,
    }
    assert _filtered(counseling_organisation=hospital, counseling_room=rooms["school"].pk) == {
        "sessions": 0,
        "person_times": 0,
        "minors": 0,
    }
    # The police station has no room: nothing, not everything.
    assert _filtered(counseling_organisation=rooms["orgs"]["police_A"].pk)["sessions"] == 0


def test_a_value_that_is_no_id_counts_nothing(rooms):
    assert _filtered(counseling_room="abc")["sessions"] == 0
    assert _filtered(counseling_room="²")["sessions"] == 0
    assert _filtered(counseling_organisation=str(2**70))["sessions"] == 0


def test_the_registry_narrows_by_room_and_organisation(rooms):
    hospital = rooms["orgs"]["hospital_A"].pk
    values = compute_all(
        start=MARCH[0],
        end=MARCH[1],
        viewer_prefixes=list(COUNTY),
        filters={"counseling_organisation": str(hospital)},
    )
    # Case 2 is led by the hospital; its room held s4 (b and c).
    assert [values[key] for key in indicators.IDS] == [1, 1, 2, 2]
    values = compute_all(
        start=MARCH[0],
        end=MARCH[1],
        viewer_prefixes=list(COUNTY),
        filters={"counseling_room": str(rooms["school"].pk)},
    )
    # A case is not held in a room: no figure rather than every case.
    assert [values[key] for key in indicators.IDS] == [None, 2, 3, 2]


def test_the_stats_page_offers_the_rooms_and_organisations(rooms, client_for, personas):
    from django.urls import reverse

    page = client_for(personas["center_staff"]).get(reverse("stats:indicator-list"))
    form = page.context["form"]
    assert (str(rooms["school"].pk), "school room") in form.fields["counseling_room"].choices
    organisations = dict(form.fields["counseling_organisation"].choices)
    assert str(rooms["orgs"]["school_A"].pk) in organisations
    assert str(rooms["orgs"]["police_A"].pk) not in organisations
