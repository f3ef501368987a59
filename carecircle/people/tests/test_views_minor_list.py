"""The minors list: filters that only narrow, scoped option lists, counts, paging, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import Organisation, User
from carecircle.accounts.tests.helpers import zh
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Category, CategoryMembership, Minor, SchoolClass
from carecircle.people.names import name_keys
from carecircle.testing.fixtures import AREA_A, AREA_B

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
LIST = reverse("people:minor-list")


def make_minor(name: str, *, area: str = AREA_A, **fields: Any) -> Minor:
    pinyin, initials = name_keys(name)
    values: dict[str, Any] = {"sex": "F", "birth_date": date(2015, 6, 1)} | fields
    return Minor.objects.create(
        name=name, name_pinyin=pinyin, name_initials=initials, area_code=area, **values
    )


def listed(client: Client, **params: Any) -> list[Minor]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return list(response.context["page"].object_list)


def test_it_filters_by_area_subtree_and_never_widens(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor, client_for: ClientFor
) -> None:
    admin = client_for(personas["district_admin"])
    assert listed(admin, area="431103102") == [minor_b]
    assert listed(admin, area=AREA_A) == [minor_a]
    assert listed(admin, area="431103") == [minor_a, minor_b]
    director = client_for(personas["child_director"])
    # Naming an out-of-scope village yields nothing, never that village's children.
    assert listed(director, area=AREA_B) == []
    assert listed(director, area="431103") == [minor_a]


def test_it_shows_a_chinese_message_for_a_bad_area_code(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    response = client_for(personas["district_admin"]).get(LIST, {"area": "43x"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    body = response.content.decode()
    assert "区划代码只能包含数字" in body
    assert zh("A filter is not valid; correct it to see the list.") in body


def test_it_filters_by_school_class_category_status_and_age(
    personas: dict[str, User],
    district: dict[str, Any],
    minor_a: Minor,
    minor_b: Minor,
    client_for: ClientFor,
) -> None:
    school_a = district["orgs"]["school_A"]
    klass = SchoolClass.objects.create(school=school_a, grade=6, name="1班")
    classmate = make_minor("王小兰", school=school_a, school_class=klass)
    moved = make_minor("赵小东", status=Minor.Status.MOVED_AWAY)
    CategoryMembership.objects.create(
        minor=minor_a,
        category=Category.RURAL_LEFT_BEHIND,
        source="rule",
        reason="父母均外出务工",
        valid_from=date(2025, 1, 1),
    )
    admin = client_for(personas["district_admin"])
    assert listed(admin, school=school_a.pk) == [minor_a, classmate]
    assert listed(admin, school=school_a.pk, school_class=klass.pk) == [classmate]
    assert listed(admin, category=Category.RURAL_LEFT_BEHIND) == [minor_a]
    assert moved not in listed(admin)
    assert listed(admin, status="moved_away") == [moved]
    assert moved in listed(admin, status="all")
    # minor_b was born 2013-03-02: 13 today (2026-11-28 or later), minor_a 12.
    assert minor_b in listed(admin, age="6-13")
    assert listed(admin, age="0-5") == []


def test_it_searches_by_pinyin_initials_and_hanzi(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor, client_for: ClientFor
) -> None:
    admin = client_for(personas["district_admin"])
    assert listed(admin, q="zhangxiaoming") == [minor_a]
    assert listed(admin, q="zxm") == [minor_a]
    assert listed(admin, q="小红") == [minor_b]
    # The search combines with the filters.
    assert listed(admin, q="zxm", area="431103102") == []


def test_it_shows_each_row_with_age_village_school_and_categories(
    personas: dict[str, User], district: dict[str, Any], minor_a: Minor, client_for: ClientFor
) -> None:
    klass = SchoolClass.objects.create(school=district["orgs"]["school_A"], grade=6, name="2班")
    Minor.objects.filter(pk=minor_a.pk).update(school_class=klass)
    CategoryMembership.objects.create(
        minor=minor_a,
        category=Category.ORPHAN,
        source="manual",
        reason="父母双亡",
        valid_from=date(2024, 1, 1),
    )
    CategoryMembership.objects.create(
        minor=minor_a,
        category=Category.MIGRANT,
        source="rule",
        reason="已结束",
        valid_from=date(2020, 1, 1),
        valid_to=date(2021, 1, 1),
    )
    response = client_for(personas["child_director"]).get(LIST)
    body = response.content.decode()
    assert "张小明" in body and "石门村" in body and "A-school" in body and "2班" in body
    [row] = response.context["page"].object_list
    # Only the open membership makes a badge; the ended one does not.
    assert [c.category for c in row.open_categories] == [Category.ORPHAN]
    assert body.count('badge text-bg-info me-1">') == 1
    assert response.context["ages"][minor_a.pk] == minor_a.age_on(date.today())


def test_it_offers_only_options_within_the_users_scope(
    personas: dict[str, User], district: dict[str, Any], minor_a: Minor, client_for: ClientFor
) -> None:
    Organisation.objects.create(
        name="外区学校",
        kind=Organisation.Kind.SCHOOL,
        division=district["orgs"]["school_B"].division,
    )
    response = client_for(personas["child_supervisor"]).get(LIST)
    form = response.context["form"]
    areas = str(form["area"])
    assert "石门村" in areas and "花桥街镇" in areas
    assert "新田村" not in areas and "普利桥镇" not in areas
    schools = str(form["school"])
    assert "A-school" in schools
    assert "B-school" not in schools and "外区学校" not in schools
    # A village director sees the school their children attend, no other school.
    director = client_for(personas["child_director"]).get(LIST).context["form"]
    assert "A-school" in str(director["school"]) and "B-school" not in str(director["school"])


def test_it_lists_class_options_only_for_the_chosen_school(
    personas: dict[str, User],
    other_personas: dict[str, User],
    district: dict[str, Any],
    client_for: ClientFor,
) -> None:
    school_a, school_b = district["orgs"]["school_A"], district["orgs"]["school_B"]
    SchoolClass.objects.create(school=school_a, grade=3, name="甲班")
    SchoolClass.objects.create(school=school_b, grade=3, name="乙班")
    client = client_for(personas["district_admin"])
    form = client.get(LIST, {"school": school_a.pk}).context["form"]
    assert "甲班" in str(form["school_class"]) and "乙班" not in str(form["school_class"])
    options = client.get(reverse("people:class-options"), {"school": school_b.pk})
    assert "乙班" in options.content.decode() and "甲班" not in options.content.decode()
    # Another county's director gets no options for this county's school.
    other = client_for(other_personas["district_admin"])
    outside = other.get(reverse("people:class-options"), {"school": school_b.pk})
    assert outside.status_code == 200 and "乙班" not in outside.content.decode()


def test_it_counts_and_pages_keeping_the_filters(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    for n in range(55):
        make_minor(f"学生{n:02d}")
    client = client_for(personas["child_director"])
    response = client.get(LIST, {"area": AREA_A})
    assert response.context["page"].paginator.count == 56
    body = response.content.decode()
    assert f"?area={AREA_A}&page=2" in body
    second = client.get(LIST, {"area": AREA_A, "page": "2"})
    assert len(second.context["page"].object_list) == 6


def test_it_audits_the_listed_page(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    client_for(personas["child_director"]).get(LIST)
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LIST).latest("seq")
    assert event.details["ids"] == [minor_a.pk]
    assert event.actor == personas["child_director"]


def test_it_offers_registration_only_to_editing_roles(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    create = reverse("people:minor-create")
    assert create in client_for(personas["child_director"]).get(LIST).content.decode()
    assert create not in client_for(personas["counselor"]).get(LIST).content.decode()
