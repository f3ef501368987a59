"""The daily age-out job: categories end at 16 and 18, child directors are told ahead once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.notifications.models import Notification, OutboxMessage
from carecircle.notifications.outbox import PERIODIC, drain
from carecircle.people import categories as cats
from carecircle.people.jobs import age_out_run
from carecircle.people.models import Category, CategoryMembership, CategoryRuleSet, Guardian, Minor
from carecircle.people.rules import birthday
from carecircle.testing.fixtures import grant, make_user

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 28)


def _child(born: date, *, area: str = "431103101200", name: str = "留守儿童") -> Minor:
    minor = Minor.objects.create(
        name=name, sex="M", birth_date=born, area_code=area, id_number="43110320140501001X"
    )
    for relation in ("father", "mother"):
        Guardian.objects.create(
            minor=minor,
            relation=relation,
            state="working_away",
            state_since=date(2024, 1, 1),
            cross_county=True,
        )
    cats.categories_refresh(minor=minor, actor=None, today=born + timedelta(days=365 * 15))
    return minor


def _open(minor: Minor) -> set[str]:
    return set(
        CategoryMembership.objects.filter(minor=minor, valid_to__isnull=True).values_list(
            "category", flat=True
        )
    )


def test_the_job_is_registered_daily() -> None:
    assert PERIODIC["people.age_out"].every == timedelta(days=1)


def test_it_ends_left_behind_on_the_16th_birthday(district: dict[str, Any]) -> None:
    minor = _child(date(2010, 11, 28))
    assert _open(minor) == {Category.RURAL_LEFT_BEHIND}
    age_out_run(today=DAY - timedelta(days=1))
    assert _open(minor) == {Category.RURAL_LEFT_BEHIND}
    result = age_out_run(today=DAY)
    assert result.refreshed == 1
    row = CategoryMembership.objects.get(minor=minor)
    assert row.valid_to == date(2026, 11, 27)
    assert "16" in row.end_reason and "2026-11-28" in row.end_reason


def test_it_catches_up_after_missed_days(district: dict[str, Any]) -> None:
    minor = _child(date(2010, 11, 20))
    age_out_run(today=DAY)
    row = CategoryMembership.objects.get(minor=minor)
    assert row.valid_to == date(2026, 11, 19)


def test_a_cut_off_date_keeps_left_behind_past_16(district: dict[str, Any]) -> None:
    minor = _child(date(2010, 11, 28))
    CategoryRuleSet.objects.filter(version=1).update(left_behind_cutoff=date(2026, 7, 31))
    result = age_out_run(today=DAY)
    assert result.refreshed == 0
    assert _open(minor) == {Category.RURAL_LEFT_BEHIND}


def test_it_ages_out_at_18_and_closes_every_category(
    district: dict[str, Any], personas: dict[str, User]
) -> None:
    minor = _child(date(2010, 1, 1))
    Guardian.objects.filter(minor=minor).update(state="dead")
    cats.categories_refresh(minor=minor, actor=None, today=date(2026, 1, 1))
    manual = cats.category_add_manual(
        actor=personas["child_director"],
        minor=minor,
        category=Category.KEY_ASSISTANCE,
        reason="重点帮扶对象",
        valid_from=date(2026, 6, 1),
    )
    Minor.objects.filter(pk=minor.pk).update(birth_date=date(2008, 11, 28))
    result = age_out_run(today=DAY)
    minor.refresh_from_db()
    assert result.aged_out == 1 and minor.status == Minor.Status.AGED_OUT
    assert _open(minor) == set()
    manual.refresh_from_db()
    assert manual.valid_to == DAY - timedelta(days=1) and "18" in manual.end_reason
    assert AuditEvent.objects.filter(
        object_type="people.minor", minor_id=minor.pk, details__values__status="aged_out"
    ).exists()
    # Nothing left to do the next day.
    assert age_out_run(today=DAY + timedelta(days=1)).aged_out == 0


def test_it_tells_the_child_director_ahead_once(
    district: dict[str, Any], personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    minor = _child(date(2010, 12, 10), name="王秘密")
    director = personas["child_director"]
    age_out_run(today=DAY)
    assert drain() >= 1
    [notice] = Notification.objects.filter(recipient=director)
    assert "2026-12-10" in notice.title
    assert notice.link == reverse("people:minor-detail", args=[minor.pk])
    assert "王秘密" not in notice.title + notice.body
    assert "43110320140501001X" not in notice.title + notice.body
    assert "16" in notice.body
    assert not Notification.objects.filter(recipient=other_personas["child_director"]).exists()
    # Told once: not again the next day, nor after delivered messages are purged.
    OutboxMessage.objects.all().delete()
    age_out_run(today=DAY + timedelta(days=1))
    drain()
    assert Notification.objects.filter(recipient=director).count() == 1


def test_it_tells_ahead_of_18_for_manual_categories_too(
    district: dict[str, Any], personas: dict[str, User]
) -> None:
    minor = Minor.objects.create(
        name="小青", sex="F", birth_date=date(2008, 12, 20), area_code="431103101200"
    )
    cats.category_add_manual(
        actor=personas["child_director"],
        minor=minor,
        category=Category.KEY_ASSISTANCE,
        reason="重点帮扶对象",
    )
    assert age_out_run(today=DAY).notices == 1
    drain()
    [notice] = Notification.objects.filter(recipient=personas["child_director"])
    assert "18" in notice.body and "2026-12-20" in notice.title


def test_it_waits_for_the_notice_window(
    district: dict[str, Any], personas: dict[str, User]
) -> None:
    _child(date(2010, 12, 29))  # 31 days ahead: outside the 30-day window
    assert age_out_run(today=DAY).notices == 0
    assert age_out_run(today=DAY + timedelta(days=1)).notices == 1


def test_without_a_director_it_tries_again_later(district: dict[str, Any]) -> None:
    minor = _child(date(2010, 12, 10))
    assert age_out_run(today=DAY).notices == 0
    director = make_user("new_director")
    grant(director, "child_director", prefix="431103101200")
    assert age_out_run(today=DAY + timedelta(days=1)).notices == 1
    drain()
    assert Notification.objects.get(recipient=director).link.endswith(f"/{minor.pk}/")


def test_a_29_february_child_is_told_about_1_march(
    district: dict[str, Any], personas: dict[str, User]
) -> None:
    minor = _child(date(2012, 2, 29))
    assert birthday(minor.birth_date, 16) == date(2028, 2, 29)
    assert age_out_run(today=date(2028, 2, 10)).notices == 1
    drain()
    assert "2028-02-29" in Notification.objects.get(recipient=personas["child_director"]).title
