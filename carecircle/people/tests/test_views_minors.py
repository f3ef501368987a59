from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.people.models import Minor

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
LIST = "/minors/"
MASKED = re.compile(r"4311\*{10}001X")


def listed(client: Client, **params: str) -> list[Minor]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return list(response.context["page"].object_list)


def test_it_lists_the_children_in_scope(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor, client_for: ClientFor
) -> None:
    assert listed(client_for(personas["child_director"])) == [minor_a]
    assert listed(client_for(personas["district_admin"])) == [minor_a, minor_b]
    assert listed(client_for(personas["school_psych_teacher"])) == [minor_a]


def test_it_lists_nothing_for_relationship_roles_before_any_link(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    assert listed(client_for(personas["lawyer"])) == []


def test_it_searches_by_name_and_by_exact_id_number(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor, client_for: ClientFor
) -> None:
    client = client_for(personas["district_admin"])
    assert listed(client, q="小明") == [minor_a]
    assert listed(client, q="李小红") == [minor_b]
    assert listed(client, q=minor_a.id_number) == [minor_a]
    assert listed(client, q=minor_a.id_number.lower()) == [minor_a]
    assert listed(client, q=f"  {minor_b.id_number} ") == [minor_b]
    # Only the whole number matches: no prefix search over encrypted values.
    assert listed(client, q=minor_a.id_number[:6]) == []
    assert listed(client, q="110101201001011234") == []


def test_it_never_finds_an_out_of_scope_child_by_search(
    personas: dict[str, User], minor_b: Minor, client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    assert listed(client, q=minor_b.id_number) == []
    assert listed(client, q="李小红") == []


def test_it_shows_the_id_number_masked(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    response = client_for(personas["child_director"]).get(
        reverse("people:minor-detail", args=[minor_a.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert MASKED.search(body)
    assert minor_a.id_number not in body and minor_a.id_number[4:14] not in body
    assert "张小明" in body and "石门村" in body
    assert response.context["emergency"] is False
    list_body = client_for(personas["child_director"]).get(LIST).content.decode()
    assert minor_a.id_number not in list_body


def test_it_hides_an_out_of_scope_child(
    other_personas: dict[str, User],
    personas: dict[str, User],
    minor_a: Minor,
    client_for: ClientFor,
) -> None:
    detail = reverse("people:minor-detail", args=[minor_a.pk])
    for user in (
        other_personas["child_director"],
        other_personas["school_psych_teacher"],
        other_personas["district_admin"],
        personas["lawyer"],
        personas["sysadmin"],
    ):
        response = client_for(user).get(detail)
        assert response.status_code == 404, user
        assert "张小明" not in response.content.decode()


@pytest.mark.parametrize("role", ["sysadmin", "auditor", "analyst"])
def test_it_refuses_the_list_to_roles_without_child_data(
    personas: dict[str, User], client_for: ClientFor, role: str
) -> None:
    assert client_for(personas[role]).get(LIST).status_code == 403


def test_it_sends_anonymous_visitors_to_login(minor_a: Minor) -> None:
    for url in (LIST, reverse("people:minor-detail", args=[minor_a.pk])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_it_requires_a_verified_second_factor(personas: dict[str, User], minor_a: Minor) -> None:
    client = Client()
    client.force_login(personas["child_director"])
    response = client.get(reverse("people:minor-detail", args=[minor_a.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp-verify")


def test_it_only_answers_get(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    assert client.post(LIST).status_code == 405
    assert client.post(reverse("people:minor-detail", args=[minor_a.pk])).status_code == 405


def test_masking_keeps_four_digits_each_end() -> None:
    assert Minor(id_number="43110320140501001X").masked_id_number == "4311**********001X"
    assert Minor(id_number="431103140501001").masked_id_number == "4311*******1001"
    assert Minor(id_number="").masked_id_number == ""
