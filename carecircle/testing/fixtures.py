"""Shared pytest fixtures: the test district, personas per role, logged-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import ROLE_SPECS, Role, ScopeKind
from carecircle.people.models import Minor
from carecircle.people.names import name_keys
from carecircle.regions.models import Division
from carecircle.regions.services import divisions_load

PASSWORD = "Correct-Horse-Battery-42"
AREA_A, AREA_B = "431103101200", "431103102200"
ORG_KINDS_BY_ROLE: dict[str, str] = {
    Role.SCHOOL_PSYCH_TEACHER: Organisation.Kind.SCHOOL,
    Role.SCHOOL_ADMIN: Organisation.Kind.SCHOOL,
    Role.HOSPITAL_CLINICIAN: Organisation.Kind.HOSPITAL,
    Role.AGENCY_OFFICER: Organisation.Kind.POLICE,
}
# Where each division-scoped role sits in jurisdiction A, and its twin in B.
DIVISION_SCOPE: dict[str, tuple[str, str]] = {
    Role.CHILD_DIRECTOR: ("431103101200", "431103102200"),
    Role.CHILD_SUPERVISOR: ("431103101", "431103102"),
}
DISTRICT_SCOPE = ("431103", "431102")


@pytest.fixture(autouse=True)
def fresh_process_caches() -> Iterator[None]:
    """Empty what a process keeps between requests: a rolled-back test hands its
    keys out again, and under a frozen clock even the creation times repeat."""
    from carecircle.screening.services import forget_campaign_instruments

    forget_campaign_instruments()
    yield


def build_district() -> dict[str, Any]:
    """Two counties, two townships with a village each, a school/hospital/police per side."""
    divisions_load(
        rows=[
            ("43", "湖南省", ""),
            ("4311", "永州市", ""),
            ("431102", "零陵区", ""),
            ("431102001", "七里店街道", ""),
            ("431102001001", "七里店社区", "111"),
            ("431103", "冷水滩区", ""),
            ("431103101", "花桥街镇", ""),
            ("431103101200", "石门村", "220"),
            ("431103102", "普利桥镇", ""),
            ("431103102200", "新田村", "220"),
        ]
    )
    orgs: dict[str, Organisation] = {}
    for side, town in (("A", "431103101"), ("B", "431103102")):
        division = Division.objects.get(prefix=town)
        for kind in (
            Organisation.Kind.SCHOOL,
            Organisation.Kind.HOSPITAL,
            Organisation.Kind.POLICE,
        ):
            orgs[f"{kind}_{side}"] = Organisation.objects.create(
                name=f"{side}-{kind}", kind=kind, division=division
            )
    return {"orgs": orgs}


@pytest.fixture
def district(db: Any) -> dict[str, Any]:
    return build_district()


def make_user(username: str, *, verified_device: bool = True, **extra: Any) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, full_name=username, **extra
    )
    if verified_device:
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def grant(
    user: User, role: str, *, prefix: str | None = None, organisation: Organisation | None = None
) -> RoleAssignment:
    if organisation is not None:
        return RoleAssignment.objects.create(
            user=user,
            role=role,
            organisation=organisation,
            scope_prefix=organisation.division.prefix,
        )
    division = Division.objects.get(prefix=prefix)
    return RoleAssignment.objects.create(
        user=user, role=role, division=division, scope_prefix=division.prefix
    )


def build_persona(district: dict[str, Any], role: str, side: str) -> User:
    """A user holding ``role`` in jurisdiction ``side`` ("A" or "B")."""
    user = make_user(f"{role}_{side.lower()}")
    spec = ROLE_SPECS[role]
    if spec.scope == ScopeKind.ORGANISATION:
        grant(user, role, organisation=district["orgs"][f"{ORG_KINDS_BY_ROLE[role]}_{side}"])
    else:
        a, b = DIVISION_SCOPE.get(role, DISTRICT_SCOPE)
        grant(user, role, prefix=a if side == "A" else b)
    return user


@pytest.fixture
def personas(district: dict[str, Any]) -> dict[str, User]:
    """One user per role in jurisdiction A (e.g. personas["child_director"])."""
    return {role: build_persona(district, role, "A") for role in Role.values}


@pytest.fixture
def other_personas(district: dict[str, Any]) -> dict[str, User]:
    """The same roles in jurisdiction B / the other county: A's children are out of scope."""
    return {role: build_persona(district, role, "B") for role in Role.values}


def _create_minor(**fields: Any) -> Minor:
    """A minor as the registry stores it, derived search keys included."""
    pinyin, initials = name_keys(fields["name"])
    return Minor.objects.create(name_pinyin=pinyin, name_initials=initials, **fields)


def build_minor_a(district: dict[str, Any]) -> Minor:
    return _create_minor(
        name="张小明",
        sex="M",
        birth_date=date(2014, 5, 1),
        area_code=AREA_A,
        id_number="43110320140501001X",
        school=district["orgs"]["school_A"],
    )


def build_minor_b(district: dict[str, Any]) -> Minor:
    return _create_minor(
        name="李小红",
        sex="F",
        birth_date=date(2013, 3, 2),
        area_code=AREA_B,
        id_number="431103201303020022",
        school=district["orgs"]["school_B"],
    )


@pytest.fixture
def minor_a(district: dict[str, Any]) -> Minor:
    return build_minor_a(district)


@pytest.fixture
def minor_b(district: dict[str, Any]) -> Minor:
    return build_minor_b(district)


def verified_client(user: User) -> Client:
    """A client signed in with password and a verified second factor."""
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    return verified_client


@pytest.fixture
def english(settings: Any) -> Iterator[None]:
    """English messages, in the test's own code and in the pages it requests.

    For tests that compare messages with their msgids; the site's default (and the
    language of every stored reason text) is zh-hans.
    """
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
