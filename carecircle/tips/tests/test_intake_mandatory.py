"""A professional files a mandatory report (强制报告)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.tips.models import Category, Channel, Tip, TipEvent, Trigger, Urgency

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
URL = reverse("tips-intake:mandatory")
KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def _local(delta: timedelta) -> str:
    return timezone.localtime(timezone.now() - delta).strftime("%Y-%m-%dT%H:%M")


def report(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "trigger": Trigger.MULTIPLE_INJURIES,
        "reporter_sector": "school",
        "reporter_unit": "A-school",
        "child_description": "三年级男生，十岁左右",
        "found_at": _local(timedelta(hours=2)),
        "area_code": "431103101200",
        "description": "学生手臂和背上有多处淤青，说是在家被打的。",
        "police_reported": "on",
        "police_reported_at": _local(timedelta(hours=1)),
        "police_unit": "花桥派出所",
        "police_receipt": "JJ2026120700123",
        "notified": ["education", "civil_affairs"],
        "submission_key": KEY,
    }
    data.update(fields)
    return data


def test_the_page_says_the_police_come_first(client_for: ClientFor, personas: Any) -> None:
    response = client_for(personas["school_psych_teacher"]).get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "立即向公安机关报案" in body
    assert "cannot be closed without the police receipt number" in body
    assert 'value="A-school"' in body  # the unit, from the teacher's school


def test_a_teacher_files_a_report(client_for: ClientFor, personas: Any) -> None:
    teacher = personas["school_psych_teacher"]
    response = client_for(teacher).post(URL, report())
    tip = Tip.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tips:detail", args=[tip.pk])
    assert tip.channel == Channel.MANDATORY and tip.reporter_user == teacher
    assert tip.category == Category.ABUSE  # from the situation
    assert tip.urgency >= Urgency.URGENT
    assert tip.police_receipt == "JJ2026120700123" and tip.police_unit == "花桥派出所"
    assert tip.notified == ["civil_affairs", "education"]
    assert tip.events.filter(kind=TipEvent.Kind.POLICE).exists()


def test_a_report_sent_twice_is_one(client_for: ClientFor, personas: Any) -> None:
    client = client_for(personas["school_psych_teacher"])
    client.post(URL, report())
    assert client.post(URL, report()).status_code == 302
    assert Tip.objects.count() == 1


def test_without_a_receipt_the_reason_is_kept_and_the_police_recalled(
    client_for: ClientFor, personas: Any
) -> None:
    response = client_for(personas["hospital_clinician"]).post(
        URL,
        report(
            police_reported="",
            police_reported_at="",
            police_unit="",
            police_receipt="",
            police_reason="家长在场，先安置孩子，稍后报警",
            reporter_sector="medical",
        ),
        follow=True,
    )
    tip = Tip.objects.get()
    assert tip.police_reason == "家长在场，先安置孩子，稍后报警"
    assert tip.police_reported_at is None
    assert "Report it to the police now" in response.content.decode()


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"trigger": ""}, "trigger"),
        ({"reporter_sector": "bakery"}, "reporter_sector"),
        ({"found_at": _local(-timedelta(days=1))}, "found_at"),
        ({"police_unit": ""}, "police_unit"),
        ({"police_reported": ""}, "police_reported"),
        ({"police_reported_at": _local(timedelta(days=1))}, "police_reported_at"),
        ({"area_code": "431102001001"}, "area_code"),
        ({"submission_key": "reused"}, "submission_key"),
    ],
)
def test_it_refuses_bad_input(
    client_for: ClientFor, personas: Any, bad: dict[str, Any], field: str
) -> None:
    response = client_for(personas["school_psych_teacher"]).post(URL, report(**bad))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Tip.objects.exists()


def test_a_school_reports_anywhere_in_its_county(client_for: ClientFor, personas: Any) -> None:
    # School A sits in 431103101; its pupils live across 冷水滩区.
    response = client_for(personas["school_admin"]).post(URL, report(area_code="431103102200"))
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["analyst", "auditor", "sysadmin"])
def test_roles_that_meet_no_child_get_403(client_for: ClientFor, personas: Any, role: str) -> None:
    client = client_for(personas[role])
    assert client.get(URL).status_code == 403
    assert client.post(URL, report()).status_code == 403
    assert not Tip.objects.exists()


def test_anonymous_visitors_go_to_sign_in(db: None) -> None:
    assert Client().get(URL).status_code == 302


def test_a_report_from_the_childs_record_links_the_child(
    client_for: ClientFor, personas: Any, minor_a: Any
) -> None:
    from carecircle.people.timeline import timeline_for

    teacher = personas["school_psych_teacher"]
    client = client_for(teacher)
    page = client.get(URL, {"minor": minor_a.pk})
    assert f"About {minor_a.name}, from the registry." in page.content.decode()
    response = client.post(URL, report(minor=minor_a.pk, child_description=""))
    assert response.status_code == 302
    tip = Tip.objects.get()
    assert list(tip.minors.all()) == [minor_a]
    assert tip.events.filter(kind=TipEvent.Kind.LINKED).exists()
    # The reporter reads their report, so it is on the child's timeline for them.
    kinds = [e.kind for e in timeline_for(teacher, minor_a).entries]
    assert "tip" in kinds


def test_a_child_the_reporter_may_not_read_is_refused(
    client_for: ClientFor, personas: Any, minor_b: Any
) -> None:
    teacher = personas["school_psych_teacher"]  # school A; minor b is at school B
    response = client_for(teacher).post(URL, report(minor=minor_b.pk))
    assert response.status_code == 400
    assert "minor" in response.context["form"].errors
    assert not Tip.objects.exists()
    # A link to such a child shows no name either.
    page = client_for(teacher).get(URL, {"minor": minor_b.pk})
    assert minor_b.name not in page.content.decode()


def test_without_a_child_of_the_registry_a_description_is_needed(
    client_for: ClientFor, personas: Any
) -> None:
    response = client_for(personas["school_psych_teacher"]).post(URL, report(child_description=""))
    assert response.status_code == 400
    assert "Describe the child" in response.content.decode()
