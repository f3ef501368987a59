"""The minors.* indicators: distinct children, as of the period's end, by area."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from carecircle.accounts.models import User
from carecircle.people.models import CategoryMembership, Minor
from carecircle.people.names import name_keys
from carecircle.stats.registry import REGISTRY, Unit, compute_all
from carecircle.testing.fixtures import AREA_A, AREA_B

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
SHANGHAI = ZoneInfo("Asia/Shanghai")
MINORS = [
    "minors.total",
    "minors.left_behind",
    "minors.in_difficulty",
    "minors.orphans",
    "minors.de_facto_unsupported",
    "minors.migrant",
]
H1 = (date(2026, 1, 1), date(2026, 6, 30))  # the first half of 2026


def child(
    name: str,
    *,
    born: date = date(2015, 1, 1),
    area: str = AREA_A,
    registered: date = date(2025, 1, 1),
    **fields: Any,
) -> Minor:
    pinyin, initials = name_keys(name)
    minor = Minor.objects.create(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        sex="F",
        birth_date=born,
        area_code=area,
        **fields,
    )
    moment = datetime(registered.year, registered.month, registered.day, 9, tzinfo=SHANGHAI)
    Minor.objects.filter(pk=minor.pk).update(created_at=moment)
    return minor


def member(
    minor: Minor, category: str, since: date, until: date | None = None, subtype: str = ""
) -> CategoryMembership:
    return CategoryMembership.objects.create(
        minor=minor,
        category=category,
        subtype=subtype,
        source=CategoryMembership.Source.MANUAL,
        reason="测试",
        valid_from=since,
        valid_to=until,
    )


def figures(
    period: tuple[date, date] = H1, *, area: str | None = None, viewer: list[str] | None = None
) -> dict[str, Any]:
    values = compute_all(start=period[0], end=period[1], viewer_prefixes=viewer, area=area)
    return {key: values[key] for key in MINORS}


def test_it_registers_six_indicators_in_persons_under_children() -> None:
    with translation.override("zh-hans"):
        groups = {str(REGISTRY[key].group) for key in MINORS}
    assert len(groups) == 1
    with translation.override("en"):
        assert {str(REGISTRY[key].group) for key in MINORS} == {"Children"}
    for key in MINORS:
        assert REGISTRY[key].unit == Unit.PERSONS


def test_it_counts_memberships_in_force_on_the_last_day(district: Any) -> None:
    # valid_to is the last day a membership applied, inclusive.
    counted = [
        member(child("一"), "rural_left_behind", date(2026, 3, 1)),
        member(child("二"), "rural_left_behind", date(2026, 6, 30)),  # begins on the last day
        member(child("三"), "rural_left_behind", date(2025, 1, 1), date(2026, 7, 1)),
        member(child("四"), "rural_left_behind", date(2025, 1, 1), date(2026, 6, 30)),  # last day
    ]
    not_counted = [
        member(child("五"), "rural_left_behind", date(2026, 7, 1)),  # begins after
        member(child("六"), "rural_left_behind", date(2025, 1, 1), date(2026, 6, 29)),  # ended
        member(child("七"), "urban_left_behind", date(2025, 1, 1)),  # not rural
    ]
    assert len(counted) == 4 and len(not_counted) == 3
    assert figures()["minors.left_behind"] == 4
    # The period's start does not matter: the count is as of its end.
    assert figures((date(2026, 6, 30), date(2026, 6, 30)))["minors.left_behind"] == 4
    assert figures((date(2024, 1, 1), date(2025, 12, 31)))["minors.left_behind"] == 3  # 三四六
    # On 1 July 四 and 六 have ended, 五 has begun: 一 二 三 五.
    assert figures((date(2026, 1, 1), date(2026, 7, 1)))["minors.left_behind"] == 4
    assert figures((date(2026, 1, 1), date(2026, 7, 2)))["minors.left_behind"] == 3


def test_it_counts_each_child_once(district: Any) -> None:
    two_subtypes = child("甲")
    member(two_subtypes, "in_difficulty", date(2025, 1, 1), subtype="poverty")
    member(two_subtypes, "in_difficulty", date(2025, 5, 1), subtype="disability")
    renewed = child("乙")
    member(renewed, "orphan", date(2024, 1, 1), date(2025, 1, 1))
    member(renewed, "orphan", date(2025, 1, 1))
    member(child("丙"), "in_difficulty", date(2025, 1, 1), subtype="poverty")
    values = figures()
    assert values["minors.in_difficulty"] == 2
    assert values["minors.orphans"] == 1


def test_it_leaves_out_records_merged_into_another(district: Any) -> None:
    kept = child("丁")
    duplicate = child("丁", status=Minor.Status.MERGED, merged_into=kept)
    for minor in (kept, duplicate):
        member(minor, "de_facto_unsupported", date(2025, 1, 1))
        member(minor, "migrant", date(2025, 1, 1))
    values = figures()
    assert values["minors.de_facto_unsupported"] == 1
    assert values["minors.migrant"] == 1
    assert values["minors.total"] == 1


def test_it_counts_minors_registered_and_under_18_at_the_end(district: Any) -> None:
    end = H1[1]
    child("在册")
    child("登记在期末", registered=end)
    child("登记在期后", registered=date(2026, 7, 1))
    child("期后出生", born=date(2026, 7, 1), registered=date(2026, 7, 2))
    child("期末满十八", born=date(2008, 6, 30))
    child("差一天十八", born=date(2008, 7, 1))
    child("迁出", status=Minor.Status.MOVED_AWAY)
    child("死亡", status=Minor.Status.DECEASED)
    # Aged out today, but 17 at the end of the first half of 2026: counted then.
    child("已满龄", born=date(2008, 9, 1), status=Minor.Status.AGED_OUT)
    assert figures()["minors.total"] == 4  # 在册, 登记在期末, 差一天十八, 已满龄
    # By 1 September: 已满龄 has turned 18, 登记在期后 and 期后出生 are registered.
    assert figures((date(2026, 1, 1), date(2026, 9, 1)))["minors.total"] == 4
    assert figures((date(2024, 1, 1), date(2024, 12, 31)))["minors.total"] == 0


def test_it_counts_by_residence_within_the_area(district: Any) -> None:
    for area, n in ((AREA_A, 2), (AREA_B, 3), ("431102001001", 1)):
        for i in range(n):
            member(child(f"孩{area}{i}", area=area), "migrant", date(2025, 1, 1))
    assert figures(area="431103101")["minors.migrant"] == 2
    assert figures(area="431103102200")["minors.migrant"] == 3
    assert figures(area="431103")["minors.total"] == 5
    assert figures()["minors.total"] == 6
    # A viewer's scope clips the area: a village director asking for the district.
    assert figures(area="431103", viewer=[AREA_A]) == {
        "minors.total": 2,
        "minors.left_behind": 0,
        "minors.in_difficulty": 0,
        "minors.orphans": 0,
        "minors.de_facto_unsupported": 0,
        "minors.migrant": 2,
    }
    assert set(figures(area=AREA_B, viewer=[AREA_A]).values()) == {None}


def test_the_stats_command_prints_them(district: Any) -> None:
    member(child("戊"), "orphan", date(2025, 1, 1))
    member(child("己", area=AREA_B), "orphan", date(2025, 1, 1))
    out = StringIO()
    args = ["--from", "2026-01-01", "--to", "2026-06-30", "--area", "431103101", "--json"]
    call_command("stats", *args, stdout=out)
    values = json.loads(out.getvalue())
    assert values["minors.orphans"] == 1 and values["minors.total"] == 1
    table = StringIO()
    call_command("stats", "--from", "2026-01-01", "--to", "2026-06-30", stdout=table)
    assert "minors.orphans\t2\t人" in table.getvalue().splitlines()


def test_the_stats_page_shows_them_within_the_viewers_scope(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    member(child("庚"), "in_difficulty", date(2025, 1, 1))
    member(child("辛", area=AREA_B), "in_difficulty", date(2025, 1, 1))
    period = {"start": "2026-01-01", "end": "2026-06-30"}

    def seen(role: str) -> dict[str, Any]:
        response = client_for(personas[role]).get("/stats/", period)
        assert response.status_code == 200
        rows = [row for _group, rows in response.context["groups"] for row in rows]
        return {row["id"]: row["value"] for row in rows if row["id"] in MINORS}

    assert seen("child_director")["minors.in_difficulty"] == 1
    assert seen("district_admin")["minors.in_difficulty"] == 2
    analyst = client_for(personas["analyst"]).get("/stats/", period)
    body = analyst.content.decode()
    with translation.override("zh-hans"):
        for key in MINORS:
            assert key in body and str(REGISTRY[key].name) in body
        assert str(REGISTRY["minors.total"].group) in body


def test_the_analyst_sees_small_child_counts_suppressed_and_staff_counts_exact(
    personas: dict[str, User], client_for: ClientFor, settings: Any
) -> None:
    settings.CARECIRCLE_MIN_CELL = 5
    for name in "甲乙丙":
        member(child(name), "orphan", date(2025, 1, 1))
    for name in "丁戊己庚辛":
        member(child(name), "in_difficulty", date(2025, 1, 1))
    period = {"start": "2026-01-01", "end": "2026-06-30"}

    def rows(role: str) -> dict[str, dict[str, Any]]:
        response = client_for(personas[role]).get("/stats/", period)
        assert response.status_code == 200
        return {row["id"]: row for _group, items in response.context["groups"] for row in items}

    analyst = rows("analyst")
    assert analyst["minors.orphans"]["value"] is None and analyst["minors.orphans"]["suppressed"]
    assert analyst["minors.in_difficulty"]["value"] == 5
    assert analyst["minors.migrant"]["value"] == 0  # a zero singles no child out
    assert not analyst["staff.child_directors"]["suppressed"]  # staff are not children
    page = client_for(personas["analyst"]).get("/stats/", period).content.decode()
    assert "&lt;5" in page
    assert rows("district_admin")["minors.orphans"]["value"] == 3
