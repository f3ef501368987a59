"""A case's page: who reads it, what it shows, every read audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from carecircle.audit.models import AuditEvent
from carecircle.cases import services
from carecircle.cases.models import Case, Kind, Risk, Source, Status
from carecircle.people.models import Minor

pytestmark = pytest.mark.django_db


def _url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


@pytest.fixture
def case(personas: dict[str, Any], minor_a: Minor) -> Case:
    return services.case_open(
        actor=personas["counselor"],
        minor=minor_a,
        kind=Kind.COUNSELING,
        source=Source.WALK_IN,
        summary="孩子说<script>alert(1)</script>不想上学",
        risk=Risk.YELLOW,
        risk_reasons="成绩下滑，不愿与人交流",
    )


def test_it_refuses_anonymous_no_role_out_of_scope_and_posts(
    client, client_for, personas, other_personas, case
):
    assert client.get(_url(case)).status_code == 302
    assert client_for(personas["auditor"]).get(_url(case)).status_code == 403
    assert client_for(personas["child_director"]).get(_url(case)).status_code == 403
    assert client_for(other_personas["center_staff"]).get(_url(case)).status_code == 404
    # An opener who is neither on the team nor a supervisor: 404, as for any stranger.
    assert client_for(personas["social_worker"]).get(_url(case)).status_code == 404
    assert (
        client_for(personas["counselor"]).get(reverse("cases:detail", args=[99999])).status_code
        == 404
    )
    assert (
        AuditEvent.objects.filter(action=AuditEvent.Action.DENIED, object_type="cases.case").count()
        >= 3
    )
    assert client_for(personas["counselor"]).post(_url(case)).status_code == 405


def test_the_team_and_the_supervisors_read_it_audited(client_for, personas, case, english):
    for role in ("counselor", "center_staff", "district_admin"):
        response = client_for(personas[role]).get(_url(case))
        assert response.status_code == 200
        body = response.content.decode()
        assert case.number in body and case.minor.name in body
        assert reverse("people:minor-detail", args=[case.minor_id]) in body
        assert "成绩下滑" in body  # the reasons, decrypted
    views = AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_type="cases.case", object_id=str(case.pk)
    )
    assert views.count() == 3
    assert set(views.values_list("minor_id", flat=True)) == {case.minor_id}


def test_it_escapes_what_staff_wrote(client_for, personas, case):
    body = client_for(personas["counselor"]).get(_url(case)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_it_draws_the_workflow_and_offers_only_the_allowed_steps(
    client_for, personas, case, english
):
    response = client_for(personas["counselor"]).get(_url(case))
    steps = response.context["steps"]
    assert [s["state"] for s in steps][:2] == ["current", "todo"]
    assert [t["to"] for t in response.context["transitions"]] == [Status.ASSESSMENT]
    names = [f["name"] for f in response.context["forms"]]
    assert "plan" in names and "risk" in names and "member-add" in names
    assert "crisis" not in names and "member-remove" not in names and "task-complete" not in names
    # At closure: the requester is offered no approval, another supervisor is.
    Case.objects.filter(pk=case.pk).update(
        status=Status.CLOSURE_PENDING, closure_requested_by=personas["center_staff"]
    )
    own = client_for(personas["center_staff"]).get(_url(case)).context["transitions"]
    assert [t["to"] for t in own] == [Status.REVIEW]
    other = client_for(personas["district_admin"]).get(_url(case)).context["transitions"]
    assert {t["to"] for t in other} == {Status.CLOSED, Status.REVIEW}
    assert client_for(personas["counselor"]).get(_url(case)).context["transitions"] == []


def test_it_shows_the_crisis_panel_when_red_critical(client_for, personas, case, english):
    counselor = personas["counselor"]
    services.case_set_risk(
        actor=counselor, case=case, risk=Risk.RED_CRITICAL, reasons="表达了自伤的想法"
    )
    response = client_for(counselor).get(_url(case))
    body = response.content.decode()
    assert "Crisis: red-critical" in body and "Daily follow-up due" in body
    assert response.context["follow_up"] is not None
    assert "crisis" in [f["name"] for f in response.context["forms"]]
    assert "Risk level changed" in body  # the history
