"""Reminders before a visit is due and escalation when overdue: each sent once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from carecircle.accounts.models import RoleAssignment, User
from carecircle.notifications.models import Notification, OutboxMessage
from carecircle.notifications.outbox import PERIODIC, drain
from carecircle.people.models import Minor
from carecircle.testing.fixtures import AREA_B
from carecircle.visits.jobs import escalate_run, remind_run
from carecircle.visits.models import VisitNotice
from carecircle.visits.tests.factories import MinorFactory, in_category, registered_on, visit

pytestmark = pytest.mark.django_db
ON = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def orphan(name: str, last: date, area: str | None = None) -> Minor:
    extra = {"area_code": area} if area else {}
    minor = registered_on(MinorFactory.create(name=name, **extra), date(2026, 1, 1))
    in_category(minor, "orphan")
    visit(last, minor)
    return minor


@pytest.fixture
def kids(district: Any) -> dict[str, Minor]:
    return {
        "soon": orphan("近", date(2026, 5, 18)),  # due 06-17: within 3 days
        "also": orphan("也", date(2026, 5, 16)),  # due 06-15: today
        "later": orphan("远", date(2026, 6, 1)),  # due 07-01
        "late": orphan("迟", date(2026, 4, 1)),  # due 05-01: overdue
        "late_b": orphan("乙", date(2026, 4, 1), area=AREA_B),
    }


def messages(prefix: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(dedupe_key__startswith=prefix).order_by("pk"))


def test_both_jobs_are_registered_as_periodic() -> None:
    assert {"visits.remind", "visits.escalate"} <= set(PERIODIC)


def test_the_director_is_reminded_once_of_the_children_due_within_three_days(
    kids: dict[str, Minor], personas: dict[str, User]
) -> None:
    assert remind_run(on=ON) == 2
    [message] = messages("visits.reminder:")
    assert message.payload["recipients"] == [personas["child_director"].pk]
    assert message.payload["title"] == (
        "2 children in 花桥街镇 / 石门村 are due for a visit by 2026-06-17"
    )
    assert set(
        VisitNotice.objects.filter(kind=VisitNotice.Kind.REMINDER).values_list("minor_id", "due_on")
    ) == {(kids["soon"].pk, date(2026, 6, 17)), (kids["also"].pk, date(2026, 6, 15))}
    # The next runs, that day or the next, tell nobody again.
    assert remind_run(on=ON) == 0
    assert remind_run(on=date(2026, 6, 16)) == 0
    assert len(messages("visits.reminder:")) == 1
    drain()
    note = Notification.objects.get(recipient=personas["child_director"])
    assert "近" not in note.title + note.body and note.link


def test_a_new_visit_makes_a_new_due_day_and_a_new_reminder(
    kids: dict[str, Minor], personas: dict[str, User]
) -> None:
    remind_run(on=ON)
    visit(date(2026, 6, 15), kids["soon"])  # next due 07-15
    # On 07-12 only 近 falls due within three days (07-15); the others are overdue by then.
    assert remind_run(on=date(2026, 7, 12)) == 1
    assert VisitNotice.objects.filter(minor=kids["soon"], due_on=date(2026, 7, 15)).exists()


def test_the_supervisor_over_each_village_is_told_once_of_overdue_children(
    kids: dict[str, Minor], personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    assert escalate_run(on=ON) == 2
    sent = {tuple(m.payload["recipients"]): m.payload for m in messages("visits.escalation:")}
    assert set(sent) == {
        (personas["child_supervisor"].pk,),
        (other_personas["child_supervisor"].pk,),
    }
    assert sent[(personas["child_supervisor"].pk,)]["level"] == Notification.Level.WARNING
    assert escalate_run(on=ON) == 0
    assert len(messages("visits.escalation:")) == 2
    # By 06-30 the two due on 06-15 and 06-17 are overdue too: told once, then never.
    assert escalate_run(on=date(2026, 6, 30)) == 2
    assert escalate_run(on=date(2026, 7, 1)) == 0


def test_with_no_director_the_reminder_goes_up_and_with_nobody_it_waits(
    kids: dict[str, Minor], personas: dict[str, User]
) -> None:
    RoleAssignment.objects.filter(role="child_director").update(revoked_at=timezone.now())
    remind_run(on=ON)
    [message] = messages("visits.reminder:")
    assert message.payload["recipients"] == [personas["child_supervisor"].pk]
    RoleAssignment.objects.filter(role__in=["child_supervisor", "district_admin"]).update(
        revoked_at=timezone.now()
    )
    assert escalate_run(on=ON) == 0
    assert not VisitNotice.objects.filter(kind=VisitNotice.Kind.ESCALATION).exists()


def test_the_command_runs_both_jobs_once(kids: dict[str, Minor], personas: dict[str, User]) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("send_visit_reminders", "--on", ON.isoformat(), stdout=out)
    assert out.getvalue().strip() == "reminded: 2 children; escalated: 2 children"
    call_command("send_visit_reminders", "--on", ON.isoformat(), stdout=out)
    assert out.getvalue().strip().endswith("reminded: 0 children; escalated: 0 children")
