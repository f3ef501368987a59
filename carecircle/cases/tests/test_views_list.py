"""The list of cases: the team's own, a supervisor's division, the filters."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecircle.cases import services
from carecircle.cases.models import Case, Kind, Risk, Source, Status
from carecircle.people.models import Minor
from carecircle.testing.fixtures import build_minor_b

pytestmark = pytest.mark.django_db
URL = reverse("cases:list")


def _open(actor: Any, minor: Minor, **extra: Any) -> Case:
    fields: dict[str, Any] = {
        "kind": Kind.COUNSELING,
        "source": Source.WALK_IN,
        "summary": "孩子近期情绪低落，需要辅导。",
        "risk": Risk.GREEN,
        **extra,
    }
    return services.case_open(actor=actor, minor=minor, **fields)


def _numbers(response: Any) -> set[str]:
    return {c.number for c in response.context["page"]}


def test_it_refuses_anonymous_roles_without_cases_and_posts(client, client_for, personas):
    assert client.get(URL).status_code == 302
    assert client_for(personas["auditor"]).get(URL).status_code == 403
    assert client_for(personas["child_director"]).get(URL).status_code == 403
    assert client_for(personas["counselor"]).post(URL).status_code == 405


def test_it_shows_the_team_its_cases_and_supervisors_their_division(
    client_for, personas, other_personas, district, minor_a
):
    mine = _open(personas["counselor"], minor_a)
    theirs = _open(personas["social_worker"], build_minor_b(district))
    own = client_for(personas["counselor"]).get(URL)
    assert own.status_code == 200
    assert _numbers(own) == {mine.number}
    assert _numbers(client_for(personas["center_staff"]).get(URL)) == {mine.number, theirs.number}
    assert _numbers(client_for(other_personas["center_staff"]).get(URL)) == set()


def test_it_filters_by_status_kind_risk_and_awaiting_approval(
    client_for, personas, district, minor_a
):
    counselor, desk = personas["counselor"], personas["center_staff"]
    calm = _open(counselor, minor_a)
    urgent = _open(counselor, minor_a, kind=Kind.WELFARE, risk=Risk.RED)
    Case.objects.filter(pk=calm.pk).update(
        status=Status.CLOSURE_PENDING, closure_requested_by=counselor
    )
    client = client_for(desk)
    assert _numbers(client.get(URL, {"kind": "welfare"})) == {urgent.number}
    assert _numbers(client.get(URL, {"risk": "red"})) == {urgent.number}
    assert _numbers(client.get(URL, {"awaiting": "on"})) == {calm.number}
    assert _numbers(client.get(URL, {"status": "closed"})) == set()
    Case.objects.filter(pk=urgent.pk).update(status=Status.CLOSED, closed_at=timezone.now())
    assert _numbers(client.get(URL, {"status": "closed"})) == {urgent.number}
    assert _numbers(client.get(URL)) == {calm.number}
    assert _numbers(client.get(URL, {"status": "all"})) == {calm.number, urgent.number}
    # The requester does not see their own request as awaiting their approval.
    Case.objects.filter(pk=calm.pk).update(closure_requested_by=desk)
    assert _numbers(client.get(URL, {"awaiting": "on"})) == set()
    # A bad filter value is ignored, never a 500.
    assert client.get(URL, {"kind": "<nope>", "page": "x"}).status_code == 200


def test_it_shows_each_row_without_a_query_per_row(
    client_for, personas, district, minor_a, english
):
    counselor = personas["counselor"]
    client = client_for(counselor)
    first = _open(counselor, minor_a)
    task = services.case_add_task(
        actor=counselor,
        case=first,
        title="联系班主任了解情况",
        assigned_to=counselor,
        due_on=timezone.localdate(),
    )
    client.get(URL)  # warm the caches of a first request
    with CaptureQueriesContext(connection) as one:
        response = client.get(URL)
    body = response.content.decode()
    assert first.number in body and minor_a.name in body
    assert reverse("people:minor-detail", args=[minor_a.pk]) in body
    assert "Psychological counseling" in body and "Green" in body
    assert counselor.display_name in body
    assert f"{timezone.localtime(task.due_at):%Y-%m-%d %H:%M}" in body
    for kind in (Kind.WELFARE, Kind.LEGAL_AID, Kind.CRISIS):
        _open(counselor, minor_a, kind=kind)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).context["page"]) == 4
    assert len(many) == len(one)


def test_the_menu_offers_cases_to_those_who_reach_them(client_for, personas, english):
    home = reverse("accounts:home")
    assert "Cases" in {
        i["label"] for i in client_for(personas["counselor"]).get(home).context["nav_items"]
    }
    assert "Cases" in {
        i["label"] for i in client_for(personas["center_staff"]).get(home).context["nav_items"]
    }
    for role in ("child_director", "auditor", "volunteer"):
        items = client_for(personas[role]).get(home).context["nav_items"]
        assert URL not in {i["url"] for i in items}
