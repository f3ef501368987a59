"""Finding a child by 汉字, full pinyin, initials or ID number, never outside the caller's scope."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.people import demo
from carecircle.people.models import Minor
from carecircle.people.names import name_keys
from carecircle.people.selectors import minors_search
from carecircle.people.services import minor_create
from carecircle.testing.fixtures import AREA_A, AREA_B

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]

ZHANG_SAN_ID = "43110320150607029X"
SHAN_ID = "431103201608090021"


@pytest.fixture
def children(district: dict[str, Any]) -> dict[str, Minor]:
    """张三 and 单田芳 in jurisdiction A; 张三丰, whose keys start like 张三's, in B."""

    def register(name: str, sex: str, born: date, area: str, id_number: str = "") -> Minor:
        return minor_create(
            actor=None, name=name, sex=sex, birth_date=born, area_code=area, id_number=id_number
        )

    return {
        "zhangsan": register("张三", "M", date(2015, 6, 7), AREA_A, ZHANG_SAN_ID),
        "shan": register("单田芳", "F", date(2016, 8, 9), AREA_A, SHAN_ID),
        "zhangsanfeng": register("张三丰", "M", date(2012, 1, 2), AREA_B),
    }


def found(query: str) -> set[str]:
    return {m.name for m in minors_search(Minor.objects.all(), query)}


def test_it_registers_a_child_with_its_name_keys(children: dict[str, Minor]) -> None:
    minor = Minor.objects.get(pk=children["shan"].pk)
    assert (minor.name_pinyin, minor.name_initials) == ("shantianfang", "stf")


def test_it_leaves_the_queryset_alone_for_an_empty_query(children: dict[str, Minor]) -> None:
    assert found("") == found("   ") == {"张三", "单田芳", "张三丰"}


def test_it_finds_by_chinese_characters_anywhere_in_the_name(children: dict[str, Minor]) -> None:
    assert found("张三") == {"张三", "张三丰"}
    assert found("田芳") == {"单田芳"}
    assert found("张 三丰") == {"张三丰"}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("zhangsan", {"张三", "张三丰"}),
        ("ZhangSan", {"张三", "张三丰"}),
        ("zhang san", {"张三", "张三丰"}),
        ("zhangsanf", {"张三丰"}),
        ("zh", {"张三", "张三丰"}),
        ("shantian", {"单田芳"}),
        ("zs", {"张三", "张三丰"}),
        ("zsf", {"张三丰"}),
        ("stf", {"单田芳"}),
        ("s", {"单田芳"}),
    ],
)
def test_it_finds_by_a_prefix_of_the_pinyin_or_the_initials(
    children: dict[str, Minor], query: str, names: set[str]
) -> None:
    assert found(query) == names


def test_it_does_not_match_pinyin_in_the_middle_of_a_name(children: dict[str, Minor]) -> None:
    assert found("san") == set()
    assert found("dantianfang") == set()  # 单 as a surname is Shàn


def test_it_finds_by_the_whole_id_number_only(children: dict[str, Minor]) -> None:
    assert found(ZHANG_SAN_ID) == {"张三"}
    assert found(ZHANG_SAN_ID.lower()) == {"张三"}
    assert found(f" {SHAN_ID} ") == {"单田芳"}
    assert found(ZHANG_SAN_ID[:6]) == set()
    assert found(ZHANG_SAN_ID[:-1]) == set()
    assert found("110101201001011234") == set()


def test_it_finds_nothing_for_an_unknown_name(children: dict[str, Minor]) -> None:
    assert found("wangwu") == set()
    assert found("王五") == set()
    assert found("??") == set()


def test_it_never_widens_the_queryset_it_is_given(children: dict[str, Minor]) -> None:
    scoped = Minor.objects.filter(area_code__startswith="431103101")
    assert {m.name for m in minors_search(scoped, "zhangsan")} == {"张三"}
    assert {m.name for m in minors_search(scoped, "张三丰")} == set()
    assert {m.name for m in minors_search(scoped, "zsf")} == set()


# --- The list page and the API ----------------------------------------------------------


def page_names(client: Client, query: str) -> set[str]:
    response = client.get(reverse("people:minor-list"), {"q": query})
    assert response.status_code == 200
    return {m.name for m in response.context["page"].object_list}


def api_names(client: Client, query: str) -> set[str]:
    response = client.get(reverse("api:minor-list"), {"q": query})
    assert response.status_code == 200
    return {row["name"] for row in response.json()["results"]}


@pytest.mark.parametrize("listing", [page_names, api_names], ids=["page", "api"])
def test_it_searches_within_the_callers_scope(
    personas: dict[str, User],
    other_personas: dict[str, User],
    children: dict[str, Minor],
    client_for: ClientFor,
    listing: Callable[[Client, str], set[str]],
) -> None:
    director_a = client_for(personas["child_director"])
    assert listing(director_a, "zs") == {"张三"}
    assert listing(director_a, "张三") == {"张三"}
    assert listing(director_a, ZHANG_SAN_ID.lower()) == {"张三"}
    assert listing(director_a, "zhangsanfeng") == set()
    district_admin = client_for(personas["district_admin"])
    assert listing(district_admin, "zhangsan") == {"张三", "张三丰"}
    director_b = client_for(other_personas["child_director"])
    assert listing(director_b, "zhangsan") == {"张三丰"}
    assert listing(director_b, ZHANG_SAN_ID) == set()
    assert listing(director_b, "stf") == set()


def test_it_refuses_the_search_to_anonymous_and_read_only_callers(
    personas: dict[str, User], children: dict[str, Minor], client_for: ClientFor
) -> None:
    for url in (reverse("people:minor-list"), reverse("api:minor-list")):
        anonymous = Client().get(url, {"q": "zhangsan"})
        assert anonymous.status_code in (302, 401, 403)
        assert "张三" not in anonymous.content.decode()
        auditor = client_for(personas["auditor"]).get(url, {"q": "zhangsan"})
        assert auditor.status_code == 403
        assert "张三" not in auditor.content.decode()
        # The page has no POST; the API's POST registers a child and takes JSON only.
        wrong_method = client_for(personas["child_director"]).post(url, {"q": "zhangsan"})
        assert wrong_method.status_code == (405 if url.startswith("/minors/") else 415)


# --- Keys filled outside minor_create ------------------------------------------------------


def test_it_gives_every_demo_child_its_name_keys() -> None:
    demo.demo_seed(minors=demo.REGISTERED_BY_DIRECTOR + 4, seed=7)
    minors = list(Minor.objects.all())
    assert len(minors) == demo.REGISTERED_BY_DIRECTOR + 4
    for minor in minors:
        assert minor.name_pinyin and (minor.name_pinyin, minor.name_initials) == name_keys(
            minor.name
        )


def test_the_migration_fills_the_keys_of_existing_children(district: dict[str, Any]) -> None:
    minor = Minor.objects.create(
        name="曾小明", sex="M", birth_date=date(2014, 5, 1), area_code=AREA_A
    )
    assert minor.name_pinyin == ""
    migration = importlib.import_module("carecircle.people.migrations.0002_minor_name_keys")
    migration.fill_name_keys(apps, None)
    minor.refresh_from_db()
    assert (minor.name_pinyin, minor.name_initials) == ("zengxiaoming", "zxm")
