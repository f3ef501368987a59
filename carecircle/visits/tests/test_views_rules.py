"""The visit rules page: the intervals in force, a new version, the versions before;
district administrators only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.testing.fixtures import grant, make_user
from carecircle.visits.models import VisitRuleSet
from carecircle.visits.rules import DEFAULT_INTERVALS, RULE_KEYS

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
URL = "visits:rules"


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages compared with their msgids."""


def body(**days: Any) -> dict[str, Any]:
    data: dict[str, Any] = {key: DEFAULT_INTERVALS.get(key, "") for key in RULE_KEYS}
    data.update(days)
    data.setdefault("note", "县里决定：留守儿童每两个月走访一次。")
    return data


def test_it_sends_anonymous_visitors_to_the_login(district: Any) -> None:
    for method in ("get", "post"):
        response = getattr(Client(), method)(reverse(URL))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "role",
    [
        "center_staff",
        "child_supervisor",
        "child_director",
        "social_worker",
        "counselor",
        "sysadmin",
    ],
)
def test_only_a_county_wide_district_administrator_is_let_in(
    personas: dict[str, User], client_for: ClientFor, role: str
) -> None:
    client = client_for(personas[role])
    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), body()).status_code == 403
    assert not VisitRuleSet.objects.exists()


def test_a_township_administrator_is_refused_too(client_for: ClientFor, district: Any) -> None:
    township = make_user("township_admin")
    grant(township, "district_admin", prefix="431103101")
    assert client_for(township).get(reverse(URL)).status_code == 403


def test_wrong_methods_are_refused(personas: dict[str, User], client_for: ClientFor) -> None:
    assert client_for(personas["district_admin"]).put(reverse(URL)).status_code == 405


def test_the_defaults_are_shown_until_a_version_is_saved(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    response = client_for(personas["district_admin"]).get(reverse(URL))
    assert response.status_code == 200
    html = response.content.decode()
    assert "In force: the default rules" in html
    assert "No version saved yet: the default rules apply." in html
    assert "every 90 days" in html and "every 30 days" in html
    assert response.context["form"]["orphan"].value() == 30


def test_saving_makes_a_new_version_and_keeps_the_old_ones(
    personas: dict[str, User], other_personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["district_admin"])
    response = client.post(reverse(URL), body(rural_left_behind=60, migrant=90))
    assert response.status_code == 302 and response["Location"] == reverse(URL)
    first = VisitRuleSet.objects.get()
    assert first.version == 1 and first.is_active
    assert first.intervals["rural_left_behind"] == 60 and first.intervals["migrant"] == 90
    assert first.created_by == personas["district_admin"]
    page = client.get(reverse(URL))
    assert "Version 1 of the visit rules is in force." in page.content.decode()
    # The rules are one per deployment: the other county's administrator sets them too.
    other = client_for(other_personas["district_admin"])
    assert other.post(reverse(URL), body(orphan=14, note="")).status_code == 302
    versions = list(VisitRuleSet.objects.order_by("version"))
    assert [(v.version, v.is_active) for v in versions] == [(1, False), (2, True)]
    html = client.get(reverse(URL)).content.decode()
    assert "In force: version 2" in html and "Version 1" in html
    assert "every 14 days" in html


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ({"orphan": 0}, "Ensure this value is greater than or equal to 1."),
        ({"orphan": 400}, "Ensure this value is less than or equal to 366."),
        ({"orphan": "monthly"}, "Enter a whole number."),
        (
            {key: "" for key in RULE_KEYS},
            "Give the days between visits for at least one category.",
        ),
    ],
)
def test_bad_input_gets_a_message_and_saves_nothing(
    personas: dict[str, User], client_for: ClientFor, days: dict[str, Any], message: str
) -> None:
    response = client_for(personas["district_admin"]).post(reverse(URL), body(**days))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not VisitRuleSet.objects.exists()


def test_a_user_without_any_role_is_refused(client_for: ClientFor, district: Any) -> None:
    assert client_for(make_user("nobody")).get(reverse(URL)).status_code == 403
