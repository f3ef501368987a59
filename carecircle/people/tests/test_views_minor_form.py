"""Registering and editing a child: services behind the forms, Chinese messages, refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.accounts.tests.helpers import zh
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor, SchoolClass
from carecircle.testing.fixtures import AREA_A, AREA_B

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
CREATE = reverse("people:minor-create")
NEW_ID = "431103201601010025"  # born 2016-01-01, female (second-to-last digit even)


def body_for(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "王小华",
        "sex": "F",
        "birth_date": "2016-01-01",
        "id_number": NEW_ID,
        "area_code": AREA_A,
        "health": "healthy",
    } | overrides


def test_it_registers_a_child_and_audits_it(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    response = client_for(personas["child_director"]).post(CREATE, body_for())
    minor = Minor.objects.get(name="王小华")
    assert response.status_code == 302
    assert response["Location"] == reverse("people:minor-detail", args=[minor.pk])
    assert (minor.area_code, minor.id_number, minor.name_initials) == (AREA_A, NEW_ID, "wxh")
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_type="people.minor", object_id=str(minor.pk)
    ).exists()


def test_it_warns_after_saving_when_the_id_number_disagrees(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    response = client_for(personas["child_director"]).post(
        CREATE, body_for(sex="M", birth_date="2016-01-02")
    )
    assert response.status_code == 302
    levels = [m.level_tag for m in get_messages(response.wsgi_request)]
    assert levels.count("warning") == 2


def test_it_refuses_a_bad_id_number_with_a_chinese_message(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    response = client_for(personas["child_director"]).post(
        CREATE, body_for(id_number="431103201601010026")
    )
    assert response.status_code == 200
    assert "身份证号码校验位不正确" in response.content.decode()
    assert not Minor.objects.exists()


def test_it_refuses_required_fields_future_dates_and_adults(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    empty = client.post(CREATE, {})
    errors = empty.context["form"].errors
    assert {"name", "sex", "birth_date", "area_code"} <= set(errors)
    assert zh("This field is required.") in empty.content.decode()
    future = client.post(CREATE, body_for(id_number="", birth_date="2099-01-01"))
    assert future.context["form"].errors["birth_date"] == [zh("The birth date is in the future.")]
    adult = client.post(CREATE, body_for(id_number="", birth_date="2000-01-01"))
    assert "birth_date" in adult.context["form"].errors
    assert not Minor.objects.exists()


def test_it_refuses_a_village_outside_the_editors_scope(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    response = client_for(personas["child_director"]).post(CREATE, body_for(area_code=AREA_B))
    assert response.status_code == 200
    assert "area_code" in response.context["form"].errors
    assert not Minor.objects.exists()
    choices = str(response.context["form"]["area_code"])
    assert "石门村" in choices and "新田村" not in choices


def test_it_reports_a_duplicate_id_number_with_a_link_only_when_visible(
    personas: dict[str, User],
    other_personas: dict[str, User],
    minor_a: Minor,
    client_for: ClientFor,
) -> None:
    response = client_for(personas["child_director"]).post(
        CREATE, body_for(id_number=minor_a.id_number.lower())
    )
    assert response.context["form"].errors["id_number"] == [
        zh("A child with this ID number is already registered.")
    ]
    assert response.context["duplicate_url"] == reverse("people:minor-detail", args=[minor_a.pk])
    other = client_for(other_personas["child_director"]).post(
        CREATE, body_for(id_number=minor_a.id_number, area_code=AREA_B)
    )
    assert "id_number" in other.context["form"].errors
    assert other.context["duplicate_url"] == ""
    assert Minor.objects.count() == 1


def test_it_checks_that_the_class_belongs_to_the_school(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    other_class = SchoolClass.objects.create(
        school=district["orgs"]["school_B"], grade=1, name="1班"
    )
    response = client_for(personas["district_admin"]).post(
        CREATE,
        body_for(school=district["orgs"]["school_A"].pk, school_class=other_class.pk),
    )
    assert "school_class" in response.context["form"].errors
    assert not Minor.objects.exists()


def test_it_edits_a_child_and_keeps_the_id_number_when_left_empty(
    personas: dict[str, User], district: dict[str, Any], minor_a: Minor, client_for: ClientFor
) -> None:
    url = reverse("people:minor-edit", args=[minor_a.pk])
    client = client_for(personas["child_director"])
    form = client.get(url)
    assert form.status_code == 200
    assert minor_a.id_number not in form.content.decode()
    response = client.post(
        url,
        body_for(
            name="张小明",
            sex="M",
            birth_date="2014-05-01",
            id_number="",
            status="active",
            address="石门村三组",
            school=district["orgs"]["school_A"].pk,
        ),
    )
    assert response.status_code == 302
    minor_a.refresh_from_db()
    assert minor_a.address == "石门村三组" and minor_a.id_number == "43110320140501001X"
    event = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).latest("seq")
    assert event.fields == ["address"]


def test_it_removes_the_id_number_only_when_asked(
    personas: dict[str, User], district: dict[str, Any], minor_a: Minor, client_for: ClientFor
) -> None:
    url = reverse("people:minor-edit", args=[minor_a.pk])
    client_for(personas["child_director"]).post(
        url,
        body_for(
            name="张小明",
            sex="M",
            birth_date="2014-05-01",
            id_number="",
            clear_id_number="on",
            status="active",
            school=district["orgs"]["school_A"].pk,
        ),
    )
    minor_a.refresh_from_db()
    assert minor_a.id_number == ""


@pytest.mark.parametrize("role", ["counselor", "school_psych_teacher", "lawyer", "auditor"])
def test_it_refuses_roles_that_cannot_edit(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor, role: str
) -> None:
    client = client_for(personas[role])
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, body_for()).status_code == 403
    edit = reverse("people:minor-edit", args=[minor_a.pk])
    assert client.post(edit, body_for(name="改名")).status_code == 403
    minor_a.refresh_from_db()
    assert minor_a.name == "张小明" and Minor.objects.count() == 1


def test_it_hides_an_out_of_scope_child_from_the_edit_form(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    edit = reverse("people:minor-edit", args=[minor_a.pk])
    client = client_for(other_personas["child_director"])
    assert client.get(edit).status_code == 404
    assert client.post(edit, body_for(name="改名")).status_code == 404
    assert Client().get(edit).status_code == 302


def test_it_does_not_edit_a_merged_record(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor, client_for: ClientFor
) -> None:
    Minor.objects.filter(pk=minor_b.pk).update(
        status=Minor.Status.MERGED, merged_into=minor_a, area_code=AREA_A
    )
    edit = reverse("people:minor-edit", args=[minor_b.pk])
    response = client_for(personas["child_director"]).post(edit, body_for(name="改名"))
    assert response.status_code == 302
    minor_b.refresh_from_db()
    assert minor_b.name == "李小红"
