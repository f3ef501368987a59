"""Key assistance targets: the list proposes with reasons, a counselor confirms or ends."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from freezegun import freeze_time

from carecircle.accounts.models import User
from carecircle.people.models import Category, CategoryMembership, Minor, SchoolClass
from carecircle.people.timeline import timeline_for
from carecircle.screening.models import Campaign, KeyTarget, Participant
from carecircle.screening.services import campaign_create, participants_issue, response_submit
from carecircle.screening.targets import candidates_for, key_target_confirm, key_target_end
from carecircle.testing.fixtures import _create_minor, verified_client

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
SPRING = datetime(2026, 3, 2, 8, tzinfo=TZ)
AUTUMN = datetime(2026, 9, 7, 8, tzinfo=TZ)
NOW = datetime(2026, 10, 1, 8, tzinfo=TZ)
PHQ9 = {
    "green": [0, 1, 0, 1, 0, 1, 0, 0, 0],  # total 3
    "green_higher": [1, 1, 1, 1, 1, 1, 1, 0, 0],  # total 7: +4, still mild
    "yellow": [2, 2, 1, 1, 1, 1, 1, 1, 0],  # total 10
    "red": [3, 3, 3, 3, 2, 2, 2, 2, 0],  # total 20
}


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


@pytest.fixture
def pupils(district: dict[str, Any]) -> dict[str, Minor]:
    school = district["orgs"]["school_A"]
    grade = SchoolClass.objects.create(school=school, grade=8, name="1班")
    common = {"sex": "F", "area_code": "431103101200", "school": school, "school_class": grade}
    return {
        name: _create_minor(name=name, birth_date=date(2012, 1, n), **common)
        for n, name in enumerate(("甲", "乙", "丙", "丁", "戊"), start=1)
    }


def _round(actor: User, school: Any, opens: datetime, answers: dict[Minor, str]) -> None:
    campaign = campaign_create(
        actor=actor,
        school=school,
        name=f"筛查 {opens:%Y-%m}",
        opens_at=opens,
        closes_at=opens + timedelta(days=7),
        basis=Campaign.Basis.STATUTORY,
        statutory_basis="《未成年人保护法》",
        instruments=[("PHQ9", 12, 18)],
    )
    participants_issue(actor=actor, campaign=campaign)
    for minor, level in answers.items():
        participant = Participant.objects.get(campaign=campaign, minor=minor)
        values = {f"q{n}": v for n, v in enumerate(PHQ9[level], start=1)}
        with freeze_time(opens + timedelta(hours=1)):
            response_submit(participant=participant, code="PHQ9", answers=values)


@pytest.fixture
def screened(
    district: dict[str, Any], personas: dict[str, User], pupils: dict[str, Minor]
) -> dict[str, Minor]:
    school = district["orgs"]["school_A"]
    counselor = personas["counselor"]
    p = pupils
    _round(counselor, school, SPRING, {p["甲"]: "red", p["乙"]: "green", p["丙"]: "yellow",
                                       p["丁"]: "green", p["戊"]: "green"})  # fmt: skip
    _round(counselor, school, AUTUMN, {p["乙"]: "yellow", p["丙"]: "yellow",
                                       p["丁"]: "green_higher", p["戊"]: "green"})  # fmt: skip
    CategoryMembership.objects.create(
        minor=p["丙"],
        category=Category.RURAL_LEFT_BEHIND,
        source=CategoryMembership.Source.RULE,
        reason="父母均外出务工",
        valid_from=date(2025, 1, 1),
    )
    return pupils


def _offered(user: User) -> dict[str, list[str]]:
    with freeze_time(NOW):
        return {c.minor.name: c.reasons for c in candidates_for(user)}


def test_the_list_proposes_children_with_their_reasons(
    screened: dict[str, Minor], personas: dict[str, User]
) -> None:
    offered = _offered(personas["counselor"])
    assert set(offered) == {"甲", "乙", "丙"}
    assert offered["甲"] == ["Red result of PHQ9 on 2026-03-02."]
    assert offered["乙"] == ["PHQ9 worse than the round before: Green, then Yellow."]
    assert offered["丙"] == ["A yellow result, and the child is: Rural left-behind child."]
    # 丁 rose by 4 (under the 5 of the setting), 戊 stayed green: not proposed.


def test_a_smaller_rise_counts_where_the_deployment_says_so(
    screened: dict[str, Minor], personas: dict[str, User], settings: Any
) -> None:
    settings.CARECIRCLE_KEY_TARGET_RISE = 4
    assert _offered(personas["counselor"])["丁"] == ["PHQ9 total rose from 3 to 7."]


def test_only_those_who_run_screening_in_scope_see_the_list(
    screened: dict[str, Minor], personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    assert set(_offered(personas["school_psych_teacher"])) == {"甲", "乙", "丙"}
    for user in (other_personas["counselor"], personas["school_admin"], personas["child_director"]):
        assert _offered(user) == {}


def test_a_counselor_confirms_and_the_registry_shows_a_neutral_category(
    screened: dict[str, Minor], personas: dict[str, User]
) -> None:
    child = screened["甲"]
    with freeze_time(NOW):
        target = key_target_confirm(actor=personas["counselor"], minor=child, note="需每周面谈")
    assert target.reasons == ["Red result of PHQ9 on 2026-03-02."]
    membership = CategoryMembership.objects.get(minor=child, category=Category.KEY_ASSISTANCE)
    assert membership.source == CategoryMembership.Source.MANUAL
    assert "PHQ9" not in membership.reason and "Red" not in membership.reason
    assert "甲" not in _offered(personas["counselor"])
    with freeze_time(NOW), pytest.raises(ValidationError):
        key_target_confirm(actor=personas["counselor"], minor=child)
    with freeze_time(NOW):
        key_target_end(actor=personas["counselor"], target=target, reason="连续三个月情况稳定")
    membership.refresh_from_db()
    assert membership.valid_to is not None
    assert KeyTarget.objects.get().ended_at is not None


def test_the_reasons_show_only_where_the_results_are_read(
    screened: dict[str, Minor],
    personas: dict[str, User],
    other_personas: dict[str, User],
    district: dict[str, Any],
) -> None:
    child = screened["甲"]
    with freeze_time(NOW):
        target = key_target_confirm(actor=personas["counselor"], minor=child)
    assert target.school_id == child.school_id
    # The child moves to school B and is screened there: B's teacher sees the target,
    # but the reasons quote school A's results, which B's teacher may not read.
    school_b = district["orgs"]["school_B"]
    Minor.objects.filter(pk=child.pk).update(school=school_b)
    child.refresh_from_db()
    _round(other_personas["school_psych_teacher"], school_b, AUTUMN, {child: "green"})
    with freeze_time(NOW):
        theirs = verified_client(other_personas["school_psych_teacher"]).get(
            reverse("key-targets:list")
        )
        ours = verified_client(personas["counselor"]).get(reverse("key-targets:list"))
    assert "甲" in theirs.content.decode()
    assert "Red result of PHQ9" not in theirs.content.decode()
    assert "依据其他学校的筛查结果确认" in theirs.content.decode()
    assert "Red result of PHQ9" in ours.content.decode()


def test_confirming_is_for_counselors_and_offered_children_only(
    screened: dict[str, Minor], personas: dict[str, User]
) -> None:
    with freeze_time(NOW):
        for role in ("center_staff", "school_admin", "child_director"):
            with pytest.raises(PermissionDenied):
                key_target_confirm(actor=personas[role], minor=screened["甲"])
        with pytest.raises(ValidationError):
            key_target_confirm(actor=personas["counselor"], minor=screened["戊"])
    assert not KeyTarget.objects.exists()


def test_the_timeline_shows_results_to_the_screening_side_only(
    screened: dict[str, Minor], personas: dict[str, User]
) -> None:
    child = screened["甲"]
    kinds = {e.kind for e in timeline_for(personas["counselor"], child).entries}
    assert "screening" in kinds
    director_kinds = {e.kind for e in timeline_for(personas["child_director"], child).entries}
    assert "screening" not in director_kinds


def test_the_pages(screened: dict[str, Minor], personas: dict[str, User]) -> None:
    url = reverse("key-targets:list")
    counselor = verified_client(personas["counselor"])
    with freeze_time(NOW):
        page = counselor.get(url)
        assert page.status_code == 200 and "确认为重点帮扶对象" in page.content.decode()
        teacher_page = verified_client(personas["center_staff"]).get(url)
        assert teacher_page.status_code == 200
        assert "确认为重点帮扶对象" not in teacher_page.content.decode()
        assert verified_client(personas["school_admin"]).get(url).status_code == 403
        confirm = reverse("key-targets:confirm", args=[screened["甲"].pk])
        assert counselor.get(confirm).status_code == 405
        assert counselor.post(confirm, {"note": ""}).status_code == 302
        target = KeyTarget.objects.get()
        end = reverse("key-targets:end", args=[target.pk])
        assert counselor.post(end, {"reason": "x"}).status_code == 400
        assert counselor.post(end, {"reason": "情况已稳定三个月"}).status_code == 302
    assert KeyTarget.objects.get().ended_at is not None
    other = Minor.objects.create(
        name="外", sex="M", birth_date=date(2012, 2, 2), area_code="431102001001"
    )
    fresh = verified_client(personas["counselor"])
    assert fresh.post(reverse("key-targets:confirm", args=[other.pk])).status_code == 404
