"""Duplicates: listing within scope, merging with history kept, refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people import dedupe
from carecircle.people.models import Category, CategoryMembership, Guardian, Household, Minor

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def twin(minor: Minor, **extra: Any) -> Minor:
    """A second record of the same child, entered without an ID number."""
    fields = {
        "name": minor.name,
        "sex": minor.sex,
        "birth_date": minor.birth_date,
        "area_code": minor.area_code,
        **extra,
    }
    return Minor.objects.create(**fields)


def test_it_lists_records_of_the_same_child_within_the_editable_scope(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor
) -> None:
    copy_a, copy_b = twin(minor_a), twin(minor_b)
    director = personas["child_director"]
    groups = dedupe.duplicate_groups(director)
    assert [{m.pk for m in g.members} for g in groups] == [{minor_a.pk, copy_a.pk}]
    admin_groups = dedupe.duplicate_groups(personas["district_admin"])
    assert len(admin_groups) == 2 and copy_b.pk in {m.pk for g in admin_groups for m in g.members}
    assert dedupe.duplicate_groups(personas["counselor"]) == []


def test_a_merge_completes_the_survivor_and_keeps_the_duplicate_readable(
    personas: dict[str, User], minor_a: Minor
) -> None:
    household = Household.objects.create(area_code=minor_a.area_code)
    copy = twin(minor_a, address="石门村2组", ethnicity="01", household=household)
    Guardian.objects.create(minor=minor_a, relation="father", name="张大山")
    Guardian.objects.create(minor=copy, relation="father", name="张大山", phone="13800000001")
    Guardian.objects.create(minor=copy, relation="grandmother", name="王奶奶")
    CategoryMembership.objects.create(
        minor=copy,
        category=Category.ORPHAN,
        source="manual",
        reason="r",
        valid_from=date(2024, 1, 1),
    )
    CategoryMembership.objects.create(
        minor=copy,
        category=Category.MIGRANT,
        source="rule",
        reason="r",
        valid_from=date(2024, 1, 1),
    )
    director = personas["child_director"]
    dedupe.minor_merge(
        actor=director, survivor=minor_a, duplicate=copy, reason="同一儿童，重复录入"
    )
    minor_a.refresh_from_db()
    copy.refresh_from_db()
    assert (copy.status, copy.merged_into) == (Minor.Status.MERGED, minor_a)
    assert copy.household is None and copy.address == "石门村2组"  # history kept
    assert (minor_a.address, minor_a.ethnicity, minor_a.household) == ("石门村2组", "01", household)
    fathers = Guardian.objects.filter(relation="father")
    assert fathers.get(minor=minor_a).phone == "13800000001"  # gap filled, not doubled
    assert minor_a.guardians.filter(relation="father").count() == 1
    assert minor_a.guardians.filter(relation="grandmother").exists()
    assert minor_a.categories.filter(category=Category.ORPHAN, valid_to__isnull=True).exists()
    assert not copy.categories.filter(valid_to__isnull=True).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.MERGE)
    assert event.details["survivor"] == minor_a.pk and event.details["duplicate"] == copy.pk
    assert "address" in event.fields and "石门村2组" not in str(event.details)


def test_the_survivor_takes_the_duplicates_id_number(
    personas: dict[str, User], district: dict[str, Any]
) -> None:
    plain = Minor.objects.create(
        name="王五", sex="M", birth_date=date(2015, 1, 1), area_code="431103101200"
    )
    with_id = twin(plain, id_number="431103201501010019")
    dedupe.minor_merge(actor=None, survivor=plain, duplicate=with_id, reason="same child")
    plain.refresh_from_db()
    assert plain.id_number == "431103201501010019"


def test_merge_hooks_run_inside_the_merge(personas: dict[str, User], minor_a: Minor) -> None:
    seen: list[tuple[int, int]] = []

    def hook(*, survivor: Minor, duplicate: Minor, actor: Any) -> None:
        seen.append((survivor.pk, duplicate.pk))

    dedupe.register_merge_hook(hook)
    try:
        copy = twin(minor_a)
        dedupe.minor_merge(actor=None, survivor=minor_a, duplicate=copy, reason="same child")
    finally:
        dedupe._HOOKS.remove(hook)
    assert seen == [(minor_a.pk, copy.pk)]


def test_it_refuses_impossible_merges(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor
) -> None:
    director = personas["child_director"]
    with pytest.raises(ValidationError, match="into itself"):
        dedupe.minor_merge(actor=director, survivor=minor_a, duplicate=minor_a, reason="same")
    other = twin(minor_a, id_number="431103201405010036")
    with pytest.raises(ValidationError, match="different ID numbers"):
        dedupe.minor_merge(actor=director, survivor=minor_a, duplicate=other, reason="same")
    with pytest.raises(PermissionDenied):
        dedupe.minor_merge(actor=director, survivor=minor_a, duplicate=minor_b, reason="same")
    copy = twin(minor_a)
    dedupe.minor_merge(actor=director, survivor=minor_a, duplicate=copy, reason="same")
    copy.refresh_from_db()
    with pytest.raises(ValidationError, match="already been merged"):
        dedupe.minor_merge(actor=director, survivor=minor_a, duplicate=copy, reason="same")
    with pytest.raises(ValidationError, match="why"):
        dedupe.minor_merge(actor=director, survivor=minor_a, duplicate=other, reason="")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MERGE).count() == 1


def test_the_pages_list_and_merge(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    copy = twin(minor_a)
    client = client_for(personas["child_director"])
    page = client.get(reverse("people:duplicates")).content.decode()
    assert reverse("people:minor-merge", args=[copy.pk]) in page
    confirm = client.get(reverse("people:minor-merge", args=[copy.pk]))
    assert confirm.status_code == 200
    assert "4311**********001X" in confirm.content.decode()  # masked, side by side
    assert minor_a.id_number not in confirm.content.decode()
    response = client.post(
        reverse("people:minor-merge", args=[copy.pk]),
        {"survivor": minor_a.pk, "reason": "重复录入"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("people:minor-detail", args=[minor_a.pk])
    copy.refresh_from_db()
    assert copy.merged_into == minor_a


def test_the_merge_page_refuses_out_of_scope_read_only_and_bad_forms(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor, client_for: ClientFor
) -> None:
    copy = twin(minor_a)
    url = reverse("people:minor-merge", args=[copy.pk])
    assert Client().get(url).status_code == 302
    assert client_for(personas["counselor"]).get(url).status_code == 403
    other_village = client_for(personas["child_director"])
    assert other_village.get(reverse("people:minor-merge", args=[minor_b.pk])).status_code == 404
    response = other_village.post(url, {"survivor": minor_b.pk, "reason": "重复录入"})
    assert response.status_code == 400  # not a candidate of this record
    assert other_village.post(url, {"survivor": minor_a.pk}).status_code == 400
    copy.refresh_from_db()
    assert copy.status == Minor.Status.ACTIVE
    assert client_for(personas["volunteer"]).get(reverse("people:duplicates")).status_code == 403
