"""The menu leads to the visits pages those who read visits, and only them."""

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
        ("child_director", True),
        ("child_supervisor", True),
        ("district_admin", True),
        ("counselor", True),
        ("school_psych_teacher", False),
        ("analyst", False),
    ],
)
def test_the_menu_links_to_the_visits_for_those_who_read_them(
    personas: dict[str, User], client_for: Callable[[User], Client], role: str, shown: bool
) -> None:
    home = client_for(personas[role]).get(reverse("accounts:home"))
    assert home.status_code == 200
    urls = {item["url"] for item in home.context["nav_items"]}
    assert (reverse("visits:home") in urls) is shown


def test_every_signed_in_page_loads_the_queue_so_signing_out_warns_of_unsent_visits(
    personas: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    # Signing out clears the browser's storage (Clear-Site-Data): from any page, the
    # script asks first when visits are still waiting on the phone.
    home = client_for(personas["child_director"]).get(reverse("accounts:home")).content.decode()
    assert home.count("visits/offline.js") == 1
    anonymous = Client().get(reverse("accounts:login")).content.decode()
    assert "visits/offline.js" not in anonymous
