"""The steps on a case, one POST-only URL each: who may take them, what they change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from carecircle.cases import services
from carecircle.cases.models import (
    Case,
    CaseEvent,
    CaseMember,
    CaseTask,
    Kind,
    Risk,
    Source,
    Status,
)
from carecircle.people.models import Minor

pytestmark = pytest.mark.django_db


def _url(name: str, case: Case) -> str:
    return reverse(f"cases:{name}", args=[case.pk])


@pytest.fixture
def case(personas: dict[str, Any], minor_a: Minor) -> Case:
    return services.case_open(
        actor=personas["counselor"],
        minor=minor_a,
        kind=Kind.COUNSELING,
        source=Source.WALK_IN,
        summary="孩子近期情绪低落，需要辅导。",
        risk=Risk.YELLOW,
    )


def _status(case: Case) -> str:
    case.refresh_from_db()
    return case.status


ACTIONS = (
    "transition",
    "plan",
    "risk",
    "crisis",
    "member-add",
    "member-remove",
    "task-add",
    "task-complete",
)


@pytest.mark.parametrize("name", ACTIONS)
def test_every_step_refuses_anonymous_no_role_out_of_scope_and_get(
    name, client, client_for, personas, other_personas, case
):
    url = _url(name, case)
    assert client.post(url, {"to": "assessment"}).status_code == 302
    assert client_for(personas["auditor"]).post(url, {"to": "assessment"}).status_code == 403
    assert (
        client_for(other_personas["center_staff"]).post(url, {"to": "assessment"}).status_code
        == 404
    )
    assert client_for(personas["social_worker"]).post(url, {"to": "assessment"}).status_code == 404
    assert client_for(personas["counselor"]).get(url).status_code == 405
    assert _status(case) == Status.INTAKE
    assert CaseEvent.objects.filter(case=case).count() == 1  # opened


def test_the_team_moves_the_case_once_and_illegal_steps_change_nothing(
    client_for, personas, case, english
):
    client = client_for(personas["counselor"])
    url = _url("transition", case)
    illegal = client.post(url, {"to": "closed"})
    assert illegal.status_code == 400 and "cannot go from" in illegal.content.decode()
    assert client.post(url, {"to": "nonsense"}).status_code == 400
    assert _status(case) == Status.INTAKE
    assert client.post(url, {"to": "assessment"}).status_code == 302
    assert client.post(url, {"to": "assessment"}).status_code == 400  # sent twice
    assert _status(case) == Status.ASSESSMENT
    assert CaseEvent.objects.filter(case=case, kind="transition").count() == 1
    # Planning needs the assessment first.
    refused = client.post(url, {"to": "planning"})
    assert refused.status_code == 400 and "Record the assessment" in refused.content.decode()
    assert _status(case) == Status.ASSESSMENT


def test_closure_needs_another_supervisor(client_for, personas, case):
    Case.objects.filter(pk=case.pk).update(
        status=Status.CLOSURE_PENDING, closure_requested_by=personas["center_staff"]
    )
    url = _url("transition", case)
    # The team does not approve; the requester cannot approve their own request.
    assert client_for(personas["counselor"]).post(url, {"to": "closed"}).status_code == 403
    assert client_for(personas["center_staff"]).post(url, {"to": "closed"}).status_code == 403
    assert _status(case) == Status.CLOSURE_PENDING
    # Refusing needs a reason.
    assert client_for(personas["district_admin"]).post(url, {"to": "review"}).status_code == 400
    assert _status(case) == Status.CLOSURE_PENDING
    assert client_for(personas["district_admin"]).post(url, {"to": "closed"}).status_code == 302
    assert _status(case) == Status.CLOSED
    case.refresh_from_db()
    assert case.closed_by == personas["district_admin"]


def test_plan_risk_and_crisis(client_for, personas, case, english):
    client = client_for(personas["counselor"])
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    refused = client.post(_url("plan", case), {"goals": "恢复正常上学", "review_on": past})
    assert refused.status_code == 400 and "cannot be in the past" in refused.content.decode()
    soon = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(_url("plan", case), {"assessment": "与父母沟通少，情绪低落"})
    assert response.status_code == 302
    response = client.post(_url("plan", case), {"goals": "恢复正常上学", "review_on": soon})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assessment == "与父母沟通少，情绪低落" and case.goals == "恢复正常上学"
    assert (
        client.post(_url("risk", case), {"risk": "red_critical", "reasons": ""}).status_code == 400
    )
    assert (
        client.post(
            _url("risk", case), {"risk": "red_critical", "reasons": "表达了自伤的想法"}
        ).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.risk == Risk.RED_CRITICAL
    assert case.tasks.filter(kind=CaseTask.Kind.CRISIS_FOLLOW_UP).count() == 1
    assert client.post(_url("crisis", case), {}).status_code == 400
    response = client.post(
        _url("crisis", case), {"safety_plan": "班主任每日确认到校", "guardian_told": "on"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.safety_plan == "班主任每日确认到校" and case.guardian_told_at is not None


def test_the_owner_and_supervisors_change_the_team(client_for, personas, case, english):
    owner = client_for(personas["counselor"])
    worker = personas["social_worker"]
    bad = owner.post(_url("member-add", case), {"user": personas["auditor"].pk + 10_000})
    assert bad.status_code == 400
    assert owner.post(_url("member-add", case), {"user": worker.pk}).status_code == 302
    member = CaseMember.objects.get(case=case, user=worker)
    # A member who is not the owner does not change the team.
    as_member = client_for(worker)
    assert as_member.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert as_member.post(_url("member-remove", case), {"member": member.pk}).status_code == 403
    # The owner cannot be removed; the member can, once.
    owner_row = CaseMember.objects.get(case=case, is_owner=True)
    assert owner.post(_url("member-remove", case), {"member": owner_row.pk}).status_code == 400
    desk = client_for(personas["center_staff"])
    assert desk.post(_url("member-remove", case), {"member": member.pk}).status_code == 302
    assert desk.post(_url("member-remove", case), {"member": member.pk}).status_code == 400
    member.refresh_from_db()
    assert member.left_at is not None
    assert as_member.get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_tasks_are_added_for_the_team_and_completed_once(client_for, personas, case, english):
    counselor = personas["counselor"]
    client = client_for(counselor)
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    stranger = client.post(
        _url("task-add", case),
        {"title": "联系班主任了解情况", "assigned_to": personas["social_worker"].pk, "due_on": due},
    )
    assert stranger.status_code == 400
    body = {"title": "联系班主任了解情况", "assigned_to": counselor.pk, "due_on": due}
    assert client.post(_url("task-add", case), body).status_code == 302
    task = CaseTask.objects.get(case=case)
    done = {"task": task.pk, "note": "已电话联系班主任"}
    assert (
        client.post(_url("task-complete", case), {"task": task.pk, "note": ""}).status_code == 400
    )
    assert client.post(_url("task-complete", case), done).status_code == 302
    assert client.post(_url("task-complete", case), done).status_code == 400
    task.refresh_from_db()
    assert task.status == CaseTask.Status.DONE and task.done_by == counselor
    assert CaseEvent.objects.filter(case=case, kind="task_done").count() == 1
