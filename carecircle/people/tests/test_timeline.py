"""The timeline mechanism and the registry's own providers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.accounts.tests.helpers import zh
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.people import services, timeline
from carecircle.people.models import Category, CategoryMembership, Minor
from carecircle.people.timeline import (
    TimelineEntry,
    day_start,
    encode_cursor,
    parse_cursor,
    timeline_for,
)

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2020, 1, 1, 9, 0, tzinfo=TZ)


@pytest.fixture
def only(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Replace every registered provider with the given ones for one test."""

    def install(**providers: Any) -> None:
        timeline.providers()  # discover first, so that discovery cannot add more later
        monkeypatch.setattr(timeline, "_PROVIDERS", dict(providers))

    return install


def at_hours(*hours: int, kind: str = "x") -> Callable[..., Iterator[TimelineEntry]]:
    """A provider of entries at T0 + each hour, honouring ``before`` and ``limit``."""

    def provider(viewer: Any, minor: Minor, *, before: Any, limit: int) -> Iterator[TimelineEntry]:
        entries = [
            TimelineEntry(at=T0 + timedelta(hours=h), kind=kind, title=f"{kind}{h}")
            for h in sorted(hours, reverse=True)
        ]
        yield from [e for e in entries if before is None or e.at < before][:limit]

    return provider


def titles(page: timeline.TimelinePage) -> list[str]:
    return [e.title for e in page.entries]


def test_it_merges_providers_newest_first(
    only: Callable[..., None], personas: dict[str, User], minor_a: Minor
) -> None:
    only(a=at_hours(1, 5, kind="a"), b=at_hours(3, 4, kind="b"))
    page = timeline_for(personas["child_director"], minor_a)
    assert titles(page) == ["a5", "b4", "b3", "a1"]
    assert {e.source for e in page.entries} == {"a", "b"}
    assert not page.has_more


def test_it_pages_without_losing_or_repeating_entries(
    only: Callable[..., None], personas: dict[str, User], minor_a: Minor
) -> None:
    only(a=at_hours(*range(0, 20, 2), kind="a"), b=at_hours(*range(1, 20, 2), kind="b"))
    viewer = personas["child_director"]
    seen: list[str] = []
    page = timeline_for(viewer, minor_a, limit=3)
    while True:
        seen += titles(page)
        if not page.has_more:
            break
        page = timeline_for(viewer, minor_a, limit=3, before=page.next_before)
    assert len(seen) == 20 and len(set(seen)) == 20
    assert seen[:3] == ["b19", "a18", "b17"]


def test_it_keeps_entries_of_one_instant_on_one_page(
    only: Callable[..., None], personas: dict[str, User], minor_a: Minor
) -> None:
    # Five entries share hour 2: a page of 3 cannot hold them and must not split them.
    only(
        a=at_hours(5, 2, 2, kind="a"),
        b=at_hours(2, 2, 2, kind="b"),
        c=at_hours(1, kind="c"),
    )
    viewer = personas["child_director"]
    first = timeline_for(viewer, minor_a, limit=3)
    assert titles(first) == ["a5"]
    second = timeline_for(viewer, minor_a, limit=3, before=first.next_before)
    assert sorted(titles(second)) == ["a2", "a2", "b2", "b2", "b2"]
    third = timeline_for(viewer, minor_a, limit=3, before=second.next_before)
    assert titles(third) == ["c1"] and not third.has_more


def test_it_never_asks_providers_about_a_child_the_viewer_cannot_see(
    only: Callable[..., None], personas: dict[str, User], minor_b: Minor
) -> None:
    asked: list[int] = []

    def spy(viewer: Any, minor: Minor, *, before: Any, limit: int) -> list[TimelineEntry]:
        asked.append(minor.pk)
        return []

    only(spy=spy)
    with pytest.raises(PermissionDenied):
        timeline_for(personas["child_director"], minor_b)
    with pytest.raises(PermissionDenied):
        timeline_for(personas["auditor"], minor_b)
    assert asked == []


def test_it_drops_entries_a_provider_returns_past_the_cursor(
    only: Callable[..., None], personas: dict[str, User], minor_a: Minor
) -> None:
    def careless(viewer: Any, minor: Minor, *, before: Any, limit: int) -> list[TimelineEntry]:
        return [TimelineEntry(at=T0 + timedelta(hours=h), kind="x", title=str(h)) for h in (1, 9)]

    only(careless=careless)
    page = timeline_for(personas["child_director"], minor_a, before=T0 + timedelta(hours=5))
    assert titles(page) == ["1"]


def test_it_validates_entries_and_registrations() -> None:
    with pytest.raises(ValueError, match="aware"):
        TimelineEntry(at=datetime(2020, 1, 1), kind="x", title="x")
    with pytest.raises(ValueError, match="tone"):
        TimelineEntry(at=T0, kind="x", title="x", tone="evil onclick")
    timeline.timeline_provider("people.registration")(timeline.registration)  # same: fine
    with pytest.raises(ImproperlyConfigured):
        timeline.timeline_provider("people.registration")(at_hours(1))


def test_it_round_trips_the_cursor() -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=TZ)
    assert parse_cursor(encode_cursor(at)) == at
    assert parse_cursor("") is None
    for bad in ("yesterday", "2026-03-04T05:06:07", "9" * 50):
        with pytest.raises(ValueError):
            parse_cursor(bad)


def test_it_discovers_the_registry_providers() -> None:
    keys = set(timeline.providers())
    assert {"people.registration", "people.categories", "people.changes", "people.merges"} <= keys


# --- The registry's providers -----------------------------------------------------------


def entries_of(viewer: User, minor: Minor) -> list[TimelineEntry]:
    return timeline_for(viewer, minor).entries


def test_it_shows_the_registration_with_who_registered(
    personas: dict[str, User], district: dict[str, Any]
) -> None:
    director = personas["child_director"]
    minor = services.minor_create(
        actor=director,
        name="王小华",
        sex="M",
        birth_date=date(2016, 1, 1),
        area_code="431103101200",
    )
    [registered] = [e for e in entries_of(director, minor) if e.kind == "registered"]
    assert director.display_name in registered.detail
    # The CREATE event is the registration, not a second "changed" entry.
    assert not [e for e in entries_of(director, minor) if e.kind == "changed"]


def test_it_shows_categories_opened_and_ended_with_their_reasons(
    personas: dict[str, User], minor_a: Minor
) -> None:
    CategoryMembership.objects.create(
        minor=minor_a,
        category=Category.MIGRANT,
        source="manual",
        reason="随父母在外县居住八个月",
        valid_from=date(2024, 2, 1),
        valid_to=date(2025, 6, 30),
        end_reason="已返回户籍地",
    )
    entries = entries_of(personas["child_director"], minor_a)
    opened = next(e for e in entries if e.kind == "category_opened")
    ended = next(e for e in entries if e.kind == "category_ended")
    assert opened.detail == "随父母在外县居住八个月" and opened.at == day_start(date(2024, 2, 1))
    assert ended.detail == "已返回户籍地" and ended.at == day_start(date(2025, 6, 30))
    assert entries.index(ended) < entries.index(opened)  # newest first


def test_it_names_changed_fields_but_never_their_values(
    personas: dict[str, User], minor_a: Minor
) -> None:
    director = personas["child_director"]
    services.minor_update(actor=director, minor=minor_a, address="石门村七组十八号")
    services.guardian_save(
        actor=director, minor=minor_a, relation="mother", name="李秀英", phone="13800000000"
    )
    entries = [e for e in entries_of(director, minor_a) if e.kind == "changed"]
    assert len(entries) == 2
    text = " ".join(f"{e.title} {e.detail}" for e in entries)
    assert "石门村七组十八号" not in text and "李秀英" not in text and "13800000000" not in text
    assert director.display_name in text


def test_it_shows_the_household_being_recorded(personas: dict[str, User], minor_a: Minor) -> None:
    director = personas["child_director"]
    services.household_create(actor=director, minor=minor_a, assistance="dibao")
    minor_a.refresh_from_db()
    changes = [e for e in entries_of(director, minor_a) if e.kind == "changed"]
    assert {e.title for e in changes} == {zh("Household recorded"), zh("Record updated")}


def test_it_shows_merges_on_both_records_linking_only_to_visible_ones(
    personas: dict[str, User], minor_a: Minor, minor_b: Minor
) -> None:
    # As people.dedupe records it: on the survivor, naming the duplicate.
    Minor.objects.filter(pk=minor_a.pk).update(status=Minor.Status.MERGED, merged_into=minor_b)
    minor_a.refresh_from_db()
    audit_record(
        actor=personas["district_admin"],
        action=AuditEvent.Action.MERGE,
        object_type="people.minor",
        object_id=minor_b.pk,
        minor_id=minor_b.pk,
        fields=["address"],
        details={"survivor": minor_b.pk, "duplicate": minor_a.pk, "reason": "同一儿童重复录入"},
    )
    admin = personas["district_admin"]
    [on_duplicate] = [e for e in entries_of(admin, minor_a) if e.kind == "merged"]
    assert on_duplicate.url == reverse("people:minor-detail", args=[minor_b.pk])
    [on_survivor] = [e for e in entries_of(admin, minor_b) if e.kind == "merged"]
    assert on_survivor.url == reverse("people:minor-detail", args=[minor_a.pk])
    assert "同一儿童重复录入" in on_survivor.detail
    assert on_survivor.title != on_duplicate.title
    # The village director sees only the duplicate (village A): no link to B's record.
    [seen] = [e for e in entries_of(personas["child_director"], minor_a) if e.kind == "merged"]
    assert seen.url == ""


# --- The page ------------------------------------------------------------------------------


def test_it_serves_older_entries_as_a_fragment_or_a_page(
    only: Callable[..., None], personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    only(a=at_hours(*range(30), kind="entry"))
    client = client_for(personas["child_director"])
    body = client.get(reverse("people:minor-detail", args=[minor_a.pk])).content.decode()
    assert "entry29" in body and "entry9" not in body
    url = reverse("people:minor-timeline", args=[minor_a.pk])
    assert f'hx-get="{url}?before=' in body
    cursor = encode_cursor(T0 + timedelta(hours=10))
    fragment = client.get(url, {"before": cursor}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert "entry9" in text and "entry10" not in text and "<html" not in text
    page = client.get(url, {"before": cursor})
    assert "<html" in page.content.decode() and "entry0" in page.content.decode()
    assert client.get(url, {"before": "not-a-date"}).status_code == 400
