"""A 12345 operator types a ticket: idempotent by its number, scoped to the operator's area."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.tips.models import Channel, Tip, TipEvent, Urgency

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
URL = reverse("tips-intake:hotline")


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def ticket(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_number": "12345-20261207-0042",
        "request_type": "report",
        "category": "neglect",
        "urgency": str(Urgency.GENERAL),
        "area_code": "431103101200",
        "description": "来电人说邻居家两个孩子白天没人管，晚上很晚才有大人回来。",
        "child_description": "两个男孩，大约七八岁",
        "caller": "named",
        "reporter_name": "王女士",
        "reporter_contact": "13800000000",
        "transferred_from": ["12356"],
        "transferred_to": ["110"],
        "handoff_note": "12356 转来；已同步告知 110 出警",
    }
    data.update(fields)
    return data


def test_it_shows_the_form_to_an_operator(client_for: ClientFor, personas: Any) -> None:
    response = client_for(personas["hotline_operator"]).get(URL)
    assert response.status_code == 200
    assert "石门村" in response.content.decode()  # a village of the operator's district


def test_it_enters_a_ticket_with_its_hand_offs(client_for: ClientFor, personas: Any) -> None:
    operator = personas["hotline_operator"]
    response = client_for(operator).post(URL, ticket())
    tip = Tip.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tips:detail", args=[tip.pk])
    assert tip.channel == Channel.HOTLINE
    assert tip.external_number == "12345-20261207-0042"
    assert tip.entered_by == operator and tip.reporter_name == "王女士"
    first = tip.events.get(kind=TipEvent.Kind.RECEIVED)
    assert first.details["handoffs"] == {
        "transferred_from": ["12356"],
        "transferred_to": ["110"],
        "handoff_note": "12356 转来；已同步告知 110 出警",
    }
    assert len(first.details["digest"]) == 64


def test_the_same_number_again_shows_the_tip_first_made(
    client_for: ClientFor, personas: Any
) -> None:
    client = client_for(personas["hotline_operator"])
    client.post(URL, ticket())
    response = client.post(URL, ticket(description="第二次输入"), follow=True)
    assert Tip.objects.count() == 1
    assert "This number was entered before, as report" in response.content.decode()


def test_another_operator_is_told_the_number_is_taken(
    client_for: ClientFor, personas: Any, district: Any
) -> None:
    from carecircle.testing.fixtures import grant, make_user

    client_for(personas["hotline_operator"]).post(URL, ticket())
    colleague = make_user("operator2")
    grant(colleague, "hotline_operator", prefix="431103")
    response = client_for(colleague).post(URL, ticket())
    assert response.status_code == 409
    assert "entered before by someone else" in response.content.decode()
    assert Tip.objects.count() == 1


def test_the_operator_may_only_raise_the_urgency_through_words(
    client_for: ClientFor, personas: Any
) -> None:
    client_for(personas["hotline_operator"]).post(
        URL, ticket(urgency=str(Urgency.URGENT), description="孩子说不想活了")
    )
    assert Tip.objects.get().urgency == Urgency.EMERGENCY


def test_an_anonymous_caller_leaves_no_identity(client_for: ClientFor, personas: Any) -> None:
    response = client_for(personas["hotline_operator"]).post(
        URL, ticket(caller="anonymous", reporter_name="", reporter_contact="")
    )
    assert response.status_code == 302
    tip = Tip.objects.get()
    assert tip.anonymous and tip.reporter_name == "" and not tip.reachable


def test_an_anonymous_caller_with_a_name_is_refused(client_for: ClientFor, personas: Any) -> None:
    response = client_for(personas["hotline_operator"]).post(URL, ticket(caller="anonymous"))
    assert response.status_code == 400
    assert "An anonymous caller leaves no name" in response.content.decode()
    assert not Tip.objects.exists()


def test_confidentiality_is_noted(client_for: ClientFor, personas: Any) -> None:
    client_for(personas["hotline_operator"]).post(URL, ticket(caller="confidential"))
    first = Tip.objects.get().events.get(kind=TipEvent.Kind.RECEIVED)
    assert first.details["confidential"] is True


@pytest.mark.parametrize(
    "bad",
    [
        {"external_number": ""},
        {"external_number": "12345 0042"},
        {"description": ""},
        {"category": "gossip"},
        {"urgency": "9"},
        {"transferred_to": ["999"]},
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(
    client_for: ClientFor, personas: Any, bad: dict[str, Any]
) -> None:
    response = client_for(personas["hotline_operator"]).post(URL, ticket(**bad))
    assert response.status_code == 400
    assert not Tip.objects.exists()


def test_an_area_outside_the_operator_is_refused(client_for: ClientFor, personas: Any) -> None:
    response = client_for(personas["hotline_operator"]).post(URL, ticket(area_code="431102001001"))
    assert response.status_code == 400
    assert "Choose a division within your area." in response.content.decode()
    assert not Tip.objects.exists()


@pytest.mark.parametrize("role", ["child_director", "school_admin", "analyst", "volunteer"])
def test_other_roles_get_403(client_for: ClientFor, personas: Any, role: str) -> None:
    client = client_for(personas[role])
    assert client.get(URL).status_code == 403
    assert client.post(URL, ticket()).status_code == 403
    assert not Tip.objects.exists()


def test_the_desk_may_enter_a_ticket(client_for: ClientFor, personas: Any) -> None:
    assert client_for(personas["center_staff"]).post(URL, ticket()).status_code == 302


def test_anonymous_visitors_go_to_sign_in(db: None) -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_it_refuses_other_methods(client_for: ClientFor, personas: Any) -> None:
    assert client_for(personas["hotline_operator"]).put(URL).status_code == 405
