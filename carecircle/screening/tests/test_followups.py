"""Follow-ups of triaged results: who is told, deadlines, escalation, and the pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from freezegun import freeze_time

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.notifications.models import Notification
from carecircle.notifications.outbox import drain
from carecircle.people.models import Minor, SchoolClass
from carecircle.screening.followups import (
    escalate_overdue,
    followup_acknowledge,
    followup_complete,
)
from carecircle.screening.models import Campaign, FollowUp, Participant
from carecircle.screening.services import campaign_create, participants_issue, response_submit
from carecircle.testing.fixtures import _create_minor, verified_client

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
OPENS = datetime(2026, 3, 2, 8, tzinfo=TZ)
SUBMITTED = OPENS + timedelta(hours=1)
PHQ9 = {
    "green": [0, 1, 0, 1, 0, 1, 0, 0, 0],
    "yellow": [2, 2, 1, 1, 1, 1, 1, 1, 0],
    "red": [3, 3, 3, 3, 2, 2, 2, 2, 0],
    "red_critical": [0, 0, 0, 0, 0, 0, 0, 0, 1],
}


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


@pytest.fixture
def participant(district: dict[str, Any], personas: dict[str, User]) -> Participant:
    school = district["orgs"]["school_A"]
    grade = SchoolClass.objects.create(school=school, grade=8, name="2班")
    _create_minor(
        name="赵明",
        sex="M",
        birth_date=date(2012, 1, 1),
        area_code="431103101200",
        school=school,
        school_class=grade,
    )
    campaign = campaign_create(
        actor=personas["counselor"],
        school=school,
        name="春季筛查",
        opens_at=OPENS,
        closes_at=OPENS + timedelta(days=7),
        basis=Campaign.Basis.STATUTORY,
        statutory_basis="《未成年人保护法》第三十条",
        instruments=[("PHQ9", 12, 18)],
    )
    participants_issue(actor=personas["counselor"], campaign=campaign)
    return campaign.participants.get()


def _submit(participant: Participant, level: str) -> FollowUp | None:
    answers = {f"q{n}": value for n, value in enumerate(PHQ9[level], start=1)}
    with freeze_time(SUBMITTED):
        response = response_submit(participant=participant, code="PHQ9", answers=answers)
    assert response.triage == level
    return FollowUp.objects.filter(response=response).first()


def _notified(title: str) -> set[int]:
    """Who has a notification with this title once the worker has delivered the outbox
    (in the site's language, whoever caused it)."""
    drain()
    with translation.override(settings.LANGUAGE_CODE):
        title = gettext(title)
    return set(Notification.objects.filter(title=title).values_list("recipient_id", flat=True))


def test_red_critical_tells_the_teacher_and_the_centre_and_wants_an_acknowledgement(
    participant: Participant, personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    follow_up = _submit(participant, "red_critical")
    assert follow_up is not None
    assert (follow_up.kind, follow_up.status) == (FollowUp.Kind.ACKNOWLEDGE, FollowUp.Status.OPEN)
    assert follow_up.due_at == SUBMITTED + timedelta(hours=24)
    told = _notified("A screening result needs action today")
    expected = {personas[r].pk for r in ("school_psych_teacher", "center_staff", "counselor")}
    assert told == expected
    assert not told & {u.pk for u in other_personas.values()}
    assert not told & {personas[r].pk for r in ("school_admin", "child_director", "analyst")}


def test_yellow_waits_a_week_for_the_schools_teacher_and_green_opens_nothing(
    participant: Participant, personas: dict[str, User]
) -> None:
    follow_up = _submit(participant, "yellow")
    assert follow_up is not None and follow_up.kind == FollowUp.Kind.INTERVIEW
    assert follow_up.due_at == SUBMITTED + timedelta(days=7)
    told = _notified("A screening result needs a follow-up interview")
    assert told == {personas["school_psych_teacher"].pk}


def test_green_opens_nothing(participant: Participant) -> None:
    assert _submit(participant, "green") is None
    assert not FollowUp.objects.exists()


def test_red_is_an_interview_within_three_days(participant: Participant) -> None:
    follow_up = _submit(participant, "red")
    assert follow_up is not None
    assert follow_up.due_at == SUBMITTED + timedelta(days=3)


def test_an_overdue_follow_up_is_escalated_once_to_the_district_administrators(
    participant: Participant, personas: dict[str, User]
) -> None:
    follow_up = _submit(participant, "red_critical")
    assert follow_up is not None
    assert escalate_overdue(SUBMITTED + timedelta(hours=23)) == 0
    assert escalate_overdue(SUBMITTED + timedelta(hours=25)) == 1
    assert escalate_overdue(SUBMITTED + timedelta(hours=26)) == 0
    assert _notified("A screening follow-up is overdue") == {personas["district_admin"].pk}
    # Acknowledged in time: nothing to escalate.
    FollowUp.objects.update(escalated_at=None)
    followup_acknowledge(actor=personas["school_psych_teacher"], follow_up=follow_up)
    assert escalate_overdue(SUBMITTED + timedelta(hours=30)) == 0


def test_acting_on_a_follow_up_is_for_those_in_scope_and_is_audited(
    participant: Participant, personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    follow_up = _submit(participant, "red_critical")
    assert follow_up is not None
    for actor in (other_personas["counselor"], personas["school_admin"], personas["analyst"]):
        with pytest.raises(PermissionDenied):
            followup_acknowledge(actor=actor, follow_up=follow_up)
    followup_acknowledge(actor=personas["school_psych_teacher"], follow_up=follow_up)
    with pytest.raises(ValidationError):
        followup_acknowledge(actor=personas["counselor"], follow_up=follow_up)
    with pytest.raises(ValidationError):
        followup_complete(actor=personas["counselor"], follow_up=follow_up, outcome="  ")
    done = followup_complete(
        actor=personas["counselor"], follow_up=follow_up, outcome="当天面谈，已联系家长，转介医院。"
    )
    assert done.status == FollowUp.Status.DONE and done.outcome.startswith("当天面谈")
    assert (
        AuditEvent.objects.filter(
            object_type="screening.followup", action=AuditEvent.Action.UPDATE
        ).count()
        == 2
    )


def test_the_pages_show_the_follow_up_to_those_in_scope_only(
    participant: Participant, personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    follow_up = _submit(participant, "red_critical")
    assert follow_up is not None
    url = reverse("screening:follow-up", args=[follow_up.pk])
    teacher = verified_client(personas["school_psych_teacher"])
    listed = teacher.get(reverse("screening:follow-ups"))
    assert listed.status_code == 200 and "赵明" in listed.content.decode()
    page = teacher.get(url)
    assert page.status_code == 200 and "确认接收" in page.content.decode()
    assert AuditEvent.objects.filter(
        object_type="screening.followup", action=AuditEvent.Action.VIEW
    ).exists()
    assert verified_client(other_personas["counselor"]).get(url).status_code == 404
    assert verified_client(personas["school_admin"]).get(url).status_code == 403
    assert (
        verified_client(personas["child_director"]).get(reverse("screening:follow-ups")).status_code
        == 403
    )
    anonymous = verified_client(personas["counselor"])
    anonymous.logout()
    assert anonymous.get(url).status_code == 302
    assert teacher.delete(url).status_code == 405
    acknowledged = teacher.post(url, {"action": "acknowledge"})
    assert acknowledged.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.ACKNOWLEDGED
    refused = teacher.post(url, {"action": "complete", "outcome": ""})
    assert refused.status_code == 400
    teacher.post(url, {"action": "complete", "outcome": "已面谈"})
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.DONE
    assert "赵明" not in teacher.get(reverse("screening:follow-ups")).content.decode()


def test_a_screened_child_cannot_be_deleted_with_the_result(participant: Participant) -> None:
    _submit(participant, "red_critical")
    with pytest.raises(ProtectedError):
        Minor.objects.filter(pk=participant.minor_id).delete()
    assert FollowUp.objects.count() == 1
