"""A child's page: its sections, warnings, siblings in scope only, and who gets edit links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.accounts.tests.helpers import zh
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Category, CategoryMembership, Guardian, Household, Minor
from carecircle.people.names import name_keys
from carecircle.people.views import guardian_warnings
from carecircle.testing.fixtures import AREA_A, AREA_B

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def detail(minor: Minor) -> str:
    return reverse("people:minor-detail", args=[minor.pk])


def make_minor(name: str, area: str, **fields: Any) -> Minor:
    pinyin, initials = name_keys(name)
    return Minor.objects.create(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        sex="M",
        birth_date=date(2016, 2, 3),
        area_code=area,
        **fields,
    )


def test_it_shows_the_sections_of_the_record(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    Minor.objects.filter(pk=minor_a.pk).update(
        ethnicity="12", hukou_type="agricultural", hukou_code="431103", boarding=True
    )
    Guardian.objects.create(
        minor=minor_a,
        relation="father",
        name="张大山",
        state="working_away",
        state_since=date(2024, 3, 1),
        work_place="广东东莞",
        cross_county=True,
    )
    CategoryMembership.objects.create(
        minor=minor_a,
        category=Category.RURAL_LEFT_BEHIND,
        source="manual",
        reason="父亲外出务工，母亲重残",
        valid_from=date(2025, 1, 1),
    )
    response = client_for(personas["child_director"]).get(detail(minor_a))
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("侗族", "冷水滩区", "张大山", "广东东莞", "2024-03-01", "父亲外出务工，母亲重残"):
        assert text in body, text
    assert zh("Timeline") in body


def test_it_warns_when_the_id_number_disagrees_with_the_record(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    Minor.objects.filter(pk=minor_a.pk).update(birth_date=date(2014, 5, 2), sex="F")
    response = client_for(personas["child_director"]).get(detail(minor_a))
    warnings = response.context["id_warnings"]
    assert len(warnings) == 2
    assert "2014-05-01" in warnings[0]


def test_it_warns_about_a_missing_or_unsigned_entrusted_guardian(minor_a: Minor) -> None:
    today = timezone.localdate()
    father = Guardian(minor=minor_a, relation="father", state="working_away")
    mother = Guardian(minor=minor_a, relation="mother", state="working_away")
    assert len(guardian_warnings([father, mother], today=today)) == 1
    grandma = Guardian(minor=minor_a, relation="grandmother", is_entrusted=True)
    [unsigned] = guardian_warnings([father, mother, grandma], today=today)
    assert "委托监护确认书" in unsigned
    grandma.entrustment_signed_on = date(2025, 1, 1)
    assert guardian_warnings([father, mother, grandma], today=today) == []
    # A parent at home cares for the child: no entrustment needed.
    mother.state = "at_home"
    assert guardian_warnings([father, mother], today=today) == []
    # A parent away without contact for over a week.
    mother.state = "working_away"
    father.last_contact_on = today - timedelta(days=10)
    [late] = guardian_warnings([father, mother, grandma], today=today)
    assert father.last_contact_on.isoformat() in late


def test_it_lists_only_siblings_the_viewer_may_see(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    household = Household.objects.create(area_code=AREA_A)
    visible = make_minor("张小华", AREA_A, household=household)
    hidden = make_minor("张小远", AREA_B, household=household)
    Minor.objects.filter(pk=minor_a.pk).update(household=household)
    response = client_for(personas["child_director"]).get(detail(minor_a))
    assert response.context["siblings"] == [visible]
    body = response.content.decode()
    assert "张小华" in body and "张小远" not in body
    listed = AuditEvent.objects.filter(action=AuditEvent.Action.LIST).latest("seq")
    assert listed.details["ids"] == [visible.pk]
    assert hidden.pk not in listed.details["ids"]


def test_it_offers_edit_links_only_to_those_who_may_change_the_child(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    edit = reverse("people:minor-edit", args=[minor_a.pk])
    add_guardian = reverse("people:guardian-add", args=[minor_a.pk])
    body = client_for(personas["child_director"]).get(detail(minor_a)).content.decode()
    assert edit in body and add_guardian in body
    for role in ("counselor", "school_psych_teacher"):
        body = client_for(personas[role]).get(detail(minor_a)).content.decode()
        assert edit not in body and add_guardian not in body, role


def test_it_shows_a_merged_record_with_a_link_to_the_one_in_use(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    duplicate = make_minor("张小明", AREA_A, status=Minor.Status.MERGED, merged_into=minor_a)
    response = client_for(personas["child_director"]).get(detail(duplicate))
    body = response.content.decode()
    assert response.context["survivor_url"] == detail(minor_a)
    assert detail(minor_a) in body
    assert reverse("people:minor-edit", args=[duplicate.pk]) not in body


def test_it_records_the_view_in_the_audit_log(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    client_for(personas["child_director"]).get(detail(minor_a))
    event = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).latest("seq")
    assert (event.minor_id, event.actor) == (minor_a.pk, personas["child_director"])
    assert "guardians" in event.fields and "id_number" in event.fields


def test_it_hides_the_timeline_page_of_an_out_of_scope_child(
    personas: dict[str, User], minor_b: Minor, client_for: ClientFor
) -> None:
    url = reverse("people:minor-timeline", args=[minor_b.pk])
    assert client_for(personas["child_director"]).get(url).status_code == 404
    assert client_for(personas["auditor"]).get(url).status_code == 404
    assert Client().get(url).status_code == 302
