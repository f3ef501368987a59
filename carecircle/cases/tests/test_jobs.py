"""Missed crisis steps and overdue tasks are escalated once, to the supervisors and
the owner, naming the case and never the child."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carecircle.cases import services
from carecircle.cases.jobs import escalate_run, overdue
from carecircle.cases.models import Case, CaseEvent, CaseTask, Kind, Risk, Source, Status
from carecircle.notifications.models import OutboxMessage
from carecircle.notifications.outbox import PERIODIC
from carecircle.people.models import Minor

pytestmark = pytest.mark.django_db

SAFETY_PLAN = "24小时有人陪护，收走危险物品。"


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def open_case(actor: Any, minor: Minor, **fields: Any) -> Case:
    values: dict[str, Any] = {
        "kind": Kind.CRISIS,
        "source": Source.WALK_IN,
        "summary": "孩子说过不想活了，有具体计划。",
        "risk": Risk.RED_CRITICAL,
    }
    values.update(fields)
    return services.case_open(actor=actor, minor=minor, **values)


def escalations(prefix: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(dedupe_key__startswith=prefix).order_by("pk"))


def done_follow_ups(case: Case) -> None:
    """Keep the daily follow-up out of the way of a crisis-step test."""
    case.tasks.update(due_at=timezone.now() + timedelta(days=30))


def test_the_job_is_registered() -> None:
    assert "cases.escalate" in PERIODIC


def test_a_crisis_without_safety_plan_or_guardian_told_is_escalated_once(
    personas: Any, minor_a: Minor
) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    done_follow_ups(case)
    assert escalate_run(now=timezone.now() + timedelta(hours=23)) == 0
    later = timezone.now() + timedelta(hours=25)
    assert escalate_run(now=later) == 1
    [message] = escalations(f"cases.escalate:{case.pk}:crisis:")
    assert set(message.payload["recipients"]) == {
        personas["center_staff"].pk,
        personas["district_admin"].pk,
        counselor.pk,
    }
    assert message.payload["level"] == "urgent"
    assert message.payload["title"] == (
        f"Case {case.number} is in crisis and a protocol step was missed"
    )
    assert message.payload["body"] == (
        f"Case {case.number}: no safety plan, the guardian not told."
    )
    assert minor_a.name not in str(message.payload)
    assert CaseEvent.objects.filter(case=case, kind="escalated").count() == 1
    # Later runs send nothing more for that crisis.
    assert escalate_run(now=later) == 0
    assert escalate_run(now=later + timedelta(days=1)) == 0


def test_one_missing_step_is_enough(personas: Any, minor_a: Minor) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    done_follow_ups(case)
    services.case_record_crisis(actor=counselor, case=case, safety_plan=SAFETY_PLAN)
    assert escalate_run(now=timezone.now() + timedelta(hours=25)) == 1
    [message] = escalations(f"cases.escalate:{case.pk}:crisis:")
    assert message.payload["body"] == f"Case {case.number}: the guardian not told."


def test_a_crisis_with_its_steps_done_is_not_escalated(personas: Any, minor_a: Minor) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    done_follow_ups(case)
    services.case_record_crisis(
        actor=counselor, case=case, safety_plan=SAFETY_PLAN, guardian_told=True
    )
    assert escalate_run(now=timezone.now() + timedelta(hours=25)) == 0


def test_the_crisis_hours_are_configurable(personas: Any, minor_a: Minor, settings: Any) -> None:
    settings.CARECIRCLE_CASE_CRISIS_HOURS = 2
    case = open_case(personas["counselor"], minor_a)
    done_follow_ups(case)
    assert escalate_run(now=timezone.now() + timedelta(hours=1)) == 0
    assert escalate_run(now=timezone.now() + timedelta(hours=3)) == 1


def test_the_clock_starts_when_the_case_enters_the_crisis(personas: Any, minor_a: Minor) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a, risk=Risk.YELLOW)
    Case.objects.filter(pk=case.pk).update(opened_at=timezone.now() - timedelta(days=10))
    services.case_set_risk(
        actor=counselor, case=case, risk=Risk.RED_CRITICAL, reasons="孩子说过不想活了。"
    )
    done_follow_ups(case)
    assert escalate_run(now=timezone.now() + timedelta(hours=23)) == 0
    assert escalate_run(now=timezone.now() + timedelta(hours=25)) == 1


def test_a_new_crisis_is_escalated_again(personas: Any, minor_a: Minor) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    done_follow_ups(case)
    first = timezone.now() + timedelta(hours=25)
    assert escalate_run(now=first) == 1
    services.case_set_risk(actor=counselor, case=case, risk=Risk.RED, reasons="已住院，情况稳定。")
    assert escalate_run(now=first + timedelta(hours=1)) == 0
    services.case_set_risk(
        actor=counselor, case=case, risk=Risk.RED_CRITICAL, reasons="出院后再次出现自伤。"
    )
    done_follow_ups(case)
    assert escalate_run(now=timezone.now() + timedelta(hours=25)) == 1
    assert len(escalations(f"cases.escalate:{case.pk}:crisis:")) == 2


def test_a_closed_or_calmer_case_is_left_alone(personas: Any, minor_a: Minor) -> None:
    case = open_case(personas["counselor"], minor_a)
    done_follow_ups(case)
    Case.objects.filter(pk=case.pk).update(risk=Risk.RED)
    assert escalate_run(now=timezone.now() + timedelta(days=2)) == 0
    Case.objects.filter(pk=case.pk).update(risk=Risk.RED_CRITICAL, status=Status.CLOSED)
    assert escalate_run(now=timezone.now() + timedelta(days=2)) == 0


def test_an_overdue_task_is_escalated_once_and_marked(personas: Any, minor_a: Minor) -> None:
    counselor, worker = personas["counselor"], personas["social_worker"]
    case = open_case(counselor, minor_a, kind=Kind.COUNSELING, risk=Risk.YELLOW)
    services.case_add_member(actor=counselor, case=case, user=worker)
    task = services.case_add_task(
        actor=counselor,
        case=case,
        title="联系张小明的班主任",
        assigned_to=worker,
        due_on=timezone.localdate(),
    )
    assert (("task", task.pk)) not in overdue(task.due_at - timedelta(minutes=1))
    later = task.due_at + timedelta(minutes=1)
    assert escalate_run(now=later) == 1
    task.refresh_from_db()
    assert task.escalated_at == later
    [message] = escalations(f"cases.escalate:task:{task.pk}")
    assert set(message.payload["recipients"]) == {
        personas["center_staff"].pk,
        personas["district_admin"].pk,
        counselor.pk,
        worker.pk,
    }
    assert message.payload["title"] == f"A task of case {case.number} is overdue"
    assert message.payload["body"].startswith(f"Case {case.number}: Task, due ")
    # Neither the child nor the task's own words (which name the child here).
    assert "张小明" not in str(message.payload)
    assert escalate_run(now=later + timedelta(hours=1)) == 0
    assert len(escalations("cases.escalate:task:")) == 1


def test_the_missed_daily_follow_up_is_urgent(personas: Any, minor_a: Minor) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    services.case_record_crisis(
        actor=counselor, case=case, safety_plan=SAFETY_PLAN, guardian_told=True
    )
    [task] = case.tasks.all()
    assert escalate_run(now=task.due_at + timedelta(minutes=1)) == 1
    [message] = escalations(f"cases.escalate:task:{task.pk}")
    assert message.payload["level"] == "urgent"
    assert "Daily crisis follow-up" in message.payload["body"]


def test_done_tasks_and_tasks_of_closed_cases_are_left_alone(personas: Any, minor_a: Minor) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a, kind=Kind.COUNSELING, risk=Risk.YELLOW)
    task = services.case_add_task(
        actor=counselor,
        case=case,
        title="联系班主任了解近况",
        assigned_to=counselor,
        due_on=timezone.localdate(),
    )
    services.case_complete_task(actor=counselor, task=task, note="已与班主任面谈。")
    later = task.due_at + timedelta(days=1)
    assert escalate_run(now=later) == 0
    CaseTask.objects.filter(pk=task.pk).update(status=CaseTask.Status.OPEN)
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    assert escalate_run(now=later) == 0
    assert not escalations("cases.escalate:")


def test_the_periodic_job_runs_the_escalation(personas: Any, minor_a: Minor) -> None:
    case = open_case(personas["counselor"], minor_a)
    CaseTask.objects.filter(case=case).update(due_at=timezone.now() - timedelta(minutes=1))
    PERIODIC["cases.escalate"].run()
    assert CaseTask.objects.get(case=case).escalated_at is not None


# --- The referrals' clocks (issue 7 items 3 and 5) -------------------------------------


def _refer(actor: Any, case: Case, organisation: Any) -> Any:
    from carecircle.cases.referrals.services import referral_send

    return referral_send(
        actor=actor,
        case=case,
        to_organisation=organisation,
        reason="请评估孩子的精神状况并给出处置意见",
        shared_items=["name"],
        basis="vital_interest",
    )


def test_the_referral_job_is_registered() -> None:
    assert "cases.referral_escalate" in PERIODIC


def test_a_referral_not_accepted_in_time_is_escalated_once(
    personas: Any, minor_a: Minor, district: Any, settings: Any
) -> None:
    from carecircle.cases.jobs import referral_escalate_run
    from carecircle.cases.models import Referral

    counselor = personas["counselor"]
    case = open_case(counselor, minor_a, risk=Risk.RED, kind=Kind.COUNSELING)
    referral = _refer(counselor, case, district["orgs"]["hospital_A"])
    hours = settings.CARECIRCLE_REFERRAL_ACCEPT_HOURS
    assert referral_escalate_run(now=timezone.now() + timedelta(hours=hours - 1)) == 0
    later = timezone.now() + timedelta(hours=hours + 1)
    assert referral_escalate_run(now=later) == 1
    [message] = escalations(f"cases.referral_escalate:{referral.pk}")
    assert set(message.payload["recipients"]) == {
        counselor.pk,
        personas["center_staff"].pk,
        personas["district_admin"].pk,
        personas["hospital_clinician"].pk,
    }
    assert referral.number in message.payload["title"]
    assert minor_a.name not in str(message.payload)
    referral.refresh_from_db()
    assert referral.escalated_at is not None
    assert referral.events.filter(kind="escalated").count() == 1
    assert referral_escalate_run(now=later + timedelta(days=1)) == 0
    assert Referral.objects.filter(escalated_at__isnull=False).count() == 1


def test_an_accepted_referral_is_not_escalated(
    personas: Any, minor_a: Minor, district: Any
) -> None:
    from carecircle.cases.jobs import referral_escalate_run
    from carecircle.cases.referrals.services import referral_accept

    counselor = personas["counselor"]
    case = open_case(counselor, minor_a, risk=Risk.RED, kind=Kind.COUNSELING)
    referral = _refer(counselor, case, district["orgs"]["hospital_A"])
    referral_accept(actor=personas["hospital_clinician"], referral=referral)
    assert referral_escalate_run(now=timezone.now() + timedelta(days=5)) == 0


def test_a_crisis_without_a_hospital_referral_is_escalated_once_per_crisis(
    personas: Any, minor_a: Minor, settings: Any
) -> None:
    from carecircle.cases.jobs import referral_escalate_run

    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    hours = settings.CARECIRCLE_CASE_CRISIS_REFERRAL_HOURS
    assert referral_escalate_run(now=timezone.now() + timedelta(hours=hours - 1)) == 0
    later = timezone.now() + timedelta(hours=hours + 1)
    assert referral_escalate_run(now=later) == 1
    [message] = escalations(f"cases.referral_escalate:{case.pk}:hospital:")
    assert set(message.payload["recipients"]) == {
        counselor.pk,
        personas["center_staff"].pk,
        personas["district_admin"].pk,
    }
    assert message.payload["level"] == "urgent"
    assert minor_a.name not in str(message.payload)
    assert referral_escalate_run(now=later + timedelta(days=1)) == 0
    assert (
        CaseEvent.objects.filter(case=case, kind="escalated", details__clock="hospital").count()
        == 1
    )
    # A new crisis starts a new clock.
    services.case_set_risk(actor=counselor, case=case, risk=Risk.RED, reasons="情绪有所平稳")
    services.case_set_risk(
        actor=counselor, case=case, risk=Risk.RED_CRITICAL, reasons="再次出现自伤行为"
    )
    assert referral_escalate_run(now=later + timedelta(days=3)) == 1


def test_a_crisis_referred_to_a_hospital_in_time_is_not_escalated(
    personas: Any, minor_a: Minor, district: Any
) -> None:
    from carecircle.cases.jobs import referral_escalate_run
    from carecircle.cases.referrals.services import referral_accept

    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    referral = _refer(counselor, case, district["orgs"]["hospital_A"])
    referral_accept(actor=personas["hospital_clinician"], referral=referral)
    assert referral_escalate_run(now=timezone.now() + timedelta(days=5)) == 0


def test_a_declined_hospital_referral_does_not_count(
    personas: Any, minor_a: Minor, district: Any, settings: Any
) -> None:
    from carecircle.cases.jobs import referral_escalate_run
    from carecircle.cases.referrals.services import referral_decline

    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    referral = _refer(counselor, case, district["orgs"]["hospital_A"])
    referral_decline(actor=personas["hospital_clinician"], referral=referral, reason="没有床位了")
    hours = settings.CARECIRCLE_CASE_CRISIS_REFERRAL_HOURS
    assert referral_escalate_run(now=timezone.now() + timedelta(hours=hours + 1)) == 1
    assert escalations(f"cases.referral_escalate:{case.pk}:hospital:")
