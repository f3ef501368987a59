"""A school logs a note from its report box (防性侵举报箱)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.tips.models import Channel, Tip

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
URL = reverse("tips-intake:box")


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def note(district: Any, side: str = "A", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "school": district["orgs"][f"school_{side}"].pk,
        "opened_on": timezone.localdate().isoformat(),
        "log_number": "2026-07",
        "category": "sexual_harm",
        "description": "有老师课后单独留我，让我很害怕。",
    }
    data.update(fields)
    return data


def test_a_school_logs_a_note_from_its_box(
    client_for: ClientFor, personas: Any, district: Any
) -> None:
    teacher = personas["school_psych_teacher"]
    response = client_for(teacher).post(URL, note(district))
    tip = Tip.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tips:detail", args=[tip.pk])
    school = district["orgs"]["school_A"]
    assert tip.channel == Channel.REPORT_BOX
    assert tip.box_organisation == school and tip.area_code == school.division_id
    assert tip.external_number == f"{school.pk}-2026-07"
    assert tip.anonymous and tip.entered_by == teacher


def test_the_same_log_number_is_one_tip(
    client_for: ClientFor, personas: Any, district: Any
) -> None:
    client = client_for(personas["school_admin"])
    client.post(URL, note(district))
    response = client.post(URL, note(district), follow=True)
    assert Tip.objects.count() == 1
    assert "This number was entered before" in response.content.decode()


def test_two_schools_may_use_the_same_log_number(
    client_for: ClientFor, personas: Any, other_personas: Any, district: Any
) -> None:
    client_for(personas["school_admin"]).post(URL, note(district))
    client_for(other_personas["school_admin"]).post(URL, note(district, "B"))
    assert Tip.objects.count() == 2


def test_another_school_is_refused(client_for: ClientFor, personas: Any, district: Any) -> None:
    response = client_for(personas["school_admin"]).post(URL, note(district, "B"))
    assert response.status_code == 400
    assert "Choose one of your schools." in response.content.decode()
    assert not Tip.objects.exists()


def test_the_desk_logs_for_any_school_of_its_area(
    client_for: ClientFor, personas: Any, district: Any
) -> None:
    response = client_for(personas["center_staff"]).post(URL, note(district, "B"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    "bad",
    [
        {"log_number": ""},
        {"description": ""},
        {"opened_on": "not a day"},
        {"category": ""},
    ],
)
def test_it_refuses_bad_input(
    client_for: ClientFor, personas: Any, district: Any, bad: dict[str, Any]
) -> None:
    response = client_for(personas["school_admin"]).post(URL, note(district, **bad))
    assert response.status_code == 400
    assert not Tip.objects.exists()


def test_a_day_in_the_future_is_refused(
    client_for: ClientFor, personas: Any, district: Any
) -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client_for(personas["school_admin"]).post(URL, note(district, opened_on=tomorrow))
    assert response.status_code == 400
    assert "This day is in the future." in response.content.decode()


@pytest.mark.parametrize("role", ["hotline_operator", "child_director", "hospital_clinician"])
def test_other_roles_get_403(
    client_for: ClientFor, personas: Any, district: Any, role: str
) -> None:
    client = client_for(personas[role])
    assert client.get(URL).status_code == 403
    assert client.post(URL, note(district)).status_code == 403
    assert not Tip.objects.exists()


def test_anonymous_visitors_go_to_sign_in(db: None) -> None:
    assert Client().post(URL, {}).status_code == 302
    assert not Tip.objects.exists()
