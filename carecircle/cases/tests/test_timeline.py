"""A case shows on its child's timeline to those who may read the case, and to nobody else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.cases import services
from carecircle.cases.models import Case, Kind, Risk, Source, Status
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
