from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import RoleAssignment, User
from carecircle.stats.registry import REGISTRY

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
URL = "/stats/"
YEAR = {"start": "2026-01-01", "end": "2026-12-31"}


@pytest.fixture
def staffed(
    personas: dict[str, User], other_personas: dict[str, User]
) -> dict[str, dict[str, User]]:
    RoleAssignment.objects.update(granted_at=datetime(2026, 1, 2, tzinfo=ZoneInfo("Asia/Shanghai")))
    return {"A": personas, "B": other_personas}


def values(client: Client, **params: str) -> dict[str, Any]:
    response = client.get(URL, params or YEAR)
    assert response.status_code == 200
    return {row["id"]: row["value"] for _group, rows in response.context["groups"] for row in rows}


def test_a_child_director_sees_counts_inside_their_village_only(
    staffed: dict[str, dict[str, User]], client_for: ClientFor
) -> None:
    seen = values(client_for(staffed["A"]["child_director"]))
    assert seen["staff.child_directors"] == 1  # themselves, not village B's director
    assert seen["staff.child_supervisors"] == 0  # the town's supervisor sits above the village
    assert seen["staff.social_workers"] == 0


def test_a_child_supervisor_sees_their_town(
    staffed: dict[str, dict[str, User]], client_for: ClientFor
) -> None:
    seen = values(client_for(staffed["A"]["child_supervisor"]))
    assert seen["staff.child_supervisors"] == 1
    assert seen["staff.child_directors"] == 1
    assert seen["staff.school_psych_teachers"] == 1


def test_a_district_admin_sees_the_district_but_not_the_next_one(
    staffed: dict[str, dict[str, User]], client_for: ClientFor
) -> None:
    seen = values(client_for(staffed["A"]["district_admin"]))
    assert seen["staff.child_supervisors"] == 2
    assert seen["staff.child_directors"] == 2
    assert seen["staff.social_workers"] == 1
    assert seen["staff.lawyers"] == 1


def test_an_area_filter_never_widens_the_viewers_scope(
    staffed: dict[str, dict[str, User]], client_for: ClientFor
) -> None:
    client = client_for(staffed["A"]["child_supervisor"])
    wider = values(client, **YEAR, area="431103")
    assert wider["staff.child_supervisors"] == 1
    other_town = values(client, **YEAR, area="431103102")
    assert set(other_town.values()) == {None}
    own_village = values(client, **YEAR, area="431103101200")
    assert own_village["staff.child_directors"] == 1


def test_it_shows_names_units_and_definitions(
    staffed: dict[str, dict[str, User]], client_for: ClientFor
) -> None:
    response = client_for(staffed["A"]["district_admin"]).get(URL, YEAR)
    body = response.content.decode()
    for indicator in REGISTRY.values():
        assert indicator.id in body
        assert str(indicator.name) in body
        assert str(indicator.definition) in body
    assert "<td>人</td>" in body


def test_it_defaults_to_this_year_so_far(
    staffed: dict[str, dict[str, User]], client_for: ClientFor
) -> None:
    response = client_for(staffed["A"]["district_admin"]).get(URL)
    assert response.status_code == 200
    assert response.context["period"]["start"].month == 1


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-12-31", "end": "2026-01-01"},
        {"start": "not a date", "end": "2026-01-01"},
        {**YEAR, "area": "4311X3"},
    ],
)
def test_it_shows_errors_for_bad_input_instead_of_failing(
    staffed: dict[str, dict[str, User]], client_for: ClientFor, params: dict[str, str]
) -> None:
    response = client_for(staffed["A"]["district_admin"]).get(URL, params)
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize(
    "role", ["family_educator", "lawyer", "hospital_clinician", "auditor", "sysadmin", "volunteer"]
)
def test_it_refuses_roles_without_statistics(
    personas: dict[str, User], client_for: ClientFor, role: str
) -> None:
    assert client_for(personas[role]).get(URL).status_code == 403


def test_it_sends_anonymous_visitors_to_login(district: Any) -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_only_answers_get(personas: dict[str, User], client_for: ClientFor) -> None:
    assert client_for(personas["analyst"]).post(URL, YEAR).status_code == 405
