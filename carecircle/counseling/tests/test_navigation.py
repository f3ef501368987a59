"""The menu leads to the rooms, the referrals and the case dashboard those who reach
them, and only them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User

pytestmark = pytest.mark.django_db


def _menu(client: Client) -> set[str]:
    home = client.get(reverse("accounts:home"))
    assert home.status_code == 200
    return {item["url"] for item in home.context["nav_items"]}


@pytest.mark.parametrize(
    ("role", "rooms", "dashboard"),
    [
        ("counselor", True, True),
        ("center_staff", True, True),
        ("school_psych_teacher", True, True),
        ("hospital_clinician", False, False),
        ("agency_officer", False, False),
        ("analyst", False, False),
    ],
)
def test_the_menu_shows_rooms_and_the_case_dashboard_to_those_who_reach_them(
    personas: dict[str, User],
    client_for: Callable[[User], Client],
    role: str,
    rooms: bool,
    dashboard: bool,
) -> None:
    urls = _menu(client_for(personas[role]))
    assert (reverse("counseling:room-list") in urls) is rooms
    assert (reverse("case-dashboards:overdue") in urls) is dashboard


def test_a_receiver_is_led_to_the_inbox_and_a_sender_to_the_referrals_of_their_cases(
    personas: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    clinician = _menu(client_for(personas["hospital_clinician"]))
    assert reverse("referrals:inbox") in clinician
    counselor = _menu(client_for(personas["counselor"]))
    assert reverse("referrals:outbox") in counselor
    assert reverse("referrals:inbox") not in counselor
