from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.notifications.models import OutboxMessage
from carecircle.people.models import EmergencyAccess, Minor
from carecircle.people.permissions import in_regular_scope, minors_visible_to
from carecircle.people.services import (
    emergency_access_grant,
    find_minor_for_emergency,
    minor_create,
)

pytestmark = pytest.mark.django_db
REASON = "孩子离家出走，需要核对家庭住址"


def test_it_finds_a_child_by_id_number_in_any_case(minor_a: Minor) -> None:
    assert find_minor_for_emergency(id_number=" 43110320140501001x ") == minor_a
    assert find_minor_for_emergency(id_number="110101201001011234") is None
    assert find_minor_for_emergency(id_number="") is None


def test_it_grants_access_and_queues_the_alert(
    personas: dict[str, User], other_personas: dict[str, User], minor_a: Minor
) -> None:
    user = other_personas["counselor"]
    assert not minors_visible_to(user).filter(pk=minor_a.pk).exists()
    grant = emergency_access_grant(actor=user, minor=minor_a, reason=f"  {REASON}  ")
    assert grant.reason == REASON
    assert minors_visible_to(user).filter(pk=minor_a.pk).exists()
    assert not in_regular_scope(user, minor_a)
    [message] = OutboxMessage.objects.all()
    assert message.topic == "notify"
    assert message.payload["recipients"] == [personas["district_admin"].pk]


@pytest.mark.parametrize("role", ["sysadmin", "auditor", "analyst"])
def test_it_refuses_roles_without_child_data(
    personas: dict[str, User], minor_b: Minor, role: str
) -> None:
    with pytest.raises(PermissionDenied):
        emergency_access_grant(actor=personas[role], minor=minor_b, reason=REASON)
    assert not EmergencyAccess.objects.exists()


def test_it_refuses_a_reason_under_ten_characters(
    other_personas: dict[str, User], minor_a: Minor
) -> None:
    with pytest.raises(ValidationError):
        emergency_access_grant(
            actor=other_personas["child_director"], minor=minor_a, reason=" 太短 "
        )
    assert not EmergencyAccess.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.BREAK_GLASS).exists()


def test_it_registers_a_child_in_the_actors_village(
    personas: dict[str, User], district: dict[str, Any]
) -> None:
    minor = minor_create(
        actor=personas["child_director"],
        name=" 王小华 ",
        sex="M",
        birth_date=date(2016, 1, 1),
        area_code="431103101200",
        id_number="431103201601010025",
    )
    assert minor.name == "王小华"
    assert find_minor_for_emergency(id_number="431103201601010025") == minor


@pytest.mark.parametrize(
    ("role", "area"),
    [
        ("child_director", "431103102200"),
        ("counselor", "431103101200"),
        ("auditor", "431103101200"),
    ],
)
def test_it_refuses_to_register_outside_the_editable_scope(
    personas: dict[str, User], district: dict[str, Any], role: str, area: str
) -> None:
    with pytest.raises(PermissionDenied):
        minor_create(
            actor=personas[role],
            name="王小华",
            sex="M",
            birth_date=date(2016, 1, 1),
            area_code=area,
        )
    assert not Minor.objects.exists()


def test_it_refuses_a_malformed_area_code(
    personas: dict[str, User], district: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        minor_create(
            actor=personas["district_admin"],
            name="王小华",
            sex="M",
            birth_date=date(2016, 1, 1),
            area_code="43110X",
        )
    assert not Minor.objects.exists()


def test_a_wider_read_only_role_does_not_widen_where_children_can_be_registered(
    personas: dict[str, User], district: dict[str, Any]
) -> None:
    from carecircle.accounts.roles import Role
    from carecircle.testing.fixtures import grant

    director = personas["child_director"]  # edits village A
    grant(director, Role.COUNSELOR, prefix="431103")  # reads the whole district
    grant(director, Role.SCHOOL_PSYCH_TEACHER, organisation=district["orgs"]["school_B"])
    fields: dict[str, Any] = {"name": "赵小雨", "sex": "F", "birth_date": date(2015, 2, 3)}
    with pytest.raises(PermissionDenied):
        minor_create(actor=director, area_code="431103102200", **fields)
    with pytest.raises(PermissionDenied):
        minor_create(
            actor=director,
            area_code="431103102200",
            school=district["orgs"]["school_B"],
            **fields,
        )
    assert not Minor.objects.filter(name="赵小雨").exists()
    assert minor_create(actor=director, area_code="431103101200", **fields).pk
