"""The visits home, the due lists and the coverage pages: what each role sees first, the
lists' content and pages, a constant number of queries, and no reason for an interval."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor
from carecircle.testing.fixtures import AREA_A, AREA_B, make_user
from carecircle.visits.tests.factories import (
    NOT_READERS,
    MinorFactory,
    in_category,
    registered_on,
    visit,
)
from carecircle.visits.tests.test_due import screened

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
LISTS = ("visits:home", "visits:children", "visits:due", "visits:overdue", "visits:coverage")


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Titles and messages compared with their msgids."""


def today() -> date:
    return timezone.localdate()


def child(
    name: str, category: str | None = "orphan", *, area: str = AREA_A, days: int = 60
) -> Minor:
    """A child registered ``days`` ago, in ``category`` (monthly for orphans)."""
    made = registered_on(
        MinorFactory.create(name=name, area_code=area), today() - timedelta(days=days)
    )
    if category:
        in_category(made, category, since=today() - timedelta(days=days))
    return made


@pytest.fixture
def kids(district: Any) -> dict[str, Minor]:
    late = child("晚一")  # registered 60 days ago, never visited: overdue
    soon = child("近二")
    visit(today() - timedelta(days=27), soon)  # due in 3 days
    fine = child("好三")
    visit(today() - timedelta(days=5), fine)  # due in 25 days
    free = child("无四", None)  # no rule: no due day
    other = child("外五", area=AREA_B)
    return {"late": late, "soon": soon, "fine": fine, "free": free, "other": other}


def names(response: Any) -> list[str]:
    return [m.name for m in response.context["page"]]


# --- Refusals ---------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login(district: Any) -> None:
    for name in LISTS:
        response = Client().get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", NOT_READERS)
def test_roles_that_follow_no_visits_are_refused(
    personas: dict[str, User], client_for: ClientFor, role: str
) -> None:
    client = client_for(personas[role])
    for name in LISTS:
        assert client.get(reverse(name)).status_code == 403, name
    assert client_for(make_user("nobody")).get(reverse("visits:home")).status_code == 403


def test_wrong_methods_are_refused(personas: dict[str, User], client_for: ClientFor) -> None:
    client = client_for(personas["child_director"])
    for name in LISTS:
        assert client.post(reverse(name)).status_code == 405, name


def test_an_area_outside_the_scope_is_a_404_and_a_bad_one_a_400(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    client = client_for(personas["child_supervisor"])
    for name in ("visits:children", "visits:due", "visits:overdue", "visits:coverage"):
        assert client.get(reverse(name), {"area": AREA_B}).status_code == 404, name
        bad = client.get(reverse(name), {"area": "43'--"})
        assert bad.status_code == 400, name
        assert "That is not a division code." in bad.content.decode()
        assert client.get(reverse(name), {"area": AREA_A}).status_code == 200, name


# --- The lists --------------------------------------------------------------------------


def test_a_directors_children_soonest_due_first_with_their_last_visit(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    response = client_for(personas["child_director"]).get(reverse("visits:children"))
    assert response.status_code == 200
    assert names(response) == ["晚一", "近二", "好三", "无四"]
    html = response.content.decode()
    assert "外五" not in html
    assert "Overdue" in html and "Never visited" in html and "No regular visit" in html
    last = (today() - timedelta(days=27)).isoformat()
    assert f"Last visit {last}" in html
    record = reverse("visits:visit-create")
    assert f"{record}?minor={kids['late'].pk}" in html
    listed = AuditEvent.objects.filter(action=AuditEvent.Action.LIST, object_type="people.minor")
    assert sorted(listed.get().details["ids"]) == sorted(m.pk for m in response.context["page"])


def test_due_this_week_and_overdue(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    client = client_for(personas["child_director"])
    assert names(client.get(reverse("visits:due"))) == ["近二"]
    assert names(client.get(reverse("visits:overdue"))) == ["晚一"]
    supervisor = client_for(personas["child_supervisor"])
    assert names(supervisor.get(reverse("visits:overdue"), {"area": AREA_A})) == ["晚一"]


def test_a_counselor_reads_the_lists_without_a_record_button(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    response = client_for(personas["counselor"]).get(reverse("visits:overdue"))
    assert sorted(names(response)) == sorted(["晚一", "外五"])  # county-wide
    assert reverse("visits:visit-create") not in response.content.decode()


def test_the_lists_never_say_why_a_child_is_visited_so_often(
    personas: dict[str, User],
    client_for: ClientFor,
    district: dict[str, Any],
) -> None:
    red = child("红六", None, days=40)
    screened(
        red,
        "red",
        today() - timedelta(days=20),
        district["orgs"]["school_A"],
        personas["counselor"],
    )
    client = client_for(personas["child_director"])
    for name in ("visits:children", "visits:overdue", "visits:home"):
        html = client.get(reverse(name)).content.decode()
        for word in ("red", "Red", "screening", "Screening", "30", "risk_"):
            assert f">{word}" not in html and f"{word} day" not in html, (name, word)
        assert "interval" not in html
    assert names(client.get(reverse("visits:overdue"))) == ["红六"]


def test_a_page_holds_50_children_in_a_constant_number_of_queries(
    personas: dict[str, User],
    client_for: ClientFor,
    district: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(personas["child_supervisor"])
    for i in range(3):
        child(f"少{i}")
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("visits:overdue"))
    for i in range(60):
        child(f"多{i:02d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = client.get(reverse("visits:overdue"))
    assert len(first.context["page"]) == 50
    assert first.context["page"].paginator.count == 63
    second = client.get(reverse("visits:overdue"), {"page": 2})
    assert len(second.context["page"]) == 13
    assert "page=2" in first.content.decode()


# --- Coverage ---------------------------------------------------------------------------


def test_a_supervisor_sees_coverage_per_village_with_links_to_the_overdue(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    response = client_for(personas["child_supervisor"]).get(reverse("visits:coverage"))
    assert response.status_code == 200
    assert response.context["by_village"]
    [row] = list(response.context["page"])
    assert (row.area, row.tracked, row.overdue) == (AREA_A, 3, 1)
    html = response.content.decode()
    assert "Coverage per village" in html and "石门村" in html
    assert f"{reverse('visits:overdue')}?area={AREA_A}" in html
    assert "66.7% visited on time" in html


def test_the_district_sees_coverage_per_township_and_drills_down(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    client = client_for(personas["district_admin"])
    response = client.get(reverse("visits:coverage"))
    assert not response.context["by_village"]
    rows = {r.area: (r.tracked, r.overdue) for r in response.context["page"]}
    assert rows == {"431103101": (3, 1), "431103102": (1, 1)}
    html = response.content.decode()
    assert "Coverage per township" in html
    assert f"{reverse('visits:coverage')}?area=431103101" in html
    villages = client.get(reverse("visits:coverage"), {"area": "431103101"})
    assert villages.context["by_village"]
    assert [r.area for r in villages.context["page"]] == [AREA_A]


def test_the_other_countys_administrator_sees_nothing_of_ours(
    other_personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    client = client_for(other_personas["district_admin"])
    assert not list(client.get(reverse("visits:coverage")).context["page"])
    assert not names(client.get(reverse("visits:overdue")))
    assert client.get(reverse("visits:coverage"), {"area": "431103101"}).status_code == 404


# --- Home -------------------------------------------------------------------------------


def test_a_director_sees_overdue_first_and_the_record_button(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    visit(today() - timedelta(days=1), kids["fine"], recorded_by=personas["child_director"])
    response = client_for(personas["child_director"]).get(reverse("visits:home"))
    assert response.status_code == 200
    cards = [(label, value) for label, value, _url, _tone in response.context["cards"]]
    assert cards == [
        ("Overdue visits", 1),
        ("Due this week", 1),
        ("My open tasks", 0),
        ("My children", 4),
    ]
    html = response.content.decode()
    assert reverse("visits:visit-create") in html
    assert reverse("visits:coverage") not in html
    assert reverse("visits:rules") not in html
    assert "好三" in html  # the latest visit


def test_a_supervisor_sees_tasks_first_and_coverage_per_village(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    response = client_for(personas["child_supervisor"]).get(reverse("visits:home"))
    assert response.context["cards"][0][0] == "My open tasks"
    assert "Coverage per village" in response.content.decode()


def test_the_district_administrator_sees_coverage_per_township_and_the_rules(
    personas: dict[str, User], client_for: ClientFor, kids: dict[str, Minor]
) -> None:
    html = client_for(personas["district_admin"]).get(reverse("visits:home")).content.decode()
    assert "Coverage per township" in html
    assert reverse("visits:rules") in html
    counselor = client_for(personas["counselor"]).get(reverse("visits:home")).content.decode()
    assert reverse("visits:visit-create") not in counselor
    assert reverse("visits:rules") not in counselor


def test_the_home_page_renders_in_a_constant_number_of_queries(
    personas: dict[str, User],
    client_for: ClientFor,
    kids: dict[str, Minor],
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(personas["child_supervisor"])
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("visits:home"))
    for i in range(10):
        visit(today() - timedelta(days=i), child(f"访{i}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("visits:home"))
