from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.accounts.services import api_token_create
from carecircle.people.models import Minor

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def ids(client: Client) -> list[int]:
    response = client.get(reverse("api:minor-list"))
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


def test_it_lists_only_children_in_scope(
    personas: dict[str, User],
    other_personas: dict[str, User],
    minor_a: Minor,
    minor_b: Minor,
    client_for: ClientFor,
) -> None:
    assert ids(client_for(personas["child_director"])) == [minor_a.pk]
    assert ids(client_for(other_personas["child_director"])) == [minor_b.pk]
    assert sorted(ids(client_for(personas["district_admin"]))) == sorted([minor_a.pk, minor_b.pk])
    assert ids(client_for(other_personas["district_admin"])) == []
    assert ids(client_for(personas["lawyer"])) == []


@pytest.mark.parametrize("role", ["sysadmin", "auditor", "analyst"])
def test_it_refuses_the_list_to_roles_without_child_data(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor, role: str
) -> None:
    response = client_for(personas[role]).get(reverse("api:minor-list"))
    assert response.status_code == 403
    assert "张小明" not in response.content.decode()


def test_it_returns_a_masked_id_number_and_no_address(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    minor_a.address = "冷水滩区梅湾路12号"
    minor_a.save()
    response = client_for(personas["child_director"]).get(
        reverse("api:minor-detail", args=[minor_a.pk])
    )
    assert response.status_code == 200
    data = response.json()
    assert data["id_number"] == "4311**********001X"
    assert data["name"] == "张小明" and data["area_code"] == "431103101200"
    assert "address" not in data
    assert minor_a.id_number not in response.content.decode()


@pytest.mark.parametrize("role", ["child_director", "district_admin", "school_psych_teacher"])
def test_it_hides_an_out_of_scope_child(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor, role: str
) -> None:
    response = client_for(other_personas[role]).get(reverse("api:minor-detail", args=[minor_a.pk]))
    assert response.status_code == 404
    assert "张小明" not in response.content.decode()


def test_it_refuses_anonymous_callers(minor_a: Minor) -> None:
    for url in (reverse("api:minor-list"), reverse("api:minor-detail", args=[minor_a.pk])):
        response = Client().get(url)
        assert response.status_code in (401, 403)
        assert "张小明" not in response.content.decode()


def test_it_refuses_a_session_without_a_verified_second_factor(
    personas: dict[str, User], minor_a: Minor
) -> None:
    client = Client()
    client.force_login(personas["child_director"])
    response = client.get(reverse("api:minor-detail", args=[minor_a.pk]))
    assert response.status_code in (401, 403)


def test_it_accepts_an_integration_token(personas: dict[str, User], minor_a: Minor) -> None:
    _token, secret = api_token_create(user=personas["child_director"], name="roster")
    response = Client().get(reverse("api:minor-list"), HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [minor_a.pk]


def test_it_refuses_delete(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    client = client_for(personas["district_admin"])
    detail = reverse("api:minor-detail", args=[minor_a.pk])
    assert client.delete(detail).status_code == 405
    assert client.delete(reverse("api:minor-list")).status_code == 405
    assert Minor.objects.filter(pk=minor_a.pk).exists()
