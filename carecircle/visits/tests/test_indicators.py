"""The visits.* indicators on hand-counted visits: 次, 人次, 人 and 户次 each differ."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from carecircle.people.models import Minor
from carecircle.stats.registry import REGISTRY, Scope, Unit, compute_all
from carecircle.testing.fixtures import AREA_B
from carecircle.visits.due import with_due
from carecircle.visits.indicators import IDS, by_category, figures, on_time
from carecircle.visits.models import Visit
from carecircle.visits.tests.factories import (
    HouseholdFactory,
    MinorFactory,
    in_category,
    registered_on,
    visit,
)

pytestmark = pytest.mark.django_db
START, END = date(2026, 4, 1), date(2026, 6, 30)
TOWNSHIP_A = "431103101"


def child(name: str, **fields: Any) -> Minor:
    return registered_on(MinorFactory.create(name=name, **fields), date(2026, 1, 1))


@pytest.fixture
def world(district: Any) -> dict[str, Minor]:
    """Village A: siblings 甲 and 乙 (household 1), 丙 (household 2), 丁 (no household) and
    丁's duplicate record 丁2 (merged into 丁); 戊 lives in village B.

    | visit | day   | kind   | children   | 次 | 人次 | 户次 |
    |-------|-------|--------|------------|----|------|------|
    | 1     | 04-10 | home   | 甲 乙      | 1  | 2    | 1    |
    | 2     | 05-10 | home   | 甲 乙      | 1  | 2    | 1    |
    | 3     | 05-20 | school | 甲 丙 丁   | 1  | 3    | 3    |
    | 4     | 06-05 | phone  | 丙         | 1  | 1    | 1    |
    | 8     | 06-20 | phone  | 丁2        | 1  | 1    | 1    |
    | township A, 04-01 … 06-30 |        | 5  | 9    | 7    |  and 4 人 (甲乙丙丁)
    | 5     | 06-10 | home   | 戊 (B)     | district: 6 次, 10 人次, 8 户次, 5 人 |
    | 6, 7  | 03-31, 07-01 | 甲, 丙: outside the period |
    """
    one, two = HouseholdFactory.create(), HouseholdFactory.create()
    kids = {
        "甲": child("甲", household=one),
        "乙": child("乙", household=one),
        "丙": child("丙", household=two),
        "丁": child("丁"),
        "戊": child("戊", area_code=AREA_B),
    }
    kids["丁2"] = child("丁二", status=Minor.Status.MERGED, merged_into=kids["丁"])
    in_category(kids["甲"], "orphan")
    in_category(kids["丙"], "orphan", since=date(2026, 5, 25))
    visit(date(2026, 4, 10), kids["甲"], kids["乙"])
    visit(date(2026, 5, 10), kids["甲"], kids["乙"])
    visit(date(2026, 5, 20), kids["甲"], kids["丙"], kids["丁"], kind=Visit.Kind.SCHOOL)
    visit(date(2026, 6, 5), kids["丙"], kind=Visit.Kind.PHONE)
    visit(date(2026, 6, 10), kids["戊"], area_code="431103102200")
    visit(date(2026, 3, 31), kids["甲"])
    visit(date(2026, 7, 1), kids["丙"])
    visit(date(2026, 6, 20), kids["丁2"], kind=Visit.Kind.PHONE)
    return kids


def scope(*prefixes: str) -> Scope:
    return Scope(start=START, end=END, prefixes=prefixes)


def counts(values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(values[key] for key in IDS[:4])


def test_it_registers_five_indicators_with_their_units() -> None:
    assert {key: REGISTRY[key].unit for key in IDS} == {
        "visits.count": Unit.TIMES,
        "visits.person_times": Unit.PERSON_TIMES,
        "visits.minors": Unit.PERSONS,
        "visits.households": Unit.HOUSEHOLD_TIMES,
        "visits.on_time_rate": Unit.PERCENT,
    }
    assert all(REGISTRY[key].counts_children for key in IDS[:4])


def test_times_person_times_persons_and_household_times_differ_as_counted_by_hand(
    world: dict[str, Minor],
) -> None:
    # (次, 人次, 人, 户次)
    assert counts(figures(scope(TOWNSHIP_A))) == (5, 9, 4, 7)
    assert counts(figures(scope("431103"))) == (6, 10, 5, 8)
    assert counts(figures(scope("431103102200"))) == (1, 1, 1, 1)


def test_the_period_takes_its_first_and_last_days_whole(world: dict[str, Minor]) -> None:
    wider = Scope(start=date(2026, 3, 31), end=date(2026, 7, 1), prefixes=(TOWNSHIP_A,))
    assert counts(figures(wider)) == (7, 11, 4, 9)
    day = Scope(start=date(2026, 5, 20), end=date(2026, 5, 20), prefixes=(TOWNSHIP_A,))
    assert counts(figures(day)) == (1, 3, 3, 3)


def test_a_category_counts_children_in_it_on_the_day_of_the_visit(
    world: dict[str, Minor],
) -> None:
    # 甲 an orphan all along (visits 1, 2, 3); 丙 only from 05-25 (visit 4, not 3).
    assert counts(figures(scope(TOWNSHIP_A), "orphan")) == (4, 4, 2, 4)
    assert counts(figures(scope(TOWNSHIP_A), "migrant")) == (0, 0, 0, 0)
    assert counts(by_category(scope(TOWNSHIP_A))["orphan"]) == (4, 4, 2, 4)


def test_the_on_time_rate_shows_its_denominator(world: dict[str, Minor]) -> None:
    # On 06-30: 甲 (orphan) last seen 05-20, due 06-19: late; 丙 (orphan) seen 06-05: on time.
    assert on_time(scope(TOWNSHIP_A)) == (1, 2)
    assert figures(scope(TOWNSHIP_A))["visits.on_time_rate"] == Decimal("50.0")
    assert figures(scope("431103102200"))["visits.on_time_rate"] is None  # nobody under a rule


def test_figures_are_clipped_to_the_viewers_scope(world: dict[str, Minor]) -> None:
    clipped = compute_all(start=START, end=END, viewer_prefixes=[TOWNSHIP_A], area="431103")
    assert counts(clipped) == (5, 9, 4, 7)
    village_b = compute_all(start=START, end=END, viewer_prefixes=["431103102200"])
    assert counts(village_b) == (1, 1, 1, 1)
    outside = compute_all(start=START, end=END, viewer_prefixes=["431102"])
    assert counts(outside) == (0, 0, 0, 0)


def test_a_category_in_the_scope_narrows_every_visits_figure(world: dict[str, Minor]) -> None:
    orphans = Scope(start=START, end=END, prefixes=(TOWNSHIP_A,), category="orphan")
    assert counts(
        compute_all(start=START, end=END, viewer_prefixes=[TOWNSHIP_A], category="orphan")
    ) == (4, 4, 2, 4)
    assert REGISTRY["visits.on_time_rate"].compute(orphans) == Decimal("50.0")
    denominator = REGISTRY["visits.on_time_rate"].denominator
    assert denominator is not None and denominator(orphans) == 2
    # An indicator that cannot be narrowed to a category is left out, not shown for all.
    narrowed = compute_all(start=START, end=END, viewer_prefixes=[TOWNSHIP_A], category="orphan")
    assert narrowed["staff.child_directors"] is None


def test_the_stats_page_shows_the_rate_with_its_denominator_and_a_category(
    world: dict[str, Minor],
    personas: dict[str, Any],
    client_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(personas["child_supervisor"])
    params = {"start": START.isoformat(), "end": END.isoformat()}
    page = client.get("/stats/", params)
    rows = {r["id"]: r for _g, group in page.context["groups"] for r in group}
    assert (rows["visits.on_time_rate"]["value"], rows["visits.on_time_rate"]["denominator"]) == (
        Decimal("50.0"),
        2,
    )
    assert "分母：2" in page.content.decode()  # the page speaks zh-hans
    orphans = client.get("/stats/", {**params, "category": "orphan"})
    rows = {r["id"]: r for _g, group in orphans.context["groups"] for r in group}
    assert rows["visits.count"]["value"] == 4
    assert rows["staff.child_directors"]["not_by_category"]
    assert rows["staff.child_directors"]["value"] is None
    bad = client.get("/stats/", {**params, "category": "astronaut"})
    assert bad.status_code == 200 and bad.context["form"].errors["category"]


def test_a_rate_and_its_denominator_share_one_computation(
    world: dict[str, Minor], personas: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from carecircle.stats.selectors import indicator_rows

    calls: list[object] = []
    real = with_due

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr("carecircle.visits.indicators.with_due", counted)
    supervisor = personas["child_supervisor"]  # township A
    rows = {r["id"]: r for r in indicator_rows(user=supervisor, start=START, end=END)}
    assert (rows["visits.on_time_rate"]["value"], rows["visits.on_time_rate"]["denominator"]) == (
        Decimal("50.0"),
        2,
    )
    assert len(calls) == 1
