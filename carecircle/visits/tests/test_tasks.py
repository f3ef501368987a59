"""What a visit sets off: follow-ups, police reports, alerts through the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecircle.accounts.models import RoleAssignment, User
from carecircle.notifications.models import Notification, OutboxMessage
from carecircle.notifications.outbox import drain
from carecircle.visits.flags import REPORTABLE, RiskFlag, applicable
from carecircle.visits.models import Visit, VisitTask
from carecircle.visits.permissions import my_tasks_q, tasks_visible_to
from carecircle.visits.services import MinorSeen, VisitInput, visit_record
from carecircle.visits.tasks import task_complete
from carecircle.visits.tests.factories import MinorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


@pytest.fixture
def child(district: Any) -> Any:
    return MinorFactory.create(name="孙小", older=True)  # 16 or more: not "living alone under 16"


@pytest.fixture
def young(district: Any) -> Any:
    return MinorFactory.create(name="周幼", young=True)


def record(actor: User, *seen: MinorSeen, key: str = "task-key-0001", **fields: Any) -> Visit:
    values: dict[str, Any] = {
        "kind": Visit.Kind.HOME,
        "occurred_at": timezone.now() - timedelta(hours=1),
        "minors": seen,
    }
    data = VisitInput(**{**values, **fields})
    return visit_record(actor=actor, data=data, idempotency_key=key)[0]


def recipients(key: str) -> set[int]:
    return set(OutboxMessage.objects.get(dedupe_key=key).payload["recipients"])


def test_reportable_flags_are_the_mandatory_reporting_situations() -> None:
    assert {
        RiskFlag.UNDER_16_ALONE,
        RiskFlag.MISSING,
        RiskFlag.ABANDONED,
        RiskFlag.INJURY_OR_ABUSE,
        RiskFlag.SEXUAL_HARM,
        RiskFlag.BEGGING,
        RiskFlag.OTHER_DANGER,
    } == REPORTABLE
    assert RiskFlag.UNDER_8_UNATTENDED in applicable(7)
    assert RiskFlag.UNDER_8_UNATTENDED not in applicable(8)
    assert RiskFlag.UNDER_16_ALONE not in applicable(16)


def test_follow_up_needed_opens_a_task_for_the_township_supervisor(
    personas: dict[str, User], other_personas: dict[str, User], child: Any
) -> None:
    visit = record(personas["child_director"], MinorSeen(child.pk), follow_up_needed=True)
    task = VisitTask.objects.get(visit=visit)
    assert (task.kind, task.assigned_role, task.area_code) == (
        VisitTask.Kind.FOLLOW_UP,
        "child_supervisor",
        visit.area_code,
    )
    assert task.assigned_to is None and task.minor is None
    assert timedelta(days=6) < task.due_at - timezone.now() <= timedelta(days=7)
    assert recipients(f"visits.follow_up:{visit.pk}") == {personas["child_supervisor"].pk}
    assert (
        tasks_visible_to(personas["child_supervisor"])
        .filter(my_tasks_q(personas["child_supervisor"]))
        .get()
        == task
    )
    assert not tasks_visible_to(other_personas["child_supervisor"]).exists()


def test_refer_to_centre_sends_the_follow_up_to_the_centre(
    personas: dict[str, User], child: Any
) -> None:
    visit = record(
        personas["child_director"], MinorSeen(child.pk), follow_up_needed=True, refer_to_centre=True
    )
    task = VisitTask.objects.get(visit=visit)
    assert (task.kind, task.assigned_role) == (VisitTask.Kind.REFERRAL, "center_staff")
    assert recipients(f"visits.follow_up:{visit.pk}") == {personas["center_staff"].pk}


def test_refer_to_centre_alone_asks_for_nothing(personas: dict[str, User], child: Any) -> None:
    visit = record(personas["child_director"], MinorSeen(child.pk), refer_to_centre=True)
    assert not visit.refer_to_centre
    assert not VisitTask.objects.exists()


def test_a_guardianship_risk_alerts_the_supervisor_and_opens_no_police_task(
    personas: dict[str, User], young: Any
) -> None:
    visit = record(personas["child_director"], MinorSeen(young.pk, ("under_8_unattended",)))
    assert not VisitTask.objects.exists()
    message = OutboxMessage.objects.get(dedupe_key=f"visits.risk:{visit.pk}")
    assert set(message.payload["recipients"]) == {personas["child_supervisor"].pk}
    assert message.payload["level"] == Notification.Level.WARNING
    assert message.payload["title"] == "A visit in 花桥街镇 / 石门村 found a guardianship risk"


def test_a_reportable_risk_opens_a_police_task_for_the_visitor_and_tells_the_centre(
    personas: dict[str, User], young: Any, child: Any
) -> None:
    director = personas["child_director"]
    visit = record(
        director,
        MinorSeen(young.pk, ("under_16_alone", "under_8_unattended")),
        MinorSeen(child.pk),
        kind=Visit.Kind.SCHOOL,
    )
    task = VisitTask.objects.get(visit=visit)
    assert (task.kind, task.minor_id, task.assigned_to_id, task.flags) == (
        VisitTask.Kind.REPORT_POLICE,
        young.pk,
        director.pk,
        ["under_16_alone"],
    )
    assert task.due_at - timezone.now() <= timedelta(hours=24)
    message = OutboxMessage.objects.get(dedupe_key=f"visits.risk:{visit.pk}")
    assert message.payload["level"] == Notification.Level.URGENT
    assert set(message.payload["recipients"]) == {
        personas["child_supervisor"].pk,
        personas["center_staff"].pk,
    }
    drain()
    told = Notification.objects.get(recipient=personas["center_staff"])
    assert young.name not in told.title + told.body  # it may leave by e-mail
    assert tasks_visible_to(director).filter(my_tasks_q(director)).get() == task


def test_with_no_supervisor_in_post_the_district_administrator_is_told(
    personas: dict[str, User], child: Any
) -> None:
    RoleAssignment.objects.filter(role="child_supervisor").update(revoked_at=timezone.now())
    visit = record(personas["child_director"], MinorSeen(child.pk), follow_up_needed=True)
    assert recipients(f"visits.follow_up:{visit.pk}") == {personas["district_admin"].pk}


def test_a_police_task_closes_only_with_a_receipt_or_a_reason(
    personas: dict[str, User], young: Any
) -> None:
    director = personas["child_director"]
    record(director, MinorSeen(young.pk, ("missing",)))
    task = VisitTask.objects.get()
    with pytest.raises(ValidationError) as caught:
        task_complete(actor=director, task=task, outcome="")
    assert caught.value.message_dict == {
        "police_receipt": [
            "Give the police's receipt number, or write why the report was not made."
        ]
    }
    with pytest.raises(PermissionDenied):
        task_complete(actor=personas["child_supervisor"], task=task, outcome="", police_receipt="1")
    done = task_complete(actor=director, task=task, outcome="", police_receipt="冷公(2026)123号")
    assert (done.status, done.police_receipt, done.done_by) == (
        VisitTask.Status.DONE,
        "冷公(2026)123号",
        director,
    )
    with pytest.raises(ValidationError):
        task_complete(actor=director, task=task, outcome="again", police_receipt="1")


def test_a_follow_up_is_closed_by_a_supervisor_over_its_village_with_what_was_done(
    personas: dict[str, User], other_personas: dict[str, User], child: Any
) -> None:
    record(personas["child_director"], MinorSeen(child.pk), follow_up_needed=True)
    task = VisitTask.objects.get()
    for outsider in (personas["child_director"], other_personas["child_supervisor"]):
        with pytest.raises(PermissionDenied):
            task_complete(actor=outsider, task=task, outcome="上门核实，已联系民政。")
    with pytest.raises(ValidationError):
        task_complete(actor=personas["child_supervisor"], task=task, outcome="ok")
    done = task_complete(
        actor=personas["child_supervisor"], task=task, outcome="上门核实，已联系民政。"
    )
    assert done.outcome == "上门核实，已联系民政。"
