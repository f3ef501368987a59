"""The menu leads to the reports queue those who reach reports, and only them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("center_staff", True),
        ("hotline_operator", True),
        ("agency_officer", True),
        ("child_director", True),  # files mandatory reports and reads their own
        ("analyst", False),
        ("auditor", False),
        ("sysadmin", False),
    ],
)
def test_the_menu_links_to_the_queue_for_those_who_reach_reports(
    personas: dict[str, User], client_for: Callable[[User], Client], role: str, shown: bool
) -> None:
    home = client_for(personas[role]).get(reverse("accounts:home"))
    assert home.status_code == 200
    urls = {item["url"] for item in home.context["nav_items"]}
    assert (reverse("tips:queue") in urls) is shown
