"""A case shows on its child's timeline to those who may read the case, and to nobody else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.cases import services
from carecircle.cases.models import Case, Kind, Risk, Source, Status
from carecircle.cases.permissions import cases_visible_to
from carecircle.people.models import Minor
from carecircle.people.timeline import timeline_for

pytestmark = pytest.mark.django_db

SUMMARY = "孩子近两周情绪低落，多次在课堂上哭泣。"


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


@pytest.fixture
def case(personas: Any, minor_a: Minor) -> Case:
    return services.case_open(
        actor=personas["counselor"],
        minor=minor_a,
        kind=Kind.COUNSELING,
        source=Source.WALK_IN,
        summary=SUMMARY,
        risk=Risk.YELLOW,
    )


def _cases(viewer: Any, minor: Minor, **kw: Any) -> list[Any]:
    viewer = User.objects.get(pk=viewer.pk)
    return [e for e in timeline_for(viewer, minor, **kw).entries if e.kind == "case"]


@pytest.mark.parametrize("role", ["counselor", "center_staff", "district_admin"])
def test_the_team_and_the_supervisors_see_number_kind_status_and_risk(
    personas: Any, minor_a: Minor, case: Case, role: str
) -> None:
    [entry] = _cases(personas[role], minor_a)
    assert entry.title == f"Case {case.number} opened"
    assert entry.detail == "Psychological counseling · Intake · risk: Yellow"
    assert entry.at == case.opened_at
    assert entry.tone == "warning"
    assert entry.source == "cases.cases"
    assert SUMMARY not in entry.title + entry.detail
    assert entry.url.endswith(f"/{case.pk}/")


@pytest.mark.parametrize(
    "role", ["child_director", "child_supervisor", "social_worker", "school_psych_teacher"]
)
def test_those_who_see_the_child_but_not_the_case_see_nothing_of_it(
    personas: Any, minor_a: Minor, case: Case, role: str
) -> None:
    assert _cases(personas[role], minor_a) == []


def test_a_member_added_to_the_team_sees_it(personas: Any, minor_a: Minor, case: Case) -> None:
    services.case_add_member(actor=personas["counselor"], case=case, user=personas["lawyer"])
    [entry] = _cases(personas["lawyer"], minor_a)
    assert entry.title == f"Case {case.number} opened"


def test_a_closed_case_shows_its_status_quietly(personas: Any, minor_a: Minor, case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, risk=Risk.RED)
    [entry] = _cases(personas["center_staff"], minor_a)
    assert entry.detail == "Psychological counseling · Closed · risk: Red"
    assert entry.tone == "secondary"


def test_a_crisis_is_marked_as_danger(personas: Any, minor_a: Minor, case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(risk=Risk.RED_CRITICAL)
    [entry] = _cases(personas["counselor"], minor_a)
    assert entry.tone == "danger" and entry.detail.endswith("risk: Red: critical")


def test_entries_page_by_opening_time(personas: Any, minor_a: Minor, case: Case) -> None:
    older = services.case_open(
        actor=personas["counselor"],
        minor=minor_a,
        kind=Kind.WELFARE,
        source=Source.WALK_IN,
        summary=SUMMARY,
        risk=Risk.GREEN,
    )
    Case.objects.filter(pk=older.pk).update(opened_at=case.opened_at - timedelta(days=40))
    assert [e.title for e in _cases(personas["counselor"], minor_a, before=case.opened_at)] == [
        f"Case {Case.objects.get(pk=older.pk).number} opened"
    ]
    assert len(_cases(personas["counselor"], minor_a)) == 2
    assert _cases(personas["counselor"], minor_a, before=timezone.now() - timedelta(days=41)) == []


# --- Sessions and referrals -----------------------------------------------------------

NOTES = "孩子说晚上做噩梦，不敢一个人睡"


def _entries(viewer: Any, minor: Minor, kind: str) -> list[Any]:
    viewer = User.objects.get(pk=viewer.pk)
    return [e for e in timeline_for(viewer, minor).entries if e.kind == kind]


@pytest.fixture
def session(personas: Any, case: Case, minor_b: Minor, district: Any) -> Any:
    from carecircle.cases.sessions import session_record
    from carecircle.counseling.models import Room

    room = Room.objects.create(
        name="中心辅导室",
        kind=Room.Kind.CENTER,
        organisation=district["orgs"]["school_B"],
        area_code="431103102",
        created_by=personas["center_staff"],
    )
    session = session_record(
        actor=personas["counselor"],
        case=case,
        kind="family",
        held_at=timezone.now(),
        duration_minutes=50,
        counselor=personas["counselor"],
        mode="in_person",
        other_minors=[minor_b],
        other_attendees="母亲",
        notes=NOTES,
    )
    session.room = room
    session.save(update_fields=["room"])
    return session


@pytest.fixture
def referral(personas: Any, case: Case, district: Any) -> Any:
    from carecircle.cases.models import Referral

    now = timezone.now()
    return Referral.objects.create(
        case=case,
        minor=case.minor,
        to_organisation=district["orgs"]["hospital_A"],
        reason="疑似抑郁，建议就医评估",
        shared="姓名、年龄",
        basis=Referral.Basis.GUARDIAN_CONSENT,
        consent_by="母亲",
        consent_on=timezone.localdate(),
        sent_by=personas["counselor"],
        sent_at=now,
        accept_due_at=now + timedelta(hours=48),
    )


@pytest.mark.parametrize("role", ["counselor", "center_staff", "district_admin"])
def test_the_case_readers_see_the_childs_sessions_and_referrals(
    personas: Any,
    minor_a: Minor,
    minor_b: Minor,
    case: Case,
    session: Any,
    referral: Any,
    role: str,
) -> None:
    [entry] = _entries(personas[role], minor_a, "session")
    assert entry.title == "Family counseling session"
    assert entry.detail == f"In person · 50 min · {personas['counselor'].display_name} · 中心辅导室"
    assert entry.at == session.held_at and entry.url.endswith(f"/{case.pk}/")
    assert entry.source == "cases.sessions"
    # The other child at the family session has it on their timeline too.
    assert len(_entries(personas[role], minor_b, "session")) == 1
    [sent] = _entries(personas[role], minor_a, "referral")
    assert sent.title == f"Referral {referral.number} to A-hospital"
    assert sent.detail == "Awaiting acceptance" and sent.tone == "warning"
    # Never the notes, who else came, or the reason of the referral.
    shown = " ".join(e.title + e.detail for e in timeline_for(personas[role], minor_a).entries)
    assert NOTES not in shown and "母亲" not in shown and "疑似抑郁" not in shown


@pytest.mark.parametrize(
    "role", ["child_director", "child_supervisor", "social_worker", "school_psych_teacher"]
)
def test_those_who_do_not_read_the_case_see_no_session_or_referral(
    personas: Any, minor_a: Minor, minor_b: Minor, session: Any, referral: Any, role: str
) -> None:
    from carecircle.people.permissions import minors_visible_to

    seen = minors_visible_to(personas[role]).filter(pk__in=[minor_a.pk, minor_b.pk])
    assert minor_a in seen
    for minor in seen:
        assert _entries(personas[role], minor, "session") == []
        assert _entries(personas[role], minor, "referral") == []


def test_a_member_who_left_the_team_no_longer_sees_them(
    personas: Any, minor_a: Minor, case: Case, session: Any, referral: Any
) -> None:
    lawyer = personas["lawyer"]
    services.case_add_member(actor=personas["counselor"], case=case, user=lawyer)
    assert len(_entries(lawyer, minor_a, "session")) == 1
    case.members.filter(user=lawyer).update(left_at=timezone.now())
    assert _entries(personas["center_staff"], minor_a, "referral") != []
    # The lawyer reached the child only through the case: now not at all.
    with pytest.raises(PermissionDenied):
        _entries(lawyer, minor_a, "session")
    assert list(cases_visible_to(lawyer)) == []
