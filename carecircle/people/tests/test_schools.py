"""Schools and classes: which schools a user reaches, counts of visible pupils, class changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.accounts.tests.helpers import zh
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor, SchoolClass
from carecircle.people.school_views import schools_selectable_by, schools_visible_to
from carecircle.testing.fixtures import AREA_A, AREA_B

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
LIST = reverse("people:school-list")


def pupil(name: str, area: str, school_class: SchoolClass) -> Minor:
    return Minor.objects.create(
        name=name,
        sex="M",
        birth_date=date(2015, 1, 1),
        area_code=area,
        school=school_class.school,
        school_class=school_class,
    )


def test_it_reaches_schools_by_division_or_by_own_school(
    personas: dict[str, User], other_personas: dict[str, User], district: dict[str, Any]
) -> None:
    school_a, school_b = district["orgs"]["school_A"], district["orgs"]["school_B"]
    assert set(schools_visible_to(personas["district_admin"])) == {school_a, school_b}
    assert list(schools_visible_to(personas["child_supervisor"])) == [school_a]
    assert list(schools_visible_to(personas["school_psych_teacher"])) == [school_a]
    assert list(schools_visible_to(other_personas["school_admin"])) == [school_b]
    assert list(schools_visible_to(other_personas["district_admin"])) == []
    for role in ("lawyer", "auditor", "sysadmin", "child_director"):
        assert list(schools_visible_to(personas[role])) == [], role


def test_it_offers_the_schools_of_visible_children_in_filters(
    personas: dict[str, User], district: dict[str, Any], minor_a: Minor
) -> None:
    director = personas["child_director"]
    assert list(schools_selectable_by(director)) == [district["orgs"]["school_A"]]
    # Registering: every school of the county where the director registers children.
    assert len(schools_selectable_by(director, registering=True)) == 2
    assert list(schools_selectable_by(personas["auditor"], registering=True)) == []


def test_it_lists_schools_in_scope_with_class_counts(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    SchoolClass.objects.create(school=district["orgs"]["school_A"], grade=1, name="1班")
    response = client_for(personas["child_supervisor"]).get(LIST)
    schools = response.context["schools"]
    assert [s.name for s in schools] == ["A-school"] and schools[0].class_count == 1
    assert "B-school" not in response.content.decode()
    assert client_for(personas["auditor"]).get(LIST).status_code == 403
    assert Client().get(LIST).status_code == 302


def test_it_counts_only_visible_pupils_per_class(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    klass = SchoolClass.objects.create(school=district["orgs"]["school_A"], grade=4, name="2班")
    pupil("甲", AREA_A, klass)
    pupil("乙", AREA_B, klass)  # attends school A, lives in village B
    url = reverse("people:school-detail", args=[district["orgs"]["school_A"].pk])
    supervisor = client_for(personas["child_supervisor"]).get(url)
    [[(row_class, count)]] = supervisor.context["grades"].values()
    assert (row_class, count) == (klass, 1)
    teacher = client_for(personas["school_psych_teacher"]).get(url)
    assert next(iter(teacher.context["grades"].values())) == [(klass, 2)]


def test_it_lists_a_class_and_audits_the_pupils_shown(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    klass = SchoolClass.objects.create(school=district["orgs"]["school_A"], grade=4, name="2班")
    seen = pupil("甲", AREA_A, klass)
    pupil("乙", AREA_B, klass)
    response = client_for(personas["child_supervisor"]).get(
        reverse("people:class-detail", args=[klass.pk])
    )
    assert list(response.context["page"].object_list) == [seen]
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LIST).latest("seq")
    assert event.details["ids"] == [seen.pk]


def test_it_hides_other_schools_and_their_classes(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    klass = SchoolClass.objects.create(school=district["orgs"]["school_B"], grade=1, name="1班")
    client = client_for(personas["child_supervisor"])
    school_b = district["orgs"]["school_B"].pk
    assert client.get(reverse("people:school-detail", args=[school_b])).status_code == 404
    assert client.get(reverse("people:class-detail", args=[klass.pk])).status_code == 404
    assert client.get(reverse("people:class-edit", args=[klass.pk])).status_code == 404
    assert client.post(reverse("people:class-create", args=[school_b]), {}).status_code == 404


def test_it_creates_and_edits_a_class(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    school = district["orgs"]["school_A"]
    client = client_for(personas["school_admin"])
    create = reverse("people:class-create", args=[school.pk])
    response = client.post(create, {"grade": "3", "name": " 1班 ", "is_active": "on"})
    klass = SchoolClass.objects.get()
    assert response["Location"] == reverse("people:class-detail", args=[klass.pk])
    assert (klass.grade, klass.name, klass.is_active) == (3, "1班", True)
    duplicate = client.post(create, {"grade": "3", "name": "1班"})
    assert duplicate.context["form"].errors["name"] == [
        zh("This school already has a class of that name in that grade.")
    ]
    edit = reverse("people:class-edit", args=[klass.pk])
    client.post(edit, {"grade": "3", "name": "1班", "head_teacher": "刘老师"})
    klass.refresh_from_db()
    assert (klass.head_teacher, klass.is_active) == ("刘老师", False)
    assert SchoolClass.objects.count() == 1


@pytest.mark.parametrize("role", ["school_psych_teacher", "counselor", "lawyer"])
def test_it_refuses_class_changes_to_roles_that_do_not_manage_the_school(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor, role: str
) -> None:
    school = district["orgs"]["school_A"]
    response = client_for(personas[role]).post(
        reverse("people:class-create", args=[school.pk]), {"grade": "1", "name": "1班"}
    )
    assert response.status_code == 403
    assert not SchoolClass.objects.exists()
