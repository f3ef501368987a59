"""The registry's write services: scope, validation, uniqueness and audit of each change."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Guardian, Household, Minor, SchoolClass
from carecircle.people.services import (
    guardian_delete,
    guardian_save,
    household_create,
    household_update,
    minor_create,
    minor_update,
    school_class_save,
)

pytestmark = pytest.mark.django_db
VILLAGE_A = "431103101200"
VILLAGE_B = "431103102200"


def _child(actor: User, **extra: Any) -> Minor:
    fields = {"name": "王小芳", "sex": "F", "birth_date": date(2015, 6, 1), "area_code": VILLAGE_A}
    fields.update(extra)
    return minor_create(actor=actor, **fields)


def test_it_registers_a_child_with_derived_search_keys_and_an_audited_create(
    personas: dict[str, User],
) -> None:
    minor = _child(personas["child_director"], ethnicity="13", hukou_type="agricultural")
    assert (minor.name_pinyin, minor.name_initials) == ("wangxiaofang", "wxf")
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, minor_id=minor.pk)
    assert event.details["values"]["hukou_type"] == "agricultural"
    assert "name" in event.fields and "name" not in event.details["values"]


def test_it_normalises_the_id_number_and_refuses_a_second_child_with_it(
    personas: dict[str, User], minor_a: Minor
) -> None:
    with pytest.raises(ValidationError) as caught:
        _child(personas["child_director"], id_number="43110320140501001x")
    assert "id_number" in caught.value.message_dict
    assert Minor.objects.count() == 1


def test_it_refuses_a_bad_check_digit_against_the_field(personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as caught:
        _child(personas["child_director"], id_number="431103201406010012")
    assert list(caught.value.message_dict) == ["id_number"]
    assert not Minor.objects.exists()


def test_it_refuses_registration_outside_the_editable_scope(
    personas: dict[str, User], district: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDenied):
        _child(personas["child_director"], area_code=VILLAGE_B)
    # A school role registers its own pupils wherever they live, and no one else's.
    school_admin = personas["school_admin"]
    assert _child(school_admin, area_code=VILLAGE_B, school=district["orgs"]["school_A"]).pk
    with pytest.raises(PermissionDenied):
        _child(school_admin, name="赵一", area_code=VILLAGE_B, school=district["orgs"]["school_B"])


def test_it_updates_only_what_changed_and_audits_the_field_names(
    personas: dict[str, User], minor_a: Minor
) -> None:
    actor = personas["child_director"]
    assert minor_update(actor=actor, minor=minor_a, boarding=True, sex="M") == ["boarding"]
    assert minor_update(actor=actor, minor=minor_a, boarding=True) == []
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, minor_id=minor_a.pk)
    assert event.fields == ["boarding"]
    minor_a.refresh_from_db()
    assert minor_a.boarding is True


def test_it_renames_with_new_search_keys(personas: dict[str, User], minor_a: Minor) -> None:
    minor_update(actor=personas["child_director"], minor=minor_a, name="  吕大明 ")
    minor_a.refresh_from_db()
    assert (minor_a.name, minor_a.name_pinyin, minor_a.name_initials) == (
        "吕大明",
        "lvdaming",
        "ldm",
    )


def test_it_refuses_moving_a_child_out_of_the_actors_scope(
    personas: dict[str, User], minor_a: Minor
) -> None:
    with pytest.raises(PermissionDenied):
        minor_update(actor=personas["child_director"], minor=minor_a, area_code=VILLAGE_B)
    minor_a.refresh_from_db()
    assert minor_a.area_code == VILLAGE_A


@pytest.mark.parametrize("role", ["counselor", "analyst", "school_psych_teacher"])
def test_it_refuses_updates_by_roles_that_do_not_edit_minors(
    personas: dict[str, User], minor_a: Minor, role: str
) -> None:
    with pytest.raises(PermissionDenied):
        minor_update(actor=personas[role], minor=minor_a, boarding=True)
    assert not Minor.objects.get(pk=minor_a.pk).boarding


def test_it_refuses_a_class_of_another_school(
    personas: dict[str, User], minor_a: Minor, district: dict[str, Any]
) -> None:
    other = SchoolClass.objects.create(school=district["orgs"]["school_B"], grade=6, name="1班")
    with pytest.raises(ValidationError) as caught:
        minor_update(actor=personas["district_admin"], minor=minor_a, school_class=other)
    assert "school_class" in caught.value.message_dict
    assert Minor.objects.get(pk=minor_a.pk).school_class_id is None


def test_it_keeps_one_father_and_one_mother(personas: dict[str, User], minor_a: Minor) -> None:
    actor = personas["child_director"]
    father = guardian_save(
        actor=actor,
        minor=minor_a,
        relation="father",
        name="张大山",
        state="working_away",
        state_since=date(2024, 3, 1),
        work_place="广东省东莞市",
        cross_county=True,
        phone="13800001111",
    )
    with pytest.raises(ValidationError) as caught:
        guardian_save(actor=actor, minor=minor_a, relation="father", name="张二山")
    assert "relation" in caught.value.message_dict
    guardian_save(actor=actor, minor=minor_a, relation="grandmother", name="李奶奶")
    guardian_save(actor=actor, minor=minor_a, relation="grandfather", name="张爷爷")
    assert minor_a.guardians.count() == 3
    father.refresh_from_db()
    assert father.phone == "13800001111"
    event = AuditEvent.objects.filter(object_type="people.guardian").first()
    assert event is not None and "13800001111" not in str(event.details)


def test_it_refuses_guardian_changes_out_of_scope_or_across_children(
    personas: dict[str, User], other_personas: dict[str, User], minor_a: Minor, minor_b: Minor
) -> None:
    mother = guardian_save(actor=None, minor=minor_a, relation="mother", name="王芳")
    with pytest.raises(PermissionDenied):
        guardian_save(actor=other_personas["child_director"], minor=minor_a, relation="father")
    with pytest.raises(PermissionDenied):
        guardian_save(
            actor=personas["district_admin"], minor=minor_b, guardian=mother, state="dead"
        )
    with pytest.raises(PermissionDenied):
        guardian_delete(actor=other_personas["child_director"], guardian=mother)
    assert Guardian.objects.get(pk=mother.pk).state == Guardian.State.AT_HOME


def test_it_deletes_a_guardian_with_an_audit_entry(
    personas: dict[str, User], minor_a: Minor
) -> None:
    aunt = guardian_save(actor=None, minor=minor_a, relation="relative", name="张姑姑")
    guardian_delete(actor=personas["child_director"], guardian=aunt)
    assert not Guardian.objects.exists()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DELETE, object_type="people.guardian", minor_id=minor_a.pk
    ).exists()


def test_it_opens_a_household_for_a_child_and_changes_it_within_scope(
    personas: dict[str, User], other_personas: dict[str, User], minor_a: Minor
) -> None:
    household = household_create(
        actor=personas["child_director"], minor=minor_a, assistance="dibao"
    )
    minor_a.refresh_from_db()
    assert minor_a.household == household and household.area_code == VILLAGE_A
    with pytest.raises(PermissionDenied):
        household_update(
            actor=other_personas["child_director"], household=household, assistance="none"
        )
    assert household_update(
        actor=personas["child_director"], household=household, main_income="farming"
    ) == ["main_income"]
    assert Household.objects.get().assistance == "dibao"


def test_it_keeps_classes_unique_and_within_the_schools_managers(
    personas: dict[str, User], other_personas: dict[str, User], district: dict[str, Any]
) -> None:
    school = district["orgs"]["school_A"]
    made = school_class_save(actor=personas["school_admin"], school=school, grade=3, name="2班")
    assert str(made) and made.school == school
    with pytest.raises(ValidationError) as caught:
        school_class_save(actor=personas["district_admin"], school=school, grade=3, name=" 2班")
    assert "name" in caught.value.message_dict
    for actor in (other_personas["school_admin"], personas["counselor"]):
        with pytest.raises(PermissionDenied):
            school_class_save(actor=actor, school=school, grade=4, name="1班")
    assert SchoolClass.objects.count() == 1
