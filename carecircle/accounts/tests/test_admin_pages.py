"""The system administrator's pages: organisations, accounts, roles (AZ-4, AZ-9, 三员分立)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.accounts import services
from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.accounts.tests.helpers import has_chinese, zh
from carecircle.audit.models import AuditEvent
from carecircle.regions.models import Division
from carecircle.testing.fixtures import make_user

ClientFor = Callable[[User], Client]


@pytest.fixture
def admin(personas: dict[str, User], client_for: ClientFor) -> Client:
    """The system administrator of 冷水滩区 (431103)."""
    return client_for(personas["sysadmin"])


@pytest.fixture
def newbie(district: dict[str, Any]) -> User:
    return make_user("newbie", home_prefix="431103")


def _grant(admin: Client, user: User, **data: Any) -> Any:
    return admin.post(reverse("accounts:role-grant", args=[user.pk]), data)


def _errors(response: Any) -> str:
    return " ".join(str(e) for e in response.context["grant_form"].errors.values())


# --- Organisations --------------------------------------------------------------------


def test_it_creates_an_organisation_in_scope(admin: Client) -> None:
    data = {"name": "花桥中学", "kind": "school", "division_code": "431103101", "is_active": "on"}
    response = admin.post(reverse("accounts:organisation-create"), data)
    assert response.status_code == 302
    organisation = Organisation.objects.get(name="花桥中学")
    assert organisation.division_id == "431103101000"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, object_id=organisation.pk)
    assert event.actor_username == "sysadmin_a"


def test_it_edits_an_organisation_in_scope(admin: Client, district: dict[str, Any]) -> None:
    school = district["orgs"]["school_A"]
    url = reverse("accounts:organisation-edit", args=[school.pk])
    assert admin.get(url).status_code == 200
    # An unticked "active" box is simply absent from the form data.
    data = {"name": "花桥小学", "kind": "school", "division_code": "431103101"}
    assert admin.post(url, data).status_code == 302
    school.refresh_from_db()
    assert school.name == "花桥小学"
    assert not school.is_active


def test_it_refuses_an_organisation_outside_scope(admin: Client) -> None:
    data = {"name": "七里店小学", "kind": "school", "division_code": "431102001"}
    response = admin.post(reverse("accounts:organisation-create"), data)
    assert response.status_code == 200
    assert zh("That division is outside your scope.") in response.content.decode()
    assert not Organisation.objects.filter(name="七里店小学").exists()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("4311O3", "A division code has only digits, for example 431103 or 431103001201."),
        ("４３１１０３", "A division code has only digits, for example 431103 or 431103001201."),
        ("43110", "A division code has 2, 4, 6, 9 or 12 digits; %(code)s has %(n)d."),
        ("431103999", "No division has the code %(code)s."),
    ],
)
def test_it_explains_a_bad_division_code(admin: Client, code: str, message: str) -> None:
    data = {"name": "某小学", "kind": "school", "division_code": code}
    response = admin.post(reverse("accounts:organisation-create"), data)
    assert response.status_code == 200
    expected = zh(message) % {"code": code, "n": len(code)} if "%" in message else zh(message)
    assert expected in response.context["form"].errors["division_code"]
    assert not Organisation.objects.filter(name="某小学").exists()


def test_it_lists_only_organisations_in_scope(
    admin: Client, district: dict[str, Any], other_personas: dict[str, User]
) -> None:
    Organisation.objects.create(
        name="零陵一中", kind="school", division=Division.objects.get(prefix="431102001")
    )
    response = admin.get(reverse("accounts:organisation-list"))
    names = {o.name for o in response.context["organisations"]}
    assert district["orgs"]["school_A"].name in names
    assert "零陵一中" not in names


# --- Accounts -------------------------------------------------------------------------


def test_it_creates_a_user_with_a_one_time_password(admin: Client) -> None:
    data = {"username": "wang.fang", "full_name": "王芳", "phone": "13800000000"}
    response = admin.post(reverse("accounts:user-create"), data)
    assert response.status_code == 200
    user = User.objects.get(username="wang.fang")
    assert user.must_change_password
    assert user.phone == "13800000000"
    assert user.check_password(response.context["password"])
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, object_id=user.pk).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "ab", "full_name": "x"}, "username"),
        ({"username": "wang fang", "full_name": "x"}, "username"),
        ({"username": "sysadmin_a", "full_name": "x"}, "username"),
        ({"username": "wang.fang", "full_name": "x", "phone": "12345"}, "phone"),
    ],
)
def test_it_refuses_a_bad_new_user(admin: Client, data: dict[str, str], field: str) -> None:
    before = User.objects.count()
    response = admin.post(reverse("accounts:user-create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == before


def test_it_lists_only_accounts_in_scope(
    admin: Client, personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    response = admin.get(reverse("accounts:user-list"))
    usernames = {u.username for u in response.context["users"]}
    assert personas["child_director"].username in usernames
    # 零陵区's district-wide staff belong to another administrator.
    assert other_personas["district_admin"].username not in usernames
    assert other_personas["sysadmin"].username not in usernames


def test_it_edits_a_user_in_scope(admin: Client, personas: dict[str, User]) -> None:
    target = personas["child_director"]
    url = reverse("accounts:user-edit", args=[target.pk])
    response = admin.post(url, {"full_name": "刘主任", "email": "", "phone": "13911112222"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.full_name, target.phone) == ("刘主任", "13911112222")


# --- Grants -----------------------------------------------------------------------------


def test_it_grants_a_role_within_scope(
    admin: Client, newbie: User, personas: dict[str, User]
) -> None:
    response = _grant(admin, newbie, role=Role.CHILD_DIRECTOR, division_code="431103101200")
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=newbie)
    assert (assignment.role, assignment.scope_prefix) == (Role.CHILD_DIRECTOR, "431103101200")
    assert assignment.granted_by == personas["sysadmin"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.GRANT, object_id=newbie.pk)
    assert event.details["role"] == Role.CHILD_DIRECTOR
    assert event.details["prefix"] == "431103101200"


def test_it_grants_an_organisation_role(
    admin: Client, newbie: User, district: dict[str, Any]
) -> None:
    school = district["orgs"]["school_A"]
    response = _grant(admin, newbie, role=Role.SCHOOL_PSYCH_TEACHER, organisation=school.pk)
    assert response.status_code == 302
    assert RoleAssignment.objects.get(user=newbie).organisation == school


def test_it_refuses_a_grant_outside_scope_in_chinese(admin: Client, newbie: User) -> None:
    response = _grant(admin, newbie, role=Role.CHILD_DIRECTOR, division_code="431102001001")
    assert response.status_code == 400
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert has_chinese(zh("That scope is outside your own."))
    assert zh("That scope is outside your own.") in body
    assert not RoleAssignment.objects.filter(user=newbie).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.GRANT).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"role": "superuser", "division_code": "431103"},
        {"role": Role.SYSADMIN, "division_code": "431103"},
        {"role": Role.CHILD_DIRECTOR, "division_code": ""},
        {"role": Role.CHILD_DIRECTOR, "division_code": "4311O3101200"},
        {"role": Role.CHILD_DIRECTOR, "division_code": "431103101299"},
        {"role": Role.SCHOOL_ADMIN},
    ],
    ids=["unknown-role", "sysadmin", "no-code", "malformed", "unknown-code", "no-org"],
)
def test_it_refuses_a_malformed_grant(admin: Client, newbie: User, data: dict[str, str]) -> None:
    response = _grant(admin, newbie, **data)
    assert response.status_code == 400
    assert _errors(response)
    assert not RoleAssignment.objects.filter(user=newbie).exists()


def test_it_refuses_granting_sysadmin_even_past_the_form(
    personas: dict[str, User], newbie: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.role_grant(
            actor=personas["sysadmin"],
            user=newbie,
            role=Role.SYSADMIN,
            division=Division.objects.get(prefix="431103101"),
        )
    assert not RoleAssignment.objects.filter(user=newbie).exists()


def test_it_names_the_problem_with_a_malformed_code(admin: Client, newbie: User) -> None:
    response = _grant(admin, newbie, role=Role.CHILD_DIRECTOR, division_code="43110")
    message = zh("A division code has 2, 4, 6, 9 or 12 digits; %(code)s has %(n)d.")
    assert message % {"code": "43110", "n": 5} in _errors(response)


def test_it_refuses_a_role_in_the_wrong_kind_of_organisation(
    admin: Client, newbie: User, district: dict[str, Any]
) -> None:
    hospital = district["orgs"]["hospital_A"]
    response = _grant(admin, newbie, role=Role.SCHOOL_ADMIN, organisation=hospital.pk)
    assert response.status_code == 400
    assert not RoleAssignment.objects.filter(user=newbie).exists()


def test_it_refuses_a_grant_in_an_organisation_outside_scope(admin: Client, newbie: User) -> None:
    far = Organisation.objects.create(
        name="零陵一中", kind="school", division=Division.objects.get(prefix="431102001")
    )
    response = _grant(admin, newbie, role=Role.SCHOOL_ADMIN, organisation=far.pk)
    assert response.status_code == 400
    assert not RoleAssignment.objects.filter(user=newbie).exists()


def test_it_refuses_a_duplicate_grant(admin: Client, personas: dict[str, User]) -> None:
    target = personas["child_director"]
    response = _grant(admin, target, role=Role.CHILD_DIRECTOR, division_code="431103101200")
    assert response.status_code == 400
    assert RoleAssignment.objects.filter(user=target).count() == 1


@pytest.mark.parametrize(
    ("holder", "role", "code"),
    [
        ("child_director", Role.AUDITOR, "431103"),
        ("school_admin", Role.AUDITOR, "431103"),
        ("auditor", Role.CHILD_DIRECTOR, "431103101200"),
        ("auditor", Role.COUNSELOR, "431103"),
    ],
)
def test_it_refuses_auditor_together_with_child_data(
    admin: Client, personas: dict[str, User], holder: str, role: str, code: str
) -> None:
    target = personas[holder]
    response = _grant(admin, target, role=role, division_code=code)
    assert response.status_code == 400
    message = zh("Auditors and administrators cannot also hold a role that sees child data.")
    assert message in _errors(response)
    assert RoleAssignment.objects.filter(user=target).count() == 1


# --- Nobody changes their own account (AZ-4) ---------------------------------------------


def test_it_refuses_a_self_grant(admin: Client, personas: dict[str, User]) -> None:
    me = personas["sysadmin"]
    response = _grant(admin, me, role=Role.ANALYST, division_code="431103")
    assert response.status_code == 400
    assert zh("Nobody can change their own roles or scopes.") in _errors(response)
    assert RoleAssignment.objects.filter(user=me).count() == 1


def test_it_refuses_a_self_revoke(admin: Client, personas: dict[str, User]) -> None:
    me = personas["sysadmin"]
    assignment = RoleAssignment.objects.get(user=me)
    response = admin.post(reverse("accounts:role-revoke", args=[me.pk, assignment.pk]))
    assert response.status_code == 403
    assignment.refresh_from_db()
    assert assignment.revoked_at is None


@pytest.mark.parametrize("action", ["deactivate", "reset-password", "reset-otp"])
def test_it_refuses_actions_on_ones_own_account(
    admin: Client, personas: dict[str, User], action: str
) -> None:
    me = personas["sysadmin"]
    response = admin.post(reverse("accounts:user-action", args=[me.pk, action]))
    assert response.status_code == 403
    me.refresh_from_db()
    assert me.is_active
    assert not me.must_change_password
    assert TOTPDevice.objects.filter(user=me).exists()


def test_it_refuses_editing_ones_own_account(admin: Client, personas: dict[str, User]) -> None:
    me = personas["sysadmin"]
    url = reverse("accounts:user-edit", args=[me.pk])
    response = admin.post(url, {"full_name": "Someone else", "email": "", "phone": ""})
    assert response.status_code == 400
    me.refresh_from_db()
    assert me.full_name == "sysadmin_a"


# --- Revoke, deactivate, reactivate -------------------------------------------------------


def test_it_revokes_a_role_and_audits(admin: Client, personas: dict[str, User]) -> None:
    target = personas["child_director"]
    assignment = RoleAssignment.objects.get(user=target)
    url = reverse("accounts:role-revoke", args=[target.pk, assignment.pk])
    assert admin.post(url).status_code == 302
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None
    assert assignment.revoked_by == personas["sysadmin"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.REVOKE, object_id=target.pk)
    assert event.details["role"] == Role.CHILD_DIRECTOR
    # Revoking twice changes nothing and says so.
    response = admin.post(url, follow=True)
    assert zh("This role was already revoked.") in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVOKE).count() == 1


def test_it_deactivates_and_reactivates_an_account(
    admin: Client, personas: dict[str, User]
) -> None:
    target = personas["child_director"]
    admin.post(reverse("accounts:user-action", args=[target.pk, "deactivate"]))
    target.refresh_from_db()
    assert not target.is_active
    admin.post(reverse("accounts:user-action", args=[target.pk, "activate"]))
    target.refresh_from_db()
    assert target.is_active
    events = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, object_id=target.pk)
    assert events.count() == 2


def test_it_404s_an_unknown_action(admin: Client, personas: dict[str, User]) -> None:
    target = personas["child_director"]
    url = reverse("accounts:user-action", args=[target.pk, "make-superuser"])
    assert admin.post(url).status_code == 404


def test_it_404s_an_assignment_of_another_user(admin: Client, personas: dict[str, User]) -> None:
    other = RoleAssignment.objects.get(user=personas["child_supervisor"])
    url = reverse("accounts:role-revoke", args=[personas["child_director"].pk, other.pk])
    assert admin.post(url).status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


# --- Refusals: anonymous, non-admin, out of scope, wrong method -----------------------------


def _object_urls(district: dict[str, Any], target: User) -> list[tuple[str, str]]:
    assignment = RoleAssignment.objects.filter(user=target).first()
    assert assignment is not None
    school = district["orgs"]["school_A"]
    return [
        ("get", reverse("accounts:organisation-edit", args=[school.pk])),
        ("post", reverse("accounts:organisation-edit", args=[school.pk])),
        ("get", reverse("accounts:user-detail", args=[target.pk])),
        ("post", reverse("accounts:user-edit", args=[target.pk])),
        ("post", reverse("accounts:role-grant", args=[target.pk])),
        ("post", reverse("accounts:role-revoke", args=[target.pk, assignment.pk])),
        ("post", reverse("accounts:user-action", args=[target.pk, "deactivate"])),
        ("post", reverse("accounts:user-action", args=[target.pk, "reset-password"])),
    ]


def _admin_urls(district: dict[str, Any], target: User) -> list[tuple[str, str]]:
    return [
        ("get", reverse("accounts:organisation-list")),
        ("get", reverse("accounts:organisation-create")),
        ("post", reverse("accounts:organisation-create")),
        ("get", reverse("accounts:user-list")),
        ("get", reverse("accounts:user-create")),
        ("post", reverse("accounts:user-create")),
        *_object_urls(district, target),
    ]


def test_it_sends_anonymous_visitors_to_login(
    district: dict[str, Any], personas: dict[str, User]
) -> None:
    client = Client()
    for method, url in _admin_urls(district, personas["child_director"]):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


@pytest.mark.parametrize(
    "role", [Role.DISTRICT_ADMIN, Role.AUDITOR, Role.CHILD_DIRECTOR, Role.ANALYST]
)
def test_it_refuses_every_other_role(
    district: dict[str, Any], personas: dict[str, User], client_for: ClientFor, role: str
) -> None:
    client = client_for(personas[role])
    target = personas["child_director"]
    for method, url in _admin_urls(district, target):
        assert getattr(client, method)(url).status_code == 403, url
    target.refresh_from_db()
    assert target.is_active
    assert RoleAssignment.objects.active().filter(user=target).count() == 1


def test_it_hides_objects_outside_the_admins_scope(
    district: dict[str, Any],
    personas: dict[str, User],
    other_personas: dict[str, User],
    client_for: ClientFor,
) -> None:
    # 零陵区's administrator cannot even see 冷水滩区's accounts and organisations.
    client = client_for(other_personas["sysadmin"])
    target = personas["child_director"]
    for method, url in _object_urls(district, target):
        assert getattr(client, method)(url).status_code == 404, url
    target.refresh_from_db()
    assert target.is_active
    assert RoleAssignment.objects.active().filter(user=target).count() == 1


@pytest.mark.parametrize(
    ("method", "name", "needs_target"),
    [
        ("put", "accounts:organisation-create", False),
        ("delete", "accounts:user-create", False),
        ("get", "accounts:user-edit", True),
        ("get", "accounts:role-grant", True),
        ("get", "accounts:user-action", True),
        ("get", "accounts:role-revoke", True),
        ("post", "accounts:user-list", False),
        ("post", "accounts:organisation-list", False),
        ("post", "accounts:user-detail", True),
    ],
)
def test_it_refuses_the_wrong_method(
    admin: Client, personas: dict[str, User], method: str, name: str, needs_target: bool
) -> None:
    target = personas["child_director"]
    args: list[Any] = []
    if needs_target:
        args = [target.pk]
        if name == "accounts:user-action":
            args.append("deactivate")
        if name == "accounts:role-revoke":
            args.append(RoleAssignment.objects.get(user=target).pk)
    assert getattr(admin, method)(reverse(name, args=args)).status_code == 405
    target.refresh_from_db()
    assert target.is_active
