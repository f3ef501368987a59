"""Who opens, reads, works and supervises cases (cases/permissions.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from carecircle.accounts.models import User
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.cases import permissions, services
from carecircle.cases.models import Case, Kind, Risk, Source, Status
from carecircle.people.models import Minor
from carecircle.people.permissions import minors_visible_to

pytestmark = pytest.mark.django_db

OPENERS = {"center_staff", "district_admin", "social_worker", "counselor", "school_psych_teacher"}
SUPERVISORS = {"center_staff", "district_admin"}


@pytest.fixture
def case(personas: dict[str, User], minor_a: Minor) -> Case:
    return services.case_open(
        actor=personas["counselor"],
        minor=minor_a,
        kind=Kind.COUNSELING,
        source=Source.WALK_IN,
        summary="孩子近两周情绪低落，多次在课堂上哭泣。",
        risk=Risk.YELLOW,
    )


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("role", Role.values)
def test_the_opening_roles(personas: dict[str, User], role: str) -> None:
    assert permissions.can_open_cases(personas[role]) is (role in OPENERS)


@pytest.mark.parametrize("role", Role.values)
def test_who_reaches_the_case_pages(personas: dict[str, User], role: str) -> None:
    user = personas[role]
    if role in OPENERS:
        permissions.require_reader(user)
    else:
        with pytest.raises(PermissionDenied):
            permissions.require_reader(user)


def test_a_team_member_without_an_opening_role_reaches_the_pages(
    personas: dict[str, User], case: Case
) -> None:
    lawyer = personas["lawyer"]
    assert not permissions.reaches_cases(lawyer)
    services.case_add_member(actor=personas["counselor"], case=case, user=lawyer)
    assert permissions.reaches_cases(lawyer)


@pytest.mark.parametrize("role", Role.values)
def test_who_reads_the_case(personas: dict[str, User], case: Case, role: str) -> None:
    # The opener (on the team) and the supervisors over the division, nobody else:
    # not the social worker, not the child's director, whatever they see of the child.
    sees = permissions.cases_visible_to(fresh(personas[role])).filter(pk=case.pk).exists()
    assert sees is (role in SUPERVISORS | {"counselor"})


@pytest.mark.parametrize("role", Role.values)
def test_the_other_side_reads_nothing(
    other_personas: dict[str, User], case: Case, role: str
) -> None:
    assert not permissions.cases_visible_to(other_personas[role]).exists()


def test_anonymous_and_roleless_users_read_nothing(case: Case) -> None:
    from django.contrib.auth.models import AnonymousUser

    from carecircle.testing.fixtures import make_user

    assert not permissions.cases_visible_to(AnonymousUser()).exists()
    assert not permissions.cases_visible_to(make_user("nobody")).exists()
    assert not permissions.reaches_cases(AnonymousUser())


def test_a_member_reads_the_case_while_on_the_team(personas: dict[str, User], case: Case) -> None:
    director = personas["child_director"]
    member = services.case_add_member(actor=personas["center_staff"], case=case, user=director)
    assert permissions.cases_visible_to(fresh(director)).filter(pk=case.pk).exists()
    assert permissions.is_member(director, case) and permissions.can_work(director, case)
    assert not permissions.supervises(director, case)
    services.case_remove_member(actor=personas["center_staff"], case=case, member=member)
    assert not permissions.cases_visible_to(fresh(director)).exists()
    assert not permissions.can_work(director, case)


def test_supervisors_work_every_case_of_their_division(
    personas: dict[str, User], other_personas: dict[str, User], case: Case
) -> None:
    for role in SUPERVISORS:
        assert permissions.supervises(personas[role], case)
        assert permissions.can_work(personas[role], case)
        assert not permissions.is_member(personas[role], case)
        assert not permissions.supervises(other_personas[role], case)
        assert not permissions.can_work(other_personas[role], case)
    assert not permissions.supervises(personas["counselor"], case)


def test_a_case_out_of_scope_is_a_404_recorded_as_a_denial(
    personas: dict[str, User], case: Case
) -> None:
    assert permissions.get_case_for_user(personas["counselor"], case.pk) == case
    with pytest.raises(Http404):
        permissions.get_case_for_user(personas["social_worker"], case.pk)
    denial = AuditEvent.objects.get(action=AuditEvent.Action.DENIED, object_type="cases.case")
    assert denial.object_id == str(case.pk)
    for pk in (0, -1, 2**63):
        with pytest.raises(Http404):
            permissions.get_case_for_user(personas["counselor"], pk)


def test_the_team_reaches_the_child_only_while_the_case_is_open(
    personas: dict[str, User], minor_a: Minor, case: Case
) -> None:
    educator = personas["family_educator"]
    assert not minors_visible_to(fresh(educator)).filter(pk=minor_a.pk).exists()
    services.case_add_member(actor=personas["counselor"], case=case, user=educator)
    assert minors_visible_to(fresh(educator)).filter(pk=minor_a.pk).exists()
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    assert not minors_visible_to(fresh(educator)).filter(pk=minor_a.pk).exists()


def test_team_access_is_read_once_per_user_object_until_forgotten(
    personas: dict[str, User], minor_a: Minor, case: Case
) -> None:
    educator = fresh(personas["family_educator"])
    assert permissions.case_team_access(educator) is None
    services.case_add_member(actor=personas["counselor"], case=case, user=educator)
    # Cached for the request: the same object still has no access...
    assert permissions.case_team_access(educator) is None
    permissions.forget_team_access(educator)
    # ...until it is forgotten.
    assert minors_visible_to(educator).filter(pk=minor_a.pk).exists()
    permissions.forget_team_access(educator)
    permissions.forget_team_access(educator)  # forgetting twice is harmless
