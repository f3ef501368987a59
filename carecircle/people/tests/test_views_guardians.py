"""Adding, editing and removing a child's guardians, with fields that depend on the situation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.accounts.tests.helpers import zh
from carecircle.people.models import Guardian, Minor

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def add_url(minor: Minor) -> str:
    return reverse("people:guardian-add", args=[minor.pk])


def father(**overrides: Any) -> dict[str, Any]:
    return {
        "relation": "father",
        "name": "张大山",
        "phone": "138 0000 0000",
        "state": "working_away",
        "state_since": "2024-03-01",
        "work_place": "广东东莞",
        "cross_county": "true",
    } | overrides


def test_it_adds_a_parent_working_away(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    response = client_for(personas["child_director"]).post(add_url(minor_a), father())
    assert response.status_code == 302
    assert response["Location"].endswith("#guardians")
    guardian = Guardian.objects.get(minor=minor_a)
    assert (guardian.state, guardian.work_place, guardian.cross_county) == (
        "working_away",
        "广东东莞",
        True,
    )
    assert guardian.phone == "13800000000"


def test_it_requires_the_work_place_and_clears_fields_that_do_not_apply(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    missing = client.post(add_url(minor_a), father(work_place=""))
    assert missing.context["form"].errors["work_place"] == [zh("Say where the parent works.")]
    assert not Guardian.objects.exists()
    # At home: the work fields and the police date sent along are dropped.
    client.post(
        add_url(minor_a),
        father(
            state="at_home", police_report_on="2024-01-01", is_entrusted="", cross_county="true"
        ),
    )
    guardian = Guardian.objects.get()
    assert (guardian.work_place, guardian.cross_county, guardian.police_report_on) == (
        "",
        None,
        None,
    )


def test_it_validates_dates_and_the_entrusted_guardian(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    future = client.post(add_url(minor_a), father(state_since="2999-01-01"))
    assert future.context["form"].errors["state_since"] == [zh("This date is in the future.")]
    parent = client.post(add_url(minor_a), father(is_entrusted="on"))
    assert "is_entrusted" in parent.context["form"].errors
    gone = client.post(
        add_url(minor_a),
        father(state="out_of_contact", state_since="2024-05-01", police_report_on="2024-04-01"),
    )
    assert "police_report_on" in gone.context["form"].errors
    disabled = client.post(add_url(minor_a), father(state="severely_disabled"))
    assert "disability_grade" in disabled.context["form"].errors
    assert not Guardian.objects.exists()


def test_it_records_the_entrusted_guardian_with_the_confirmation_date(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    client_for(personas["child_director"]).post(
        add_url(minor_a),
        {
            "relation": "grandmother",
            "name": "王桂花",
            "state": "at_home",
            "is_entrusted": "on",
            "entrustment_signed_on": "2025-02-01",
        },
    )
    guardian = Guardian.objects.get()
    assert guardian.is_entrusted and guardian.entrustment_signed_on == date(2025, 2, 1)


def test_it_refuses_a_second_father(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    Guardian.objects.create(minor=minor_a, relation="father", name="张大山")
    response = client_for(personas["child_director"]).post(add_url(minor_a), father(name="另一个"))
    assert response.status_code == 200
    assert "relation" in response.context["form"].errors
    assert Guardian.objects.count() == 1


def test_it_edits_and_removes_a_guardian(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    guardian = Guardian.objects.create(minor=minor_a, relation="mother", name="李秀英")
    client = client_for(personas["child_director"])
    edit = reverse("people:guardian-edit", args=[guardian.pk])
    assert "李秀英" in client.get(edit).content.decode()
    response = client.post(
        edit, {"relation": "mother", "name": "李秀英", "state": "dead", "state_since": "2023-01-01"}
    )
    assert response.status_code == 302
    guardian.refresh_from_db()
    assert guardian.state == "dead"
    delete = reverse("people:guardian-delete", args=[guardian.pk])
    assert client.get(delete).status_code == 405
    assert client.post(delete).status_code == 302
    assert not Guardian.objects.exists()


def test_it_refuses_read_only_roles_and_hides_other_children(
    personas: dict[str, User],
    other_personas: dict[str, User],
    minor_a: Minor,
    client_for: ClientFor,
) -> None:
    guardian = Guardian.objects.create(minor=minor_a, relation="mother", name="李秀英")
    edit = reverse("people:guardian-edit", args=[guardian.pk])
    delete = reverse("people:guardian-delete", args=[guardian.pk])
    counselor = client_for(personas["counselor"])
    assert counselor.get(add_url(minor_a)).status_code == 403
    assert counselor.post(add_url(minor_a), father()).status_code == 403
    assert counselor.post(delete).status_code == 403
    other = client_for(other_personas["child_director"])
    assert other.get(edit).status_code == 404
    assert other.post(delete).status_code == 404
    assert other.post(add_url(minor_a), father()).status_code == 404
    assert Client().post(delete).status_code == 302
    assert Guardian.objects.count() == 1
