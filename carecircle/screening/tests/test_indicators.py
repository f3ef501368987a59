"""The screening.* indicators: questionnaires in 份, children in 人, by period and residence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from freezegun import freeze_time

from carecircle.accounts.models import Organisation, User
from carecircle.people.models import Minor, SchoolClass
from carecircle.screening.models import Campaign, KeyTarget
from carecircle.screening.services import campaign_create, participants_issue, response_submit
from carecircle.stats.registry import REGISTRY, Unit, compute_all
from carecircle.testing.fixtures import AREA_A, AREA_B, _create_minor

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
SPRING = datetime(2026, 3, 2, 8, tzinfo=TZ)
AUTUMN = datetime(2026, 9, 7, 8, tzinfo=TZ)
IDS = ["screening.responses", "screening.minors_screened", "screening.red", "screening.key_targets"]
PHQ9 = {
    "green": [0, 1, 0, 1, 0, 1, 0, 0, 0],
    "yellow": [2, 2, 1, 1, 1, 1, 1, 1, 0],
    "red": [3, 3, 3, 3, 2, 2, 2, 2, 0],
    "red_critical": [0, 0, 0, 0, 0, 0, 0, 0, 1],
}
GAD7_GREEN = [0, 0, 1, 0, 0, 1, 0]


def pupil(name: str, school: Organisation, area: str = AREA_A, **fields: Any) -> Minor:
    grade = SchoolClass.objects.get_or_create(school=school, grade=8, name="1班")[0]
    return _create_minor(
        name=name,
        sex="F",
        birth_date=date(2012, 1, 1),
        area_code=area,
        school=school,
        school_class=grade,
        **fields,
    )


def campaign(actor: User, school: Organisation, opens: datetime) -> Campaign:
    made = campaign_create(
        actor=actor,
        school=school,
        name=f"筛查 {opens:%Y-%m}",
        opens_at=opens,
        closes_at=opens + timedelta(days=7),
        basis=Campaign.Basis.STATUTORY,
        statutory_basis="《未成年人保护法》第三十条",
        instruments=[("PHQ9", 12, 18), ("GAD7", 12, 18)],
    )
    participants_issue(actor=actor, campaign=made)
    return made


def submit(round_: Campaign, minor: Minor, level: str, at: datetime, code: str = "PHQ9") -> None:
    values = PHQ9[level] if code == "PHQ9" else GAD7_GREEN
    answers = {f"q{n}": value for n, value in enumerate(values, start=1)}
    participant = round_.participants.get(minor=minor)
    with freeze_time(at):
        response = response_submit(participant=participant, code=code, answers=answers)
    if code == "PHQ9":
        assert response.triage == level


def figures(
    start: date, end: date, *, area: str | None = None, viewer: list[str] | None = None
) -> dict[str, Any]:
    values = compute_all(start=start, end=end, viewer_prefixes=viewer, area=area)
    return {key: values[key] for key in IDS}


@pytest.fixture
def world(district: dict[str, Any], personas: dict[str, User]) -> dict[str, Any]:
    """School A: 甲 screened twice (red in spring, green in autumn) and with two
    questionnaires in spring; 乙 red-critical in spring; 丙 green; 丁 lives in B."""
    school = district["orgs"]["school_A"]
    counselor = personas["counselor"]
    kids = {name: pupil(name, school) for name in "甲乙丙"}
    kids["丁"] = pupil("丁", school, area=AREA_B)
    spring = campaign(counselor, school, SPRING)
    submit(spring, kids["甲"], "red", SPRING + timedelta(hours=1))
    submit(spring, kids["甲"], "green", SPRING + timedelta(hours=1), code="GAD7")
    submit(spring, kids["乙"], "red_critical", SPRING + timedelta(hours=2))
    submit(spring, kids["丙"], "green", SPRING + timedelta(days=6, hours=15, minutes=59))
    submit(spring, kids["丁"], "red", SPRING + timedelta(hours=3))
    autumn = campaign(counselor, school, AUTUMN)
    submit(autumn, kids["甲"], "green", AUTUMN + timedelta(hours=1))
    return {"kids": kids, "school": school}


def test_it_registers_four_indicators_in_copies_and_persons() -> None:
    units = {key: REGISTRY[key].unit for key in IDS}
    assert units == {
        "screening.responses": Unit.COPIES,
        "screening.minors_screened": Unit.PERSONS,
        "screening.red": Unit.PERSONS,
        "screening.key_targets": Unit.PERSONS,
    }
    assert all(REGISTRY[key].counts_children for key in IDS)
    assert {str(REGISTRY[key].group) for key in IDS} == {str(REGISTRY[IDS[0]].group)}


def test_a_child_screened_twice_counts_once_in_persons_and_each_time_in_copies(
    world: dict[str, Any],
) -> None:
    year = figures(date(2026, 1, 1), date(2026, 12, 31), area="431103101")
    # 甲: PHQ-9 and GAD-7 in spring, PHQ-9 in autumn; 乙 and 丙 once; 丁 lives elsewhere.
    assert year["screening.responses"] == 5
    assert year["screening.minors_screened"] == 3
    # 甲 was red in spring (green in autumn: still counted), 乙 red-critical.
    assert year["screening.red"] == 2


def test_children_living_outside_the_area_are_left_out(world: dict[str, Any]) -> None:
    year = (date(2026, 1, 1), date(2026, 12, 31))
    assert figures(*year, area=AREA_B)["screening.minors_screened"] == 1
    assert figures(*year, area=AREA_B)["screening.red"] == 1
    assert figures(*year, area="431103")["screening.minors_screened"] == 4
    assert figures(*year)["screening.responses"] == 6
    # A viewer's scope clips the area, as for every indicator.
    assert figures(*year, area="431103", viewer=[AREA_A])["screening.responses"] == 5
    assert set(figures(*year, area=AREA_B, viewer=[AREA_A]).values()) == {None}


def test_the_period_runs_from_the_first_midnight_to_the_midnight_after_the_last_day(
    world: dict[str, Any],
) -> None:
    area = "431103101"
    assert figures(date(2026, 1, 1), date(2026, 3, 1), area=area)["screening.responses"] == 0
    first_day = figures(date(2026, 3, 2), date(2026, 3, 2), area=area)
    assert first_day["screening.responses"] == 3  # 甲 twice, 乙
    assert first_day["screening.minors_screened"] == 2
    # 丙 answered at 23:59 on 8 March: in a period ending that day, not in one starting the 9th.
    assert figures(date(2026, 3, 8), date(2026, 3, 8), area=area)["screening.responses"] == 1
    assert figures(date(2026, 3, 9), date(2026, 9, 6), area=area)["screening.responses"] == 0
    autumn = figures(date(2026, 9, 7), date(2026, 12, 31), area=area)
    assert (autumn["screening.minors_screened"], autumn["screening.red"]) == (1, 0)


def test_a_merged_record_counts_as_the_child_it_was_merged_into(
    world: dict[str, Any], personas: dict[str, User]
) -> None:
    kids = world["kids"]
    Minor.objects.filter(pk=kids["乙"].pk).update(
        status=Minor.Status.MERGED, merged_into=kids["甲"]
    )
    year = figures(date(2026, 1, 1), date(2026, 12, 31), area="431103101")
    assert year["screening.minors_screened"] == 2  # 甲 (and 乙, the same child), 丙
    assert year["screening.red"] == 1
    assert year["screening.responses"] == 5


def test_key_targets_count_those_open_on_the_last_day(
    district: dict[str, Any], personas: dict[str, User]
) -> None:
    school = district["orgs"]["school_A"]
    counselor = personas["counselor"]

    def target(name: str, confirmed: date, ended: date | None = None, area: str = AREA_A) -> None:
        def moment(day: date) -> datetime:
            return datetime(day.year, day.month, day.day, 10, tzinfo=TZ)

        KeyTarget.objects.create(
            minor=pupil(name, school, area=area),
            reasons=["测试"],
            confirmed_by=counselor,
            confirmed_at=moment(confirmed),
            ended_at=moment(ended) if ended else None,
            ended_by=counselor if ended else None,
        )

    target("一", date(2026, 1, 5))
    target("二", date(2026, 6, 30))  # confirmed on the last day
    target("三", date(2026, 1, 5), date(2026, 6, 30))  # ended on the last day
    target("四", date(2026, 1, 5), date(2026, 6, 29))  # ended the day before
    target("五", date(2026, 7, 1))  # after the period
    target("六", date(2026, 1, 5), area=AREA_B)  # lives elsewhere
    h1 = figures(date(2026, 1, 1), date(2026, 6, 30), area="431103101")
    assert h1["screening.key_targets"] == 3  # 一 二 三
    assert (
        figures(date(2026, 1, 1), date(2026, 7, 1), area="431103101")["screening.key_targets"] == 3
    )  # 一 二 五
    assert figures(date(2025, 1, 1), date(2025, 12, 31))["screening.key_targets"] == 0
    assert figures(date(2026, 1, 1), date(2026, 6, 30))["screening.key_targets"] == 4


def test_the_stats_page_shows_them_and_hides_small_counts_from_the_analyst(
    world: dict[str, Any],
    personas: dict[str, User],
    client_for: Callable[[User], Client],
    settings: Any,
) -> None:
    settings.CARECIRCLE_MIN_CELL = 5
    period = {"start": "2026-01-01", "end": "2026-12-31"}

    def rows(role: str) -> dict[str, dict[str, Any]]:
        response = client_for(personas[role]).get("/stats/", period)
        assert response.status_code == 200
        found = [row for _group, items in response.context["groups"] for row in items]
        return {row["id"]: row for row in found if row["id"] in IDS}

    counselor = rows("counselor")
    assert counselor["screening.responses"]["value"] == 6
    assert counselor["screening.minors_screened"]["value"] == 4
    analyst = rows("analyst")
    assert analyst["screening.responses"]["value"] == 6
    assert analyst["screening.minors_screened"]["suppressed"]
    assert analyst["screening.red"]["value"] is None
    assert analyst["screening.key_targets"]["value"] == 0
