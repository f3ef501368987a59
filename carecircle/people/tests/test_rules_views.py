"""The rules page and the manual-category pages, refusals first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people import categories as cats
from carecircle.people.models import Category, CategoryMembership, CategoryRuleSet, Guardian, Minor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
ClientFor = Callable[[User], Client]
RULES = reverse("people:rules")


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "left_behind_age_limit": "16",
        "left_behind_cutoff": "",
        "left_behind_min_months": "3",
        "left_behind_cross_county": "on",
        "migrant_age_limit": "16",
        "migrant_min_months": "6",
        "incapacity_min_months": "6",
        "out_of_contact_min_months": "6",
        "age_out_notice_days": "45",
        "difficulty_subtypes": "dibao | 低保家庭儿童 | A | household_dibao\n"
        "low | 低收入家庭儿童 | a | household_low_income",
        "note": "2027年本地口径",
    }
    return data | overrides


# --- Rules page --------------------------------------------------------------------------------


def test_it_sends_an_anonymous_visitor_to_sign_in(client: Client) -> None:
    response = client.get(RULES)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("role", ["counselor", "child_director", "auditor", "sysadmin", "analyst"])
def test_it_refuses_the_rules_page_to_other_roles(
    client_for: ClientFor, personas: dict[str, User], role: str
) -> None:
    assert client_for(personas[role]).get(RULES).status_code == 403


def test_centre_staff_read_the_rules_without_the_form(
    client_for: ClientFor, personas: dict[str, User]
) -> None:
    client = client_for(personas["center_staff"])
    response = client.get(RULES)
    assert response.status_code == 200
    assert response.context["form"] is None
    assert "低保家庭儿童" in response.content.decode()
    assert client.post(RULES, _form()).status_code == 403
    assert CategoryRuleSet.objects.count() == 1


def test_a_district_admin_adds_a_version(client_for: ClientFor, personas: dict[str, User]) -> None:
    client = client_for(personas["district_admin"])
    page = client.get(RULES)
    assert page.status_code == 200
    assert "household_dibao" in page.context["form"].initial["difficulty_subtypes"]
    response = client.post(RULES, _form())
    assert response.status_code == 302 and response["Location"] == RULES
    rs = CategoryRuleSet.objects.get(version=2)
    assert (rs.left_behind_min_months, rs.age_out_notice_days) == (3, 45)
    assert rs.difficulty_subtypes[1] == {
        "code": "low",
        "name": "低收入家庭儿童",
        "bucket": "A",
        "when": "household_low_income",
    }
    assert rs.created_by == personas["district_admin"]
    assert "2" in client.get(RULES).content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"difficulty_subtypes": "dibao | 低保 | A | household_rich"}, "difficulty_subtypes"),
        ({"difficulty_subtypes": "just one column"}, "difficulty_subtypes"),
        ({"effective_from": "2020-01-01"}, "effective_from"),
        ({"effective_from": "not a date"}, "effective_from"),
        ({"left_behind_age_limit": "40"}, "left_behind_age_limit"),
    ],
)
def test_it_shows_what_is_wrong_with_a_new_version(
    client_for: ClientFor, personas: dict[str, User], overrides: dict[str, str], field: str
) -> None:
    response = client_for(personas["district_admin"]).post(RULES, _form(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert CategoryRuleSet.objects.count() == 1


# --- Manual categories -------------------------------------------------------------------------


def _add_url(minor: Minor) -> str:
    return reverse("people:category-add", args=[minor.pk])


def _end_url(minor: Minor) -> str:
    return reverse("people:category-end", args=[minor.pk])


def test_it_adds_a_category_by_hand(
    client_for: ClientFor, personas: dict[str, User], minor_a: Minor
) -> None:
    client = client_for(personas["child_director"])
    page = client.get(_add_url(minor_a))
    assert page.status_code == 200
    assert "张小明" in page.content.decode()
    assert any("No parent" in n for n in page.context["notes"])
    assert AuditEvent.objects.filter(action="view", minor_id=minor_a.pk).exists()
    response = client.post(
        _add_url(minor_a),
        {
            "category": Category.IN_DIFFICULTY,
            "subtype": "guardianship",
            "reason": "走访发现长期独自在家",
            "valid_from": "2026-01-05",
            "authority": "花桥街镇",
            "decision_number": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("people:minor-detail", args=[minor_a.pk])
    membership = CategoryMembership.objects.get(minor=minor_a)
    assert (membership.subtype, membership.valid_from) == ("guardianship", date(2026, 1, 5))


def test_it_shows_the_refusal_of_a_duplicate(
    client_for: ClientFor, personas: dict[str, User], minor_a: Minor
) -> None:
    client = client_for(personas["child_director"])
    body = {"category": Category.KEY_ASSISTANCE, "reason": "重点帮扶对象认定"}
    assert client.post(_add_url(minor_a), body).status_code == 302
    again = client.post(_add_url(minor_a), body)
    assert again.status_code == 200
    assert "already" in str(again.context["form"].errors["category"])
    assert CategoryMembership.objects.count() == 1


def test_an_empty_form_is_shown_again(
    client_for: ClientFor, personas: dict[str, User], minor_a: Minor
) -> None:
    response = client_for(personas["child_director"]).post(_add_url(minor_a), {})
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"category", "reason"}
    assert not CategoryMembership.objects.exists()


def test_it_hides_a_child_outside_the_scope(
    client_for: ClientFor, other_personas: dict[str, User], minor_a: Minor
) -> None:
    client = client_for(other_personas["child_director"])
    assert client.get(_add_url(minor_a)).status_code == 404
    body = {"category": Category.KEY_ASSISTANCE, "reason": "重点帮扶对象认定"}
    assert client.post(_add_url(minor_a), body).status_code == 404
    assert client.get(_end_url(minor_a)).status_code == 404
    assert not CategoryMembership.objects.exists()


@pytest.mark.parametrize("role", ["counselor", "school_psych_teacher", "volunteer", "analyst"])
def test_it_refuses_roles_that_do_not_edit_children(
    client_for: ClientFor, personas: dict[str, User], minor_a: Minor, role: str
) -> None:
    client = client_for(personas[role])
    body = {"category": Category.KEY_ASSISTANCE, "reason": "重点帮扶对象认定"}
    assert client.get(_add_url(minor_a)).status_code == 403
    assert client.post(_add_url(minor_a), body).status_code == 403
    assert client.post(_end_url(minor_a), {}).status_code == 403
    assert not CategoryMembership.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, minor_a: Minor) -> None:
    for url in (_add_url(minor_a), _end_url(minor_a)):
        response = client.post(url, {})
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_it_ends_a_manual_category(
    client_for: ClientFor, personas: dict[str, User], minor_a: Minor
) -> None:
    director = personas["child_director"]
    membership = cats.category_add_manual(
        actor=director,
        minor=minor_a,
        category=Category.KEY_ASSISTANCE,
        reason="重点帮扶对象",
        valid_from=date(2026, 1, 1),
    )
    client = client_for(director)
    page = client.get(_end_url(minor_a), {"membership": membership.pk})
    assert page.status_code == 200 and page.context["ruled"] is None
    response = client.post(
        _end_url(minor_a),
        {"membership": membership.pk, "reason": "帮扶目标已达成", "on": "2026-06-30"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.valid_to, membership.end_reason) == (date(2026, 6, 30), "帮扶目标已达成")


def test_it_explains_that_a_rule_category_ends_with_the_facts(
    client_for: ClientFor, personas: dict[str, User], minor_a: Minor
) -> None:
    since = timezone.localdate() - timedelta(days=400)
    for relation in ("father", "mother"):
        Guardian.objects.create(
            minor=minor_a,
            relation=relation,
            state="working_away",
            state_since=since,
            cross_county=True,
        )
    cats.categories_refresh(minor=minor_a, actor=None)
    ruled = CategoryMembership.objects.get(minor=minor_a)
    client = client_for(personas["child_director"])
    page = client.get(_end_url(minor_a), {"membership": ruled.pk})
    assert page.context["ruled"] == ruled
    response = client.post(_end_url(minor_a), {"membership": ruled.pk, "reason": "家长已回家了"})
    assert response.status_code == 200
    assert "facts" in str(response.context["form"].errors["membership"])
    ruled.refresh_from_db()
    assert ruled.is_open


def test_it_refuses_a_membership_of_another_child(
    client_for: ClientFor, personas: dict[str, User], minor_a: Minor, minor_b: Minor
) -> None:
    other = cats.category_add_manual(
        actor=personas["district_admin"],
        minor=minor_b,
        category=Category.KEY_ASSISTANCE,
        reason="重点帮扶对象",
    )
    response = client_for(personas["district_admin"]).post(
        _end_url(minor_a), {"membership": other.pk, "reason": "结束别人的类别"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["membership"]
    other.refresh_from_db()
    assert other.is_open
