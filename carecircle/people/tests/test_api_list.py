"""GET /api/v1/minors/ and /api/v1/minors/<id>/: filters, categories, masking, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people.idnumbers import check_character
from carecircle.people.models import (
    Category,
    CategoryMembership,
    Guardian,
    Household,
    Minor,
    SchoolClass,
)
from carecircle.people.names import name_keys
from carecircle.testing.fixtures import AREA_A

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
LIST = "api:minor-list"


def years_ago(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)) - timedelta(days=days)


def valid_id(first17: str) -> str:
    return first17 + check_character(first17)


def make_minor(name: str, *, born: date, area: str = AREA_A, **fields: Any) -> Minor:
    pinyin, initials = name_keys(name)
    return Minor.objects.create(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        sex=fields.pop("sex", "F"),
        birth_date=born,
        area_code=area,
        **fields,
    )


def member(minor: Minor, category: str, *, since: date, until: date | None = None) -> None:
    CategoryMembership.objects.create(
        minor=minor,
        category=category,
        source=CategoryMembership.Source.MANUAL,
        reason="测试原因",
        valid_from=since,
        valid_to=until,
    )


@pytest.fixture
def village(district: dict[str, Any], minor_a: Minor, minor_b: Minor) -> dict[str, Any]:
    """Village A: 张小明 (12, school A, class 六年级1班, left behind), a 16-year-old
    whose orphan membership has ended, and a child who moved away."""
    school = district["orgs"]["school_A"]
    klass = SchoolClass.objects.create(school=school, grade=6, name="1班")
    Minor.objects.filter(pk=minor_a.pk).update(school_class=klass)
    member(minor_a, "rural_left_behind", since=date(2024, 9, 1))
    member(minor_a, "in_difficulty", since=date(2025, 1, 1))
    teen = make_minor("王小芳", born=years_ago(16, 10))
    member(teen, "orphan", since=date(2020, 1, 1), until=date(2025, 6, 1))
    gone = make_minor("赵小刚", born=years_ago(9), sex="M", status=Minor.Status.MOVED_AWAY)
    return {"school": school, "class": klass, "teen": teen, "gone": gone, "b": minor_b}


def zh(label: Any) -> str:
    """A label as the API answers it (zh-hans, the default language)."""
    with translation.override("zh-hans"):
        return str(label)


def listed(client: Client, **params: Any) -> list[str]:
    response = client.get(reverse(LIST), params)
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


def test_it_searches_by_hanzi_pinyin_initials_and_id_number(
    personas: dict[str, User], village: dict[str, Any], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    assert listed(client, q="张小明") == ["张小明"]
    assert listed(client, q="zhangxiaoming") == ["张小明"]
    assert listed(client, q="zxm") == ["张小明"]
    assert listed(client, q="43110320140501001x") == ["张小明"]
    # Someone else's child is not found even by its exact ID number.
    assert listed(client, q="431103201303020022") == []


def test_it_applies_the_filters_of_the_page(
    personas: dict[str, User], village: dict[str, Any], client_for: ClientFor
) -> None:
    client = client_for(personas["district_admin"])
    assert listed(client) == ["张小明", "李小红", "王小芳"]  # active only by default
    assert listed(client, area="431103101") == ["张小明", "王小芳"]
    assert listed(client, area="431103102200") == ["李小红"]
    assert listed(client, school=village["school"].pk) == ["张小明"]
    assert listed(client, school_class=village["class"].pk) == ["张小明"]
    assert listed(client, category="rural_left_behind") == ["张小明"]
    assert listed(client, category="orphan") == []  # ended in 2025
    assert listed(client, status="moved_away") == ["赵小刚"]
    assert listed(client, status="all") == ["张小明", "李小红", "王小芳", "赵小刚"]
    assert listed(client, age="16-17") == ["王小芳"]
    assert listed(client, age="6-13", area="431103101") == ["张小明"]


def test_it_never_widens_the_scope_with_a_filter(
    personas: dict[str, User], village: dict[str, Any], client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    assert listed(client, area="431103") == ["张小明", "王小芳"]
    assert listed(client, area="431103102200") == []
    assert listed(client, school=village["b"].school_id) == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"area": "43110X"}, "area", "区划代码只能包含数字"),
        ({"area": "4311031"}, "area", "区划代码"),
        ({"school": "abc"}, "school", "整数"),
        ({"school_class": "0"}, "school_class", "1"),
        ({"category": "bogus"}, "category", "bogus"),
        ({"age": "99"}, "age", "99"),
        ({"status": "lost"}, "status", "lost"),
        ({"q": "张" * 65}, "q", "64"),
        ({"q": "\x00"}, "q", "空字符"),
        ({"school": "99999999999999999999"}, "school", "9223372036854775807"),
        ({"school_class": str(2**63)}, "school_class", "9223372036854775807"),
    ],
)
def test_it_answers_a_bad_filter_with_400_in_chinese(
    personas: dict[str, User],
    minor_a: Minor,
    client_for: ClientFor,
    params: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client_for(personas["district_admin"]).get(reverse(LIST), params)
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert any(message in text for text in errors[field]), errors
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LIST).exists()


def test_it_refuses_a_bad_filter_to_a_role_without_child_data_with_403(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    response = client_for(personas["analyst"]).get(reverse(LIST), {"area": "bad"})
    assert response.status_code == 403


def test_it_gives_every_row_its_area_code_name_and_open_categories(
    personas: dict[str, User], village: dict[str, Any], client_for: ClientFor
) -> None:
    response = client_for(personas["district_admin"]).get(reverse(LIST), {"status": "all"})
    rows = {row["name"]: row for row in response.json()["results"]}
    zhang = rows["张小明"]
    assert zhang["area_code"] == "431103101200"
    assert zhang["area_name"] == "花桥街镇 / 石门村"
    assert zhang["school"] == village["school"].pk
    assert zhang["school_class"] == village["class"].pk
    assert [(c["category"], c["category_display"]) for c in zhang["categories"]] == [
        ("in_difficulty", zh(Category.IN_DIFFICULTY.label)),
        ("rural_left_behind", zh(Category.RURAL_LEFT_BEHIND.label)),
    ]
    first = zhang["categories"][1]
    assert first == {
        "category": "rural_left_behind",
        "category_display": zh(Category.RURAL_LEFT_BEHIND.label),
        "subtype": "",
        "bucket": "",
        "reason": "测试原因",
        "valid_from": "2024-09-01",
        "source": "manual",
    }
    assert rows["王小芳"]["categories"] == []  # the orphan membership has ended
    assert rows["李小红"]["area_code"] == "431103102200"
    assert all(len(row["area_code"]) == 12 for row in rows.values())
    assert "id_number" not in zhang and "address" not in zhang


def test_it_does_not_show_a_membership_that_starts_later(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    member(minor_a, "migrant", since=timezone.localdate() + timedelta(days=3))
    response = client_for(personas["child_director"]).get(reverse(LIST))
    assert response.json()["results"][0]["categories"] == []


def test_it_shows_a_membership_on_its_last_day_and_not_after(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    today = timezone.localdate()
    member(minor_a, "migrant", since=date(2025, 1, 1), until=today)
    member(minor_a, "orphan", since=date(2025, 1, 1), until=today - timedelta(days=1))
    response = client_for(personas["child_director"]).get(reverse(LIST))
    assert [c["category"] for c in response.json()["results"][0]["categories"]] == ["migrant"]
    assert listed(client_for(personas["child_director"]), category="migrant") == ["张小明"]
    assert listed(client_for(personas["child_director"]), category="orphan") == []


def test_it_audits_each_page_as_one_list_entry(
    personas: dict[str, User], village: dict[str, Any], client_for: ClientFor
) -> None:
    user = personas["child_director"]
    response = client_for(user).get(reverse(LIST))
    ids = [row["id"] for row in response.json()["results"]]
    event = AuditEvent.objects.get(action=AuditEvent.Action.LIST)
    assert event.actor_id == user.pk and event.details["ids"] == ids


def test_it_pages_with_a_cursor(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    for n in range(4):
        make_minor(f"孩子{n}", born=years_ago(8))
    client = client_for(personas["child_director"])
    first = client.get(reverse(LIST), {"page_size": 3}).json()
    assert len(first["results"]) == 3 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    seen = [r["id"] for r in first["results"] + second["results"]]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 5


def test_it_does_not_query_per_row(
    personas: dict[str, User], district: dict[str, Any], client_for: ClientFor
) -> None:
    school = district["orgs"]["school_A"]
    for n in range(12):
        child = make_minor(f"学生{n}", born=years_ago(10), school=school)
        member(child, "rural_left_behind", since=date(2025, 1, 1))
        member(child, "in_difficulty", since=date(2025, 1, 1))
        Guardian.objects.create(minor=child, relation="father", phone="13812345678")
    client = client_for(personas["district_admin"])

    def queries(size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse(LIST), {"page_size": size})
        assert len(response.json()["results"]) == size
        return len(captured)

    queries(12)  # warm up: the first request of a session loads more
    assert queries(2) == queries(12)


# --- Detail ---------------------------------------------------------------------------


def test_it_shows_guardians_masked_with_household_school_and_warnings(
    personas: dict[str, User], village: dict[str, Any], minor_a: Minor, client_for: ClientFor
) -> None:
    father_id = valid_id("43110319850312003")
    household = Household.objects.create(area_code=AREA_A)
    Minor.objects.filter(pk=minor_a.pk).update(household=household, birth_date=date(2014, 5, 2))
    Guardian.objects.create(
        minor=minor_a,
        relation="father",
        name="张大山",
        phone="13812345678",
        id_number=father_id,
        state="working_away",
        state_since=date(2024, 3, 1),
        work_place="广东东莞",
        cross_county=True,
    )
    response = client_for(personas["child_director"]).get(
        reverse("api:minor-detail", args=[minor_a.pk])
    )
    assert response.status_code == 200
    data = response.json()
    assert data["household"] == household.pk
    assert data["school_name"] == "A-school" and data["school_class_name"] == zh(village["class"])
    assert data["area_name"] == "花桥街镇 / 石门村"
    assert [c["category"] for c in data["categories"]] == ["in_difficulty", "rural_left_behind"]
    [father] = data["guardians"]
    assert father["phone"] == "138****5678"
    assert father["id_number"] == "4311**********" + father_id[-4:]
    assert (
        father["relation_display"] == zh(Guardian.Relation.FATHER.label)
        and father["state"] == "working_away"
    )
    assert father["cross_county"] is True and father["state_since"] == "2024-03-01"
    assert len(data["warnings"]) == 1 and "2014-05-02" in data["warnings"][0]
    body = response.content.decode()
    for secret in (father_id, "13812345678", minor_a.id_number):
        assert secret not in body


def test_it_audits_the_read_of_a_record(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    user = personas["child_director"]
    client_for(user).get(reverse("api:minor-detail", args=[minor_a.pk]))
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor_id, event.minor_id) == (user.pk, minor_a.pk)
    assert {"id_number", "guardians", "categories", "area_code"} <= set(event.fields)


def test_it_records_a_denial_for_an_out_of_scope_record(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    response = client_for(other_personas["child_director"]).get(
        reverse("api:minor-detail", args=[minor_a.pk])
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).exists()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DENIED, object_id=str(minor_a.pk)
    ).exists()
