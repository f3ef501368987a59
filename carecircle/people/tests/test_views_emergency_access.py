from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.notifications.models import Notification, OutboxMessage
from carecircle.notifications.outbox import drain
from carecircle.people.models import EmergencyAccess, Minor

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
URL = "/minors/emergency-access/"
REASON = "孩子在学校晕倒，急需监护人联系方式"
NOW = datetime(2026, 4, 1, 10, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock() -> Iterator[FrozenDateTimeFactory]:
    # Import the URLconf (and the C extensions behind it) before time is faked.
    reverse("people:minor-list")
    with freeze_time(NOW) as frozen:
        assert isinstance(frozen, FrozenDateTimeFactory)
        yield frozen


def code_for(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    value = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
    )
    return f"{value:0{device.digits}d}"


def wrong_code_for(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    valid = {
        f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=d):06d}"
        for d in range(-3, 4)
    }
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def break_glass(client: Client, user: User, minor: Minor, **overrides: str) -> Any:
    data = {"id_number": minor.id_number, "reason": REASON, "otp_token": code_for(user)}
    return client.post(URL, data | overrides)


def nothing_granted() -> bool:
    return (
        not EmergencyAccess.objects.exists()
        and not AuditEvent.objects.filter(action=AuditEvent.Action.BREAK_GLASS).exists()
        and not OutboxMessage.objects.exists()
    )


def test_it_opens_an_out_of_scope_child_for_an_hour(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any
) -> None:
    director_b = other_personas["child_director"]
    client = client_for(director_b)
    detail = reverse("people:minor-detail", args=[minor_a.pk])
    assert client.get(detail).status_code == 404

    response = break_glass(client, director_b, minor_a)
    assert response.status_code == 302
    assert response["Location"] == detail

    grant = EmergencyAccess.objects.get(user=director_b, minor=minor_a)
    assert grant.reason == REASON
    assert grant.expires_at - grant.granted_at == timedelta(minutes=60)
    page = client.get(detail)
    assert page.status_code == 200
    assert page.context["emergency"] is True
    assert "张小明" in page.content.decode()

    event = AuditEvent.objects.get(action=AuditEvent.Action.BREAK_GLASS)
    assert event.actor == director_b and event.minor_id == minor_a.pk
    assert event.details["reason"] == REASON
    assert (
        AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, minor_id=minor_a.pk).count() == 1
    )


def test_it_accepts_the_id_number_with_a_lower_case_check_letter(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any
) -> None:
    user = other_personas["child_director"]
    response = break_glass(client_for(user), user, minor_a, id_number=minor_a.id_number.lower())
    assert response.status_code == 302
    assert EmergencyAccess.objects.filter(user=user, minor=minor_a).exists()


def test_it_closes_the_record_again_after_60_minutes(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any
) -> None:
    user = other_personas["child_director"]
    break_glass(client_for(user), user, minor_a)
    detail = reverse("people:minor-detail", args=[minor_a.pk])
    # Fresh sessions each time: an idle session would be signed out anyway.
    clock.tick(timedelta(minutes=59))
    assert client_for(user).get(detail).status_code == 200
    clock.tick(timedelta(minutes=2))
    assert client_for(user).get(detail).status_code == 404
    denial = AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).latest("seq")
    assert denial.actor == user and denial.object_id == str(minor_a.pk)


def test_it_tells_the_district_admin_of_the_childs_district(
    personas: dict[str, User],
    other_personas: dict[str, User],
    minor_a: Minor,
    client_for: ClientFor,
    clock: Any,
) -> None:
    user = other_personas["child_director"]
    break_glass(client_for(user), user, minor_a)
    assert not Notification.objects.exists()  # delivered by the worker, not the request

    assert drain() == 1
    [note] = Notification.objects.all()
    assert note.recipient == personas["district_admin"]
    assert note.level == Notification.Level.URGENT
    assert user.display_name in note.title
    assert REASON in note.body
    assert note.link == f"{reverse('audit:log')}?minor={minor_a.pk}"
    assert drain() == 0
    assert Notification.objects.count() == 1


def test_it_refuses_a_wrong_code(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any
) -> None:
    user = other_personas["child_director"]
    response = break_glass(client_for(user), user, minor_a, otp_token=wrong_code_for(user))
    assert response.status_code == 200
    assert response.context["form"].errors["otp_token"]
    assert nothing_granted()


def test_it_refuses_a_code_used_twice(
    other_personas: dict[str, User],
    minor_a: Minor,
    minor_b: Minor,
    client_for: ClientFor,
    clock: Any,
) -> None:
    user = other_personas["social_worker"]  # 零陵区: neither child is in scope
    client = client_for(user)
    code = code_for(user)
    assert break_glass(client, user, minor_a, otp_token=code).status_code == 302
    response = break_glass(client, user, minor_b, otp_token=code)
    assert response.status_code == 200
    assert response.context["form"].errors["otp_token"]
    assert not EmergencyAccess.objects.filter(minor=minor_b).exists()


@pytest.mark.parametrize("reason", ["急救", "   太短了   ", ""])
def test_it_refuses_a_short_reason(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any, reason: str
) -> None:
    user = other_personas["child_director"]
    response = break_glass(client_for(user), user, minor_a, reason=reason)
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert nothing_granted()


def test_it_says_clearly_when_no_child_has_the_id_number(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any
) -> None:
    user = other_personas["child_director"]
    response = break_glass(client_for(user), user, minor_a, id_number="110101201001011234")
    assert response.status_code == 200
    with translation.override("zh-hans"):
        expected = translation.gettext("No child with this ID number is registered.")
    assert response.context["form"].errors["id_number"] == [expected]
    assert nothing_granted()


@pytest.mark.parametrize("role", ["sysadmin", "auditor", "analyst"])
def test_it_refuses_roles_that_never_see_child_data(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor, clock: Any, role: str
) -> None:
    user = personas[role]
    client = client_for(user)
    assert client.get(URL).status_code == 403
    assert break_glass(client, user, minor_a).status_code == 403
    assert nothing_granted()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED, actor=user).count() == 2


def test_it_sends_anonymous_visitors_to_login(minor_a: Minor) -> None:
    response = Client().post(URL, {"id_number": minor_a.id_number, "reason": REASON})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not EmergencyAccess.objects.exists()


def test_it_refuses_other_methods(other_personas: dict[str, User], client_for: ClientFor) -> None:
    client = client_for(other_personas["child_director"])
    assert client.get(URL).status_code == 200
    assert client.put(URL).status_code == 405
    assert client.delete(URL).status_code == 405
