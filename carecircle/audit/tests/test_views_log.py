from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.people.models import Minor
from carecircle.people.services import minor_view

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/audit/"


@pytest.fixture
def events(
    personas: dict[str, User], other_personas: dict[str, User], minor_a: Minor, minor_b: Minor
) -> dict[str, AuditEvent]:
    """A small log over two months: views of A's and B's children, and logins."""
    made: dict[str, AuditEvent] = {}
    with freeze_time(datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)):
        minor_view(actor=personas["child_director"], minor=minor_a, fields=["name"])
        made["director_views_a"] = AuditEvent.objects.latest("seq")
        made["director_login"] = audit_record(
            actor=personas["child_director"], action=AuditEvent.Action.LOGIN
        )
    with freeze_time(datetime(2026, 6, 20, 15, 0, tzinfo=SHANGHAI)):
        minor_view(actor=personas["social_worker"], minor=minor_a, fields=["name"])
        made["worker_views_a"] = AuditEvent.objects.latest("seq")
        minor_view(actor=other_personas["child_director"], minor=minor_b, fields=["name"])
        made["director_b_views_b"] = AuditEvent.objects.latest("seq")
        made["other_county_login"] = audit_record(
            actor=other_personas["district_admin"], action=AuditEvent.Action.LOGIN
        )
    return made


def shown(client: Client, **params: str | int) -> set[int]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return {e.seq for e in response.context["page"].object_list}


def seqs(events: dict[str, AuditEvent], *names: str) -> set[int]:
    return {events[n].seq for n in names}


def test_it_answers_who_viewed_this_child(
    personas: dict[str, User], minor_a: Minor, events: dict[str, AuditEvent], client_for: ClientFor
) -> None:
    client = client_for(personas["auditor"])
    expected = seqs(events, "director_views_a", "worker_views_a")
    assert shown(client, minor=minor_a.pk, action="view") == expected
    assert shown(client, minor=minor_a.pk) == expected
    response = client.get(URL, {"minor": str(minor_a.pk), "action": "view"})
    body = response.content.decode()
    assert "child_director_a" in body and "social_worker_a" in body


def test_it_finds_a_child_by_id_number(
    personas: dict[str, User], minor_a: Minor, events: dict[str, AuditEvent], client_for: ClientFor
) -> None:
    client = client_for(personas["auditor"])
    expected = seqs(events, "director_views_a", "worker_views_a")
    assert shown(client, id_number=minor_a.id_number) == expected
    assert shown(client, id_number=minor_a.id_number.lower()) == expected
    assert shown(client, id_number="110101199001011234") == set()


def test_it_filters_by_username_action_and_dates(
    personas: dict[str, User], events: dict[str, AuditEvent], client_for: ClientFor
) -> None:
    client = client_for(personas["auditor"])
    assert shown(client, username="child_director_a") == seqs(
        events, "director_views_a", "director_login"
    )
    assert shown(client, username="child_director_a", action="login") == seqs(
        events, "director_login"
    )
    assert shown(client, action="view", start="2026-06-01") == seqs(
        events, "worker_views_a", "director_b_views_b"
    )
    assert shown(client, start="2026-03-10", end="2026-03-10") == seqs(
        events, "director_views_a", "director_login"
    )
    assert shown(client, start="2026-04-01", end="2026-05-31") == set()


def test_it_shows_only_events_within_the_auditors_scope(
    personas: dict[str, User],
    other_personas: dict[str, User],
    minor_a: Minor,
    events: dict[str, AuditEvent],
    client_for: ClientFor,
) -> None:
    mine = shown(client_for(personas["auditor"]))
    assert seqs(events, "director_views_a", "worker_views_a", "director_b_views_b") <= mine
    assert events["other_county_login"].seq not in mine

    other = client_for(other_personas["auditor"])
    assert shown(other, minor=minor_a.pk) == set()
    assert shown(other, id_number=minor_a.id_number) == set()
    theirs = shown(other)
    assert events["other_county_login"].seq in theirs
    assert not theirs & seqs(
        events, "director_views_a", "worker_views_a", "director_b_views_b", "director_login"
    )


def test_it_shows_a_clear_error_for_a_reversed_period(
    personas: dict[str, User], events: dict[str, AuditEvent], client_for: ClientFor
) -> None:
    response = client_for(personas["auditor"]).get(
        URL, {"start": "2026-06-01", "end": "2026-01-01"}
    )
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert response.context["form"].errors["__all__"]


@pytest.mark.parametrize("params", [{"minor": "abc"}, {"start": "2026-13-45"}, {"action": "nope"}])
def test_it_never_fails_on_bad_filters(
    personas: dict[str, User],
    events: dict[str, AuditEvent],
    client_for: ClientFor,
    params: dict[str, str],
) -> None:
    response = client_for(personas["auditor"]).get(URL, params)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("role", ["district_admin", "child_director", "sysadmin", "analyst"])
def test_it_refuses_non_auditors(
    personas: dict[str, User], client_for: ClientFor, role: str
) -> None:
    response = client_for(personas[role]).get(URL)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED, actor=personas[role]).exists()


def test_it_sends_anonymous_visitors_to_login(district: dict[str, Any]) -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_refuses_an_auditor_without_a_verified_second_factor(personas: dict[str, User]) -> None:
    client = Client()
    client.force_login(personas["auditor"])
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp-verify")


def test_it_only_answers_get(personas: dict[str, User], client_for: ClientFor) -> None:
    assert client_for(personas["auditor"]).post(URL).status_code == 405


def test_details_with_a_key_named_like_a_dict_method_show_as_written(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    audit_record(
        actor=personas["district_admin"],
        action=AuditEvent.Action.UPDATE,
        object_type="cases.referral",
        object_id=7,
        details={"items": "name, school", "values": {"status": "sent"}},
    )
    response = client_for(personas["auditor"]).get(URL)
    assert response.status_code == 200
    assert "name, school" in response.content.decode()
