"""Households: recording one for a child, its facts, and adding visible siblings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Household, Minor
from carecircle.people.names import name_keys
from carecircle.testing.fixtures import AREA_A, AREA_B

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def make_minor(name: str, area: str, household: Household | None = None) -> Minor:
    pinyin, initials = name_keys(name)
    return Minor.objects.create(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        sex="F",
        birth_date=date(2017, 4, 5),
        area_code=area,
        household=household,
    )


def test_it_records_a_household_for_a_child(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    Minor.objects.filter(pk=minor_a.pk).update(address="石门村五组")
    url = reverse("people:household-create", args=[minor_a.pk])
    client = client_for(personas["child_director"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"assistance": "dibao", "main_income": "farming"})
    household = Household.objects.get()
    assert response["Location"] == reverse("people:household-detail", args=[household.pk])
    assert (household.area_code, household.address, household.assistance) == (
        AREA_A,
        "石门村五组",
        "dibao",
    )
    minor_a.refresh_from_db()
    assert minor_a.household == household
    # A second time: sent to the existing household, nothing new.
    again = client.post(url, {"assistance": "none"})
    assert again["Location"] == reverse("people:household-detail", args=[household.pk])
    assert Household.objects.count() == 1


def test_it_shows_only_members_in_scope(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    household = Household.objects.create(area_code=AREA_A, assistance="tekun")
    Minor.objects.filter(pk=minor_a.pk).update(household=household)
    make_minor("张小远", AREA_B, household)
    response = client_for(personas["child_director"]).get(
        reverse("people:household-detail", args=[household.pk])
    )
    body = response.content.decode()
    assert [m.pk for m in response.context["members"]] == [minor_a.pk]
    assert "张小明" in body and "张小远" not in body


def test_it_hides_a_household_without_a_visible_member(
    personas: dict[str, User], minor_b: Minor, client_for: ClientFor
) -> None:
    household = Household.objects.create(area_code=AREA_B)
    Minor.objects.filter(pk=minor_b.pk).update(household=household)
    client = client_for(personas["child_director"])
    for name in ("people:household-detail", "people:household-edit"):
        assert client.get(reverse(name, args=[household.pk])).status_code == 404
    add = reverse("people:household-add-member", args=[household.pk])
    assert client.post(add, {"minor": minor_b.pk}).status_code == 404


def test_it_edits_the_household_facts(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    household = Household.objects.create(area_code=AREA_A)
    Minor.objects.filter(pk=minor_a.pk).update(household=household)
    url = reverse("people:household-edit", args=[household.pk])
    client = client_for(personas["child_director"])
    response = client.post(
        url,
        {"assistance": "dibao_edge", "village_contact": "李主任", "village_contact_phone": "abc"},
    )
    assert "village_contact_phone" in response.context["form"].errors
    client.post(url, {"assistance": "dibao_edge", "village_contact": "李主任"})
    household.refresh_from_db()
    assert (household.assistance, household.village_contact) == ("dibao_edge", "李主任")
    assert client_for(personas["counselor"]).post(url, {"assistance": "none"}).status_code == 403


def test_it_finds_and_adds_a_visible_sibling(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    household = Household.objects.create(area_code=AREA_A)
    Minor.objects.filter(pk=minor_a.pk).update(household=household)
    sibling = make_minor("张小雨", AREA_A)
    outsider = make_minor("张小云", AREA_B)
    client = client_for(personas["child_director"])
    detail = reverse("people:household-detail", args=[household.pk])
    found = client.get(detail, {"q": "zx"})
    assert found.context["candidates"] == [sibling]
    assert outsider.pk not in AuditEvent.objects.filter(action="list").latest("seq").details["ids"]
    add = reverse("people:household-add-member", args=[household.pk])
    assert client.post(add, {"minor": outsider.pk}).status_code == 400
    assert client.post(add, {}).status_code == 400
    assert client.post(add, {"minor": sibling.pk}).status_code == 302
    sibling.refresh_from_db()
    outsider.refresh_from_db()
    assert sibling.household == household and outsider.household is None
    assert client_for(personas["counselor"]).post(add, {"minor": sibling.pk}).status_code == 403
