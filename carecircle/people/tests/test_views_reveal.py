from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
NOW = datetime(2026, 4, 1, 10, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock() -> Iterator[FrozenDateTimeFactory]:
    reverse("people:minor-list")  # import the URLconf before time is faked
    with freeze_time(NOW) as frozen:
        assert isinstance(frozen, FrozenDateTimeFactory)
        yield frozen


def url(minor: Minor) -> str:
    return reverse("people:minor-reveal-id", args=[minor.pk])


def code_for(user: User, drift: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{value:0{device.digits}d}"


def wrong_code_for(user: User) -> str:
    valid = {code_for(user, drift) for drift in range(-3, 4)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def reveals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL))


def test_it_shows_the_full_number_once_and_records_it_without_the_value(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any
) -> None:
    user = personas["child_director"]
    client = client_for(user)
    response = client.post(url(minor_a), {"otp_token": code_for(user)})
    assert response.status_code == 200
    assert minor_a.id_number in response.content.decode()
    assert "no-store" in response["Cache-Control"]

    [event] = reveals()
    assert event.actor == user
    assert (event.object_type, event.object_id, event.minor_id) == (
        "people.minor",
        str(minor_a.pk),
        minor_a.pk,
    )
    assert event.fields == ["id_number"]
    dumped = json.dumps(event.canonical(), ensure_ascii=False)
    assert minor_a.id_number not in dumped
    assert minor_a.id_number[6:14] not in dumped

    # The next ordinary view is masked again.
    page = client.get(reverse("people:minor-detail", args=[minor_a.pk])).content.decode()
    assert minor_a.id_number not in page
    assert minor_a.masked_id_number in page


def test_it_never_shows_the_full_number_on_the_detail_page(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    page = client_for(personas["district_admin"]).get(
        reverse("people:minor-detail", args=[minor_a.pk])
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert minor_a.id_number not in html
    assert "4311**********001X" in html
    assert url(minor_a) in html  # the reveal form, for a role that may edit
    assert not reveals()


def test_it_hides_the_reveal_form_from_read_only_roles(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    page = client_for(personas["counselor"]).get(reverse("people:minor-detail", args=[minor_a.pk]))
    assert page.status_code == 200
    assert url(minor_a) not in page.content.decode()


def test_it_refuses_a_wrong_code(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any
) -> None:
    user = personas["child_director"]
    response = client_for(user).post(url(minor_a), {"otp_token": wrong_code_for(user)})
    assert response.status_code == 400
    assert response.context["reveal_form"].errors["otp_token"]
    assert minor_a.id_number not in response.content.decode()
    assert not reveals()


@pytest.mark.parametrize("token", ["", "12345", "abcdef"])
def test_it_refuses_a_malformed_code(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor, token: str
) -> None:
    response = client_for(personas["child_director"]).post(url(minor_a), {"otp_token": token})
    assert response.status_code == 400
    assert minor_a.id_number not in response.content.decode()
    assert not reveals()


def test_it_refuses_a_code_used_twice(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any
) -> None:
    user = personas["child_director"]
    client = client_for(user)
    code = code_for(user)
    assert client.post(url(minor_a), {"otp_token": code}).status_code == 200
    clock.tick(timedelta(seconds=5))
    replay = client.post(url(minor_a), {"otp_token": code})
    assert replay.status_code == 400
    assert minor_a.id_number not in replay.content.decode()
    assert len(reveals()) == 1


def test_it_answers_404_for_a_child_out_of_scope(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any
) -> None:
    user = other_personas["child_director"]  # township B
    response = client_for(user).post(url(minor_a), {"otp_token": code_for(user)})
    assert response.status_code == 404
    assert not reveals()
    denial = AuditEvent.objects.get(action=AuditEvent.Action.DENIED, actor=user)
    assert denial.object_id == str(minor_a.pk)


@pytest.mark.parametrize("role", ["counselor", "school_psych_teacher", "auditor", "sysadmin"])
def test_it_refuses_roles_that_cannot_edit_the_child(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any, role: str
) -> None:
    user = personas[role]
    response = client_for(user).post(url(minor_a), {"otp_token": code_for(user)})
    assert response.status_code == 403
    assert minor_a.id_number not in response.content.decode()
    assert not reveals()


def test_it_refuses_a_child_seen_only_through_emergency_access(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any
) -> None:
    from carecircle.people.services import emergency_access_grant

    user = other_personas["child_director"]
    emergency_access_grant(actor=user, minor=minor_a, reason="孩子在学校晕倒，急需联系监护人")
    clock.tick(timedelta(seconds=30))
    response = client_for(user).post(url(minor_a), {"otp_token": code_for(user)})
    assert response.status_code == 403
    assert not reveals()


def test_it_sends_anonymous_visitors_to_login(minor_a: Minor) -> None:
    response = Client().post(url(minor_a), {"otp_token": "123456"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not reveals()


def test_it_refuses_other_methods(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    assert client.get(url(minor_a)).status_code == 405
    assert client.put(url(minor_a)).status_code == 405
    assert not reveals()
