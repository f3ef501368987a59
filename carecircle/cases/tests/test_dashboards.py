"""The case dashboards (issue 7 item 6): overdue tasks, a counselor's caseload, and
sessions per room and organisation, each within the viewer's reach."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.cases.dashboards import selectors
from carecircle.cases.models import Case, CaseTask, Kind, Risk, Session, SessionAttendee, Status
from carecircle.cases.services import case_open
from carecircle.counseling.models import Room
from carecircle.people.models import Minor
from carecircle.testing.fixtures import _create_minor

pytestmark = pytest.mark.django_db

OVERDUE = reverse("case-dashboards:overdue")
CASELOAD = reverse("case-dashboards:counselor")
ROOMS = reverse("case-dashboards:rooms")
ORGANISATIONS = reverse("case-dashboards:organisations")


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def _open(user: User, minor: Minor, kind: str = Kind.COUNSELING, risk: str = Risk.GREEN) -> Case:
    return case_open(
        actor=user,
        minor=minor,
        kind=kind,
        source="walk_in",
        summary="孩子近期情绪低落，老师建议心理辅导",
        risk=risk,
    )


def _task(case: Case, user: User, *, hours: float, title: str = "回访") -> CaseTask:
    """A task due ``hours`` from now (negative: overdue)."""
    return CaseTask.objects.create(
        case=case,
        title=title,
        assigned_to=user,
        due_at=timezone.now() + timedelta(hours=hours),
    )


def _session(case: Case, user: User, *children: Minor, room: Room | None = None) -> Session:
    session = Session.objects.create(
        case=case,
        kind=Session.Kind.FAMILY if len(children) > 1 else Session.Kind.INDIVIDUAL,
        held_at=timezone.now() - timedelta(minutes=5),
        duration_minutes=50,
        counselor=user,
        mode=Session.Mode.IN_PERSON,
        room=room,
        recorded_by=user,
        notes="孩子说晚上睡不着",
    )
    SessionAttendee.objects.bulk_create(
        [SessionAttendee(session=session, minor=child) for child in children]
    )
    return session


@pytest.fixture
def minor_x(district: Any) -> Minor:
    """A child of the other county (零陵区)."""
    return _create_minor(name="钱小雨", sex="F", birth_date=timezone.localdate().replace(year=2013),
                         area_code="431102001001", id_number="431102201208080027")  # fmt: skip


# --- Overdue tasks ------------------------------------------------------------------


def test_the_supervisor_sees_overdue_tasks_of_their_divisions_longest_first(
    client_for, personas, other_personas, minor_a, minor_b, minor_x
):
    counselor = personas["counselor"]
    case_a, case_b = _open(counselor, minor_a), _open(counselor, minor_b)
    case_x = _open(other_personas["counselor"], minor_x)
    older = _task(case_b, counselor, hours=-48, title="家访")
    newer = _task(case_a, counselor, hours=-2, title="联系班主任")
    _task(case_a, counselor, hours=5)  # not yet due
    done = _task(case_a, counselor, hours=-10)
    CaseTask.objects.filter(pk=done.pk).update(status=CaseTask.Status.DONE)
    _task(case_x, other_personas["counselor"], hours=-30)  # the other county's
    closed = _open(counselor, minor_a, kind=Kind.WELFARE)
    _task(closed, counselor, hours=-100)
    Case.objects.filter(pk=closed.pk).update(status=Status.CLOSED)

    assert list(selectors.overdue_tasks(personas["center_staff"])) == [older, newer]
    page = client_for(personas["center_staff"]).get(OVERDUE)
    assert page.status_code == 200
    assert [t.pk for t in page.context["page"]] == [older.pk, newer.pk]
    assert page.context["page"].paginator.count == 2
    assert "2 tasks overdue" in page.content.decode()
    other = client_for(other_personas["center_staff"]).get(OVERDUE)
    assert [t.title for t in other.context["page"]] == ["回访"]


def test_a_counselor_sees_only_their_own_overdue_tasks(client_for, personas, minor_a):
    counselor, worker = personas["counselor"], personas["social_worker"]
    case = _open(counselor, minor_a)
    from carecircle.cases.services import case_add_member

    case_add_member(actor=counselor, case=case, user=worker)
    mine = _task(case, counselor, hours=-3)
    theirs = _task(case, worker, hours=-4)
    assert list(selectors.overdue_tasks(counselor)) == [mine]
    assert list(selectors.overdue_tasks(worker)) == [theirs]
    # Off the team: the task no longer shows, the case being out of reach.
    case.members.filter(user=worker).update(left_at=timezone.now())
    assert list(selectors.overdue_tasks(worker)) == []


def test_the_overdue_list_is_a_page_in_a_constant_number_of_queries(
    client_for, personas, minor_a, minor_b
):
    counselor = personas["counselor"]
    case = _open(counselor, minor_a)
    _task(case, counselor, hours=-1)
    client = client_for(personas["center_staff"])
    client.get(OVERDUE)  # the first request of a session does its own bookkeeping
    with CaptureQueriesContext(connection) as one:
        client.get(OVERDUE)
    other = _open(counselor, minor_b)
    for hours in range(2, 8):
        _task(other, counselor, hours=-hours)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(OVERDUE).context["page"]) == 7
    assert len(many) == len(one)


@pytest.mark.parametrize("url", [OVERDUE, CASELOAD, ROOMS, ORGANISATIONS])
def test_roles_that_reach_no_case_are_refused(client_for, personas, client, url):
    for role in ("child_director", "auditor", "analyst", "volunteer"):
        assert client_for(personas[role]).get(url).status_code == 403
    assert client.get(url).status_code == 302  # to the sign-in page


@pytest.mark.parametrize("url", [ROOMS, ORGANISATIONS])
def test_the_figures_by_room_are_for_supervisors(client_for, personas, url):
    for role in ("counselor", "social_worker", "school_psych_teacher"):
        assert client_for(personas[role]).get(url).status_code == 403
    for role in ("center_staff", "district_admin"):
        assert client_for(personas[role]).get(url).status_code == 200


def test_the_dashboard_is_in_the_menu_of_case_readers(client_for, personas):
    home = reverse("accounts:home")
    urls = {i["url"] for i in client_for(personas["counselor"]).get(home).context["nav_items"]}
    assert OVERDUE in urls
    urls = {i["url"] for i in client_for(personas["auditor"]).get(home).context["nav_items"]}
    assert OVERDUE not in urls


# --- Caseload -----------------------------------------------------------------------


def test_a_counselor_sees_their_caseload(client_for, personas, minor_a, minor_b):
    counselor = personas["counselor"]
    case_a = _open(counselor, minor_a, risk=Risk.YELLOW)
    case_b = _open(counselor, minor_b)
    Case.objects.filter(pk=case_b.pk).update(risk=Risk.RED_CRITICAL, status=Status.INTERVENTION)
    _session(case_a, counselor, minor_a, minor_b)
    _session(case_a, counselor, minor_a)
    upcoming = _task(case_a, counselor, hours=20)
    _task(case_a, counselor, hours=-1)  # overdue, not upcoming

    page = client_for(counselor).get(CASELOAD)
    assert page.status_code == 200
    load = page.context["load"]
    assert load.open_total == 2
    assert load.by_status == {"intake": {"yellow": 1}, "intervention": {"red_critical": 1}}
    assert (load.month.sessions, load.month.person_times, load.month.persons) == (2, 3, 2)
    assert load.period == load.month
    assert load.upcoming == [upcoming]
    # The most urgent risk first.
    assert [c.pk for c in page.context["cases"]] == [case_b.pk, case_a.pk]
    assert page.context["own"] is True


def test_a_supervisor_picks_a_counselor_of_their_divisions(
    client_for, personas, other_personas, minor_a, minor_x
):
    counselor = personas["counselor"]
    _open(counselor, minor_a)
    # The same counselor on a case of the other county, added there by its owner.
    from carecircle.cases.services import case_add_member

    case_x = _open(other_personas["counselor"], minor_x)
    case_add_member(actor=other_personas["counselor"], case=case_x, user=counselor)

    staff = client_for(personas["center_staff"])
    page = staff.get(CASELOAD, {"counselor": counselor.pk})
    assert page.status_code == 200
    assert page.context["own"] is False
    # Only the cases of the supervisor's county are counted.
    assert page.context["load"].open_total == 1
    assert counselor in page.context["counselors"]
    assert other_personas["counselor"] not in page.context["counselors"]
    assert counselor.display_name in page.content.decode()
    # The counselor's own view counts both.
    assert client_for(counselor).get(CASELOAD).context["load"].open_total == 2


def test_a_counselor_out_of_reach_is_a_404_recorded(client_for, personas, other_personas):
    before = AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).count()
    target = other_personas["counselor"].pk
    assert (
        client_for(personas["center_staff"]).get(CASELOAD, {"counselor": target}).status_code == 404
    )
    # A counselor is no supervisor: another counselor is out of reach.
    asked = {"counselor": personas["social_worker"].pk}
    assert client_for(personas["counselor"]).get(CASELOAD, asked).status_code == 404
    denied = AuditEvent.objects.filter(action=AuditEvent.Action.DENIED, object_type="accounts.user")
    assert denied.count() == before + 2


@pytest.mark.parametrize(
    "query, message",
    [
        ({"start": "2026-05-01", "end": "2026-04-01"}, "The period must start before it ends."),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "Choose a period of at most a year."),
        ({"start": "yesterday"}, "Enter a valid date."),
        ({"counselor": "abc"}, "Enter a whole number."),
    ],
)
def test_bad_input_shows_a_message_and_this_month(client_for, personas, query, message):
    page = client_for(personas["counselor"]).get(CASELOAD, query)
    assert page.status_code == 200
    assert message in page.content.decode()
    assert page.context["period"] == selectors.Period.this_month()


def test_a_wrong_period_keeps_the_counselor_the_supervisor_chose(client_for, personas, minor_a):
    counselor = personas["counselor"]
    _open(counselor, minor_a)
    asked = {"counselor": counselor.pk, "start": "2026-05-01", "end": "2026-04-01"}
    page = client_for(personas["center_staff"]).get(CASELOAD, asked)
    assert page.status_code == 200
    assert "The period must start before it ends." in page.content.decode()
    assert page.context["own"] is False
    assert page.context["load"].open_total == 1


# --- By room and organisation ------------------------------------------------------


@pytest.fixture
def rooms(personas: Any, district: Any) -> dict[str, Room]:
    made = {}
    for label, org in (("a", "school_A"), ("b", "hospital_B")):
        organisation = district["orgs"][org]
        made[label] = Room.objects.create(
            name=f"心理辅导室{label}",
            kind=Room.Kind.SCHOOL,
            organisation=organisation,
            area_code=organisation.division.prefix,
            created_by=personas["center_staff"],
        )
    return made


def test_sessions_are_counted_per_room_and_organisation(
    client_for, personas, other_personas, minor_a, minor_b, minor_x, rooms
):
    counselor = personas["counselor"]
    case_a, case_b = _open(counselor, minor_a), _open(counselor, minor_b)
    _session(case_a, counselor, minor_a, minor_b, room=rooms["a"])
    _session(case_a, counselor, minor_a, room=rooms["a"])
    _session(case_b, counselor, minor_b, room=rooms["b"])
    _session(case_b, counselor, minor_b)  # by phone: no room
    case_x = _open(other_personas["counselor"], minor_x)
    _session(case_x, other_personas["counselor"], minor_x, room=rooms["a"])

    page = client_for(personas["center_staff"]).get(ROOMS)
    assert page.status_code == 200
    got = {row["name"]: (row["sessions"], row["person_times"], row["persons"])
           for row in page.context["rows"]}  # fmt: skip
    assert got == {"心理辅导室a": (2, 3, 2), "心理辅导室b": (1, 1, 1)}
    assert page.context["totals"] == {"sessions": 3, "person_times": 4}
    assert b'type="application/json"' in page.content
    orgs = client_for(personas["district_admin"]).get(ORGANISATIONS).context["rows"]
    assert {row["name"]: row["sessions"] for row in orgs} == {"A-school": 2, "B-hospital": 1}
    # The other county's supervisor counts only its own case's session.
    other = client_for(other_personas["center_staff"]).get(ROOMS).context["rows"]
    assert [(row["name"], row["sessions"]) for row in other] == [("心理辅导室a", 1)]


def test_a_period_without_sessions_shows_none(client_for, personas, minor_a, rooms):
    counselor = personas["counselor"]
    _session(_open(counselor, minor_a), counselor, minor_a, room=rooms["a"])
    query = {"start": "2020-01-01", "end": "2020-01-31"}
    page = client_for(personas["center_staff"]).get(ROOMS, query)
    assert page.context["rows"] == []
    assert "No session was held in a counseling room during the period." in page.content.decode()
