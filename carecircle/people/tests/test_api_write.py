"""POST /api/v1/minors/ and PUT/PATCH /api/v1/minors/<id>/, with nested guardians."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from carecircle.accounts.models import Organisation, User
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.people.idnumbers import check_character
from carecircle.people.models import Guardian, Minor, SchoolClass
from carecircle.testing.fixtures import AREA_A, AREA_B, grant

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
LIST = "api:minor-list"


def valid_id(first17: str) -> str:
    return first17 + check_character(first17)


CHILD_ID = valid_id("43110320160915002")  # born 2016-09-15, female
FATHER_ID = valid_id("43110319850312003")
MOTHER_ID = valid_id("43110319870420004")


def wrong_check(number: str) -> str:
    return "1" if number[-1] != "1" else "2"


def zh(message: str) -> str:
    """A message as the API answers it (zh-hans, the default language)."""
    with translation.override("zh-hans"):
        return str(translation.gettext(message))


def post(client: Client, body: Any) -> Any:
    return client.post(reverse(LIST), json.dumps(body), content_type="application/json")


def patch(client: Client, minor: Minor, body: Any, method: str = "patch") -> Any:
    url = reverse("api:minor-detail", args=[minor.pk])
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def new_child(**extra: Any) -> dict[str, Any]:
    return {
        "name": "刘小雨",
        "sex": "F",
        "birth_date": "2016-09-15",
        "id_number": CHILD_ID,
        "area_code": AREA_A,
        **extra,
    }


def parents() -> list[dict[str, Any]]:
    return [
        {
            "relation": "father",
            "name": "刘大海",
            "phone": "138-1234-5678",
            "id_number": FATHER_ID,
            "state": "working_away",
            "state_since": "2024-02-01",
            "work_place": "广东省东莞市",
            "cross_county": True,
        },
        {"relation": "mother", "name": "陈秀英", "phone": "13900001111", "state": "at_home"},
    ]


def snapshot() -> tuple[int, int, list[tuple[Any, ...]]]:
    rows = list(Minor.objects.order_by("pk").values_list("pk", "name", "status", "area_code"))
    return Minor.objects.count(), Guardian.objects.count(), rows


# --- Create -------------------------------------------------------------------------


def test_it_registers_a_child_with_guardians(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    user = personas["child_director"]
    school = district["orgs"]["school_A"]
    response = post(client_for(user), new_child(school=school.pk, guardians=parents()))
    assert response.status_code == 201, response.content
    data = response.json()
    minor = Minor.objects.get(pk=data["id"])
    assert minor.id_number == CHILD_ID and minor.name_initials == "lxy"
    assert minor.school == school and minor.area_code == AREA_A
    assert data["id_number"] == "4311**********" + CHILD_ID[-4:]
    assert data["area_code"] == AREA_A and data["area_name"] == "花桥街镇 / 石门村"
    assert data["categories"] == [] or all("reason" in c for c in data["categories"])
    father, mother = sorted(data["guardians"], key=lambda g: g["relation"])
    assert father["phone"] == "138****5678" and father["id_number"].startswith("4311****")
    assert Guardian.objects.get(minor=minor, relation="father").phone == "13812345678"
    assert Guardian.objects.get(minor=minor, relation="father").id_number == FATHER_ID
    assert mother["state"] == "at_home"
    body = response.content.decode()
    for secret in (CHILD_ID, FATHER_ID, "13812345678", "13900001111"):
        assert secret not in body
    created = AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, minor_id=minor.pk, actor=user
    )
    assert set(created.values_list("object_type", flat=True)) == {
        "people.minor",
        "people.guardian",
    }
    assert created.count() == 3


def test_it_lets_a_school_administrator_register_a_pupil_living_elsewhere(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    school = district["orgs"]["school_A"]
    response = post(
        client_for(personas["school_admin"]), new_child(area_code=AREA_B, school=school.pk)
    )
    assert response.status_code == 201, response.content
    assert Minor.objects.get(pk=response.json()["id"]).school == school


def test_it_refuses_anonymous_callers(district: dict[str, Any]) -> None:
    response = post(Client(), new_child())
    assert response.status_code in (401, 403)
    assert not Minor.objects.exists()


@pytest.mark.parametrize(
    "role",
    ["analyst", "auditor", "sysadmin", "counselor", "school_psych_teacher", "lawyer", "volunteer"],
)
def test_it_refuses_registration_to_roles_that_do_not_edit_children(
    personas: dict[str, User], client_for: ClientFor, role: str
) -> None:
    response = post(client_for(personas[role]), new_child())
    assert response.status_code == 403
    assert not Minor.objects.exists()


def test_it_refuses_a_village_outside_the_editors_scope(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    response = post(client_for(personas["child_director"]), new_child(area_code=AREA_B))
    assert response.status_code == 403
    assert response.json()["detail"] == zh("That village is outside your scope.")
    assert not Minor.objects.exists()


@pytest.fixture
def far_school(district: dict[str, Any]) -> Organisation:
    """A school in 零陵区, the next county: no business of jurisdiction A's staff."""
    return Organisation.objects.create(
        name="C-school", kind=Organisation.Kind.SCHOOL, division_id="431102001000"
    )


def test_it_treats_a_school_out_of_sight_like_one_that_does_not_exist(
    personas: dict[str, User],
    district: dict[str, Any],
    far_school: Organisation,
    client_for: ClientFor,
) -> None:
    client = client_for(personas["child_director"])
    other = post(client, new_child(school=far_school.pk))
    missing = post(client, new_child(school=999999))
    hospital = post(client, new_child(school=district["orgs"]["hospital_A"].pk))
    assert other.status_code == missing.status_code == hospital.status_code == 400
    assert other.json() == missing.json() == hospital.json()
    assert other.json()["school"] == [zh("There is no school with this number within your scope.")]
    assert not Minor.objects.exists()


def test_it_accepts_any_school_of_the_editors_county(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    # A village's children go to the town's or the county's schools.
    school = district["orgs"]["school_B"]
    response = post(client_for(personas["child_director"]), new_child(school=school.pk))
    assert response.status_code == 201, response.content
    assert Minor.objects.get().school == school


def test_it_refuses_a_class_of_another_school(
    personas: dict[str, User],
    district: dict[str, Any],
    far_school: Organisation,
    client_for: ClientFor,
) -> None:
    client = client_for(personas["district_admin"])
    klass = SchoolClass.objects.create(school=district["orgs"]["school_A"], grade=3, name="2班")
    response = post(
        client, new_child(school=district["orgs"]["school_B"].pk, school_class=klass.pk)
    )
    assert response.status_code == 400
    assert response.json() == {"school_class": [zh("That class belongs to another school.")]}
    hidden = SchoolClass.objects.create(school=far_school, grade=3, name="2班")
    response = post(client_for(personas["child_director"]), new_child(school_class=hidden.pk))
    assert response.json() == {
        "school_class": [zh("There is no class with this number within your scope.")]
    }
    assert not Minor.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name", "sex", "birth_date", "area_code"}),
        (new_child(area_code="43110310120"), {"area_code"}),
        (new_child(area_code="431103101000"), {"area_code"}),  # a township, not a village
        (new_child(area_code="4311031012ab"), {"area_code"}),
        (new_child(id_number=CHILD_ID[:-1] + wrong_check(CHILD_ID)), {"id_number"}),
        (new_child(id_number="１２３"), {"id_number"}),
        (new_child(birth_date="2016-02-30"), {"birth_date"}),
        (new_child(sex="X", status="merged"), {"sex", "status"}),
        (new_child(ethnicity="99", disability_grade=7), {"ethnicity", "disability_grade"}),
        (new_child(name="  "), {"name"}),
        (new_child(name="x" * 65, hukou_code="abc"), {"name", "hukou_code"}),
        (new_child(school="abc", household=-1), {"school", "household"}),
        (new_child(guardians=[{"name": "无关系"}]), {"guardians"}),
        (new_child(guardians=[{"relation": "father", "phone": "call me"}]), {"guardians"}),
        (new_child(guardians={"relation": "father"}), {"guardians"}),
    ],
)
def test_it_answers_invalid_data_with_400_and_field_messages(
    personas: dict[str, User], client_for: ClientFor, body: dict[str, Any], fields: set[str]
) -> None:
    response = post(client_for(personas["child_director"]), body)
    assert response.status_code == 400, response.content
    errors = response.json()
    assert set(errors) == fields
    assert not Minor.objects.exists() and not Guardian.objects.exists()


def test_it_explains_a_wrong_id_number_and_a_future_birth_date(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = post(client, new_child(birth_date=tomorrow))
    assert response.json() == {"birth_date": [zh("The birth date is in the future.")]}
    response = post(client, new_child(birth_date="2008-01-01", id_number=""))
    assert response.json() == {
        "birth_date": [zh("This person is 18 or older: the registry is for minors.")]
    }
    response = post(client, new_child(guardians=[{"relation": "father", "state_since": tomorrow}]))
    assert response.json() == {
        "guardians": {"0": {"state_since": [zh("This date is in the future.")]}}
    }
    response = post(client, new_child(id_number=CHILD_ID[:-1] + wrong_check(CHILD_ID)))
    assert response.json() == {
        "id_number": [zh("The ID number's check character is wrong: look for a mistyped digit.")]
    }


@pytest.mark.parametrize("body", [[new_child()], "text", None])
def test_it_refuses_a_body_that_is_not_an_object(
    personas: dict[str, User], client_for: ClientFor, body: Any
) -> None:
    response = post(client_for(personas["child_director"]), body)
    assert response.status_code == 400
    assert not Minor.objects.exists()


def test_it_refuses_malformed_json_and_form_encoding(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    broken = client.post(reverse(LIST), "{", content_type="application/json")
    assert broken.status_code == 400
    assert client.post(reverse(LIST), new_child()).status_code == 415
    assert not Minor.objects.exists()


def test_it_refuses_a_duplicate_id_number(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    response = post(
        client_for(personas["child_director"]), new_child(id_number="43110320140501001x")
    )
    assert response.status_code == 400
    assert response.json() == {
        "id_number": [zh("A child with this ID number is already registered.")]
    }
    assert Minor.objects.count() == 1


def test_it_saves_nothing_when_a_guardian_fails(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    bad_mother = {"relation": "mother", "id_number": MOTHER_ID[:-1] + wrong_check(MOTHER_ID)}
    response = post(
        client_for(personas["child_director"]),
        new_child(guardians=[parents()[0], bad_mother]),
    )
    assert response.status_code == 400
    assert set(response.json()["guardians"]) == {"1"}
    assert set(response.json()["guardians"]["1"]) == {"id_number"}
    second_father = post(
        client_for(personas["child_director"]),
        new_child(guardians=[parents()[0], parents()[0]]),
    )
    assert second_father.status_code == 400
    assert set(second_father.json()["guardians"]["1"]) == {"relation"}
    assert not Minor.objects.exists() and not Guardian.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).exists()


# --- Update ---------------------------------------------------------------------------


def test_it_changes_some_facts_and_audits_the_change(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    user = personas["child_director"]
    response = patch(client_for(user), minor_a, {"boarding": True, "ethnicity": "15"})
    assert response.status_code == 200, response.content
    minor = Minor.objects.get(pk=minor_a.pk)
    assert minor.boarding and minor.ethnicity == "15" and minor.name == "张小明"
    assert response.json()["boarding"] is True
    assert minor_a.id_number not in response.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, minor_id=minor_a.pk)
    assert event.actor_id == user.pk and set(event.fields) == {"boarding", "ethnicity"}


def test_it_changes_and_adds_guardians_in_one_request(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    father = Guardian.objects.create(minor=minor_a, relation="father", phone="13800000000")
    response = patch(
        client_for(personas["child_director"]),
        minor_a,
        {
            "guardians": [
                {"id": father.pk, "state": "imprisoned", "state_since": "2025-01-10"},
                {"relation": "grandmother", "name": "张奶奶", "is_entrusted": True},
            ]
        },
    )
    assert response.status_code == 200, response.content
    father.refresh_from_db()
    assert father.state == "imprisoned" and father.state_since == date(2025, 1, 10)
    assert father.phone == "13800000000"
    assert minor_a.guardians.filter(relation="grandmother", is_entrusted=True).exists()
    assert len(response.json()["guardians"]) == 2


def test_it_rolls_back_the_child_when_a_guardian_is_not_its_own(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor, client_for: ClientFor
) -> None:
    strangers = Guardian.objects.create(minor=minor_b, relation="father", phone="13800000000")
    response = patch(
        client_for(personas["district_admin"]),
        minor_a,
        {"name": "张改名", "guardians": [{"id": strangers.pk, "phone": "13911112222"}]},
    )
    assert response.status_code == 400
    assert response.json() == {
        "guardians": {"0": {"id": [zh("This child has no guardian with this number.")]}}
    }
    assert Minor.objects.get(pk=minor_a.pk).name == "张小明"
    strangers.refresh_from_db()
    assert strangers.phone == "13800000000" and strangers.minor_id == minor_b.pk
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).exists()


def test_it_needs_every_required_field_on_put(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    incomplete = patch(client, minor_a, {"boarding": True}, method="put")
    assert incomplete.status_code == 400
    assert set(incomplete.json()) == {"name", "sex", "birth_date", "area_code"}
    full = {
        "name": "张小明",
        "sex": "M",
        "birth_date": "2014-05-01",
        "area_code": AREA_A,
        "school": minor_a.school_id,
        "status": "moved_away",
    }
    response = patch(client, minor_a, full, method="put")
    assert response.status_code == 200, response.content
    assert Minor.objects.get(pk=minor_a.pk).status == "moved_away"


def test_it_keeps_a_childs_present_school_valid_on_put(
    personas: dict[str, User], minor_b: Minor, client_for: ClientFor
) -> None:
    # A district-wide social worker reaches school B; a school-A pupil living in B
    # keeps school A when another editor resends the whole record.
    Minor.objects.filter(pk=minor_b.pk).update(area_code=AREA_A)
    response = patch(
        client_for(personas["child_director"]),
        minor_b,
        {
            "name": "李小红",
            "sex": "F",
            "birth_date": "2013-03-02",
            "area_code": AREA_A,
            "school": minor_b.school_id,
        },
        method="put",
    )
    assert response.status_code == 200, response.content


def test_it_refuses_a_duplicate_id_number_on_update(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor, client_for: ClientFor
) -> None:
    response = patch(
        client_for(personas["district_admin"]), minor_a, {"id_number": minor_b.id_number}
    )
    assert response.status_code == 400 and set(response.json()) == {"id_number"}
    assert Minor.objects.get(pk=minor_a.pk).id_number == "43110320140501001X"


def test_it_refuses_moving_a_child_out_of_the_editors_scope(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    response = patch(client_for(personas["child_director"]), minor_a, {"area_code": AREA_B})
    assert response.status_code == 403
    assert Minor.objects.get(pk=minor_a.pk).area_code == AREA_A


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize(
    ("role", "side", "expected"),
    [
        ("counselor", "A", 403),  # reads the child, cannot change it
        ("school_psych_teacher", "A", 403),
        ("analyst", "A", 403),
        ("lawyer", "A", 403),
        ("child_director", "B", 404),  # out of scope: no existence oracle
        ("district_admin", "B", 404),
        ("school_admin", "B", 404),
    ],
)
def test_it_refuses_updates_outside_the_editors_rights(
    personas: dict[str, User],
    other_personas: dict[str, User],
    minor_a: Minor,
    client_for: ClientFor,
    role: str,
    side: str,
    expected: int,
    method: str,
) -> None:
    before = snapshot()
    user = (personas if side == "A" else other_personas)[role]
    response = patch(client_for(user), minor_a, {"status": "deceased"}, method=method)
    assert response.status_code == expected
    assert "张小明" not in response.content.decode()
    assert snapshot() == before


def test_it_refuses_anonymous_updates(minor_a: Minor) -> None:
    before = snapshot()
    assert patch(Client(), minor_a, {"status": "deceased"}).status_code in (401, 403)
    assert snapshot() == before


def test_it_refuses_an_editor_who_only_reads_this_child(
    personas: dict[str, User], minor_b: Minor, client_for: ClientFor
) -> None:
    # Child director in village A, and counselor (read-only) for the whole district.
    user = personas["child_director"]
    grant(user, Role.COUNSELOR, prefix="431103")
    client = client_for(user)
    assert client.get(reverse("api:minor-detail", args=[minor_b.pk])).status_code == 200
    response = patch(client, minor_b, {"status": "deceased"})
    assert response.status_code == 403
    assert Minor.objects.get(pk=minor_b.pk).status == "active"
    # Nor can it register a child in the district outside its own village.
    assert post(client, new_child(area_code=AREA_B)).status_code == 403
