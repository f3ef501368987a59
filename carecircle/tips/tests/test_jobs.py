"""Overdue tips are escalated once per clock, to the desk and the handler."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carecircle.notifications.models import OutboxMessage
from carecircle.notifications.outbox import PERIODIC
from carecircle.tips.jobs import escalate_run, overdue
from carecircle.tips.models import Dispatch, Status, Tip, TipEvent
from carecircle.tips.tests.factories import tip

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def escalations(made: Tip) -> list[str]:
    rows = OutboxMessage.objects.filter(dedupe_key__startswith=f"tips.escalate:{made.pk}:")
    return [str(key) for key in rows.order_by("pk").values_list("dedupe_key", flat=True)]


def test_the_jobs_are_registered() -> None:
    assert {"tips.escalate", "tips.throttle_purge"} <= set(PERIODIC)


def test_an_unacknowledged_tip_is_escalated_once_to_desk_and_handler(personas: Any) -> None:
    made = tip(reporter_contact="13800000000")
    Tip.objects.filter(pk=made.pk).update(handler=personas["social_worker"])
    later = made.ack_due + timedelta(minutes=1)
    assert escalate_run(now=later) == 1
    made.refresh_from_db()
    assert made.escalated == ["ack"]
    assert made.events.filter(kind=TipEvent.Kind.ESCALATED).count() == 1
    [message] = OutboxMessage.objects.filter(dedupe_key=f"tips.escalate:{made.pk}:ack")
    assert personas["center_staff"].pk in message.payload["recipients"]
    assert personas["social_worker"].pk in message.payload["recipients"]
    assert message.payload["title"] == f"Report {made.number} was not acknowledged in time"
    assert "邻居" not in message.payload["body"]
    # The next runs send nothing more for that clock.
    assert escalate_run(now=later) == 0
    assert escalate_run(now=later + timedelta(minutes=5)) == 0


def test_each_clock_is_escalated_on_its_own(personas: Any) -> None:
    made = tip(reporter_contact="13800000000")
    assert escalate_run(now=made.close_due + timedelta(minutes=1)) == 3
    assert escalations(made) == [
        f"tips.escalate:{made.pk}:ack",
        f"tips.escalate:{made.pk}:contact",
        f"tips.escalate:{made.pk}:close",
    ]


def test_an_unreachable_reporter_has_no_contact_clock(personas: Any) -> None:
    made = tip(anonymous=True)
    escalate_run(now=made.contact_due + timedelta(minutes=1))
    made.refresh_from_db()
    assert made.escalated == ["ack"]


def test_steps_done_in_time_are_not_escalated(personas: Any) -> None:
    made = tip()
    Tip.objects.filter(pk=made.pk).update(acknowledged_at=timezone.now())
    assert escalate_run(now=made.ack_due + timedelta(minutes=1)) == 0


def test_closed_tips_are_left_alone(personas: Any) -> None:
    made = tip()
    Tip.objects.filter(pk=made.pk).update(status=Status.CLOSED, closed_at=timezone.now())
    assert escalate_run(now=made.close_due + timedelta(days=1)) == 0


def test_a_dispatch_waiting_past_its_limit_is_escalated(personas: Any, district: Any) -> None:
    made = tip()
    Tip.objects.filter(pk=made.pk).update(acknowledged_at=timezone.now(), status=Status.DISPATCHED)
    dispatch = Dispatch.objects.create(
        tip=made,
        organisation=district["orgs"]["police_A"],
        dispatched_by=personas["center_staff"],
        ack_due=timezone.now() + timedelta(hours=1),
    )
    assert escalate_run(now=timezone.now()) == 0
    assert escalate_run(now=dispatch.ack_due + timedelta(minutes=1)) == 1
    made.refresh_from_db()
    assert made.escalated == [f"dispatch:{dispatch.pk}"]
    Dispatch.objects.filter(pk=dispatch.pk).update(status=Dispatch.Status.ACKNOWLEDGED)
    assert escalate_run(now=dispatch.ack_due + timedelta(hours=2)) == 0


def test_nobody_to_tell_still_records_the_escalation(district: Any) -> None:
    made = tip(area_code="431102001001")
    assert escalate_run(now=made.ack_due + timedelta(minutes=1)) == 1
    assert not OutboxMessage.objects.filter(dedupe_key__startswith="tips.escalate:").exists()


def test_the_purge_job_deletes_old_counters(db: None) -> None:
    from carecircle.tips.models import ThrottleHit

    ThrottleHit.objects.create(key="k", bucket=timezone.now() - timedelta(hours=3), count=1)
    PERIODIC["tips.throttle_purge"].run()
    assert not ThrottleHit.objects.exists()


def test_a_suspected_abuse_without_police_receipt_is_escalated_after_a_day(personas: Any) -> None:
    from carecircle.tips import handling
    from carecircle.tips.models import Category

    made = tip(category=Category.ABUSE, description="孩子身上常有伤", reporter_contact="1")
    handling.tip_acknowledge(actor=personas["center_staff"], tip=made)
    handling.tip_record_contact(actor=personas["center_staff"], tip=made)
    soon = made.received_at + timedelta(hours=23)
    assert (made.pk, "police") not in overdue(soon)
    later = made.received_at + timedelta(hours=25)
    escalate_run(now=later)
    made.refresh_from_db()
    assert "police" in made.escalated
    [message] = OutboxMessage.objects.filter(dedupe_key=f"tips.escalate:{made.pk}:police")
    assert message.payload["title"] == f"Report {made.number} is not yet reported to the police"
    # A receipt recorded in time: nothing to escalate.
    other = tip(category=Category.SEXUAL_HARM, description="疑似猥亵")
    handling.tip_acknowledge(actor=personas["center_staff"], tip=other)
    handling.tip_record_police(
        actor=personas["center_staff"],
        tip=other,
        unit="花桥派出所",
        receipt="R-1",
        reported_at=timezone.now(),
    )
    escalate_run(now=later)
    other.refresh_from_db()
    assert "police" not in other.escalated


def test_a_report_the_police_must_have_does_not_close_without_their_receipt(personas: Any) -> None:
    from django.core.exceptions import ValidationError

    from carecircle.tips import handling
    from carecircle.tips.models import Category

    made = tip(category=Category.SEXUAL_HARM, description="疑似猥亵")
    desk = personas["center_staff"]
    handling.tip_acknowledge(actor=desk, tip=made)
    with pytest.raises(ValidationError, match="reported to the police"):
        handling.tip_close(actor=desk, tip=made, outcome="resolved", note="已处理")
    handling.tip_record_police(actor=desk, tip=made, reason="家长已自行报案，回执在家长处")
    handling.tip_close(actor=desk, tip=made, outcome="resolved", note="已处理")
    assert Tip.objects.get(pk=made.pk).status == Status.CLOSED
