"""The second factor (AU-3): forced enrolment, verification, replay and throttling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.accounts.models import User
from carecircle.accounts.roles import Role
from carecircle.accounts.tests.helpers import code_for, device_of, frozen, sign_in, zh
from carecircle.audit.models import AuditEvent
from carecircle.testing.fixtures import AREA_A, grant, make_user

# The start of a 30-second TOTP step, so a few ticks stay within the same step.
T0 = datetime(2026, 3, 2, 9, 0, 0)


def _wrong(code: str) -> str:
    return str((int(code) + 1) % 1_000_000).zfill(6)


@pytest.fixture
def newcomer(district: dict[str, Any]) -> User:
    """A child director signing in for the first time, with no authenticator yet."""
    user = make_user("newcomer", verified_device=False)
    grant(user, Role.CHILD_DIRECTOR, prefix=AREA_A)
    return user


@pytest.fixture
def password_only(newcomer: User) -> Client:
    client = Client()
    assert sign_in(client, newcomer.username).status_code == 302
    return client


def test_it_sends_a_newcomer_from_verify_to_setup(password_only: Client) -> None:
    response = password_only.get(reverse("accounts:otp-verify"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp-setup")


@pytest.mark.parametrize(
    "url",
    ["accounts:home", "people:minor-list", "stats:indicator-list", "accounts:password-change"],
)
def test_it_keeps_a_password_only_session_off_every_page(password_only: Client, url: str) -> None:
    response = password_only.get(reverse(url), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:otp-setup")
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["api:me", "api:minor-list"])
def test_it_refuses_a_password_only_session_on_the_api(password_only: Client, url: str) -> None:
    assert password_only.get(reverse(url)).status_code == 401


def test_it_shows_a_qr_code_and_the_secret_for_enrolment(
    password_only: Client, newcomer: User
) -> None:
    response = password_only.get(reverse("accounts:otp-setup"))
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    device = device_of(newcomer, confirmed=False)
    assert response.context["secret"].replace(" ", "")
    # Reloading the page keeps the same pending device rather than piling up new ones.
    password_only.get(reverse("accounts:otp-setup"))
    assert TOTPDevice.objects.filter(user=newcomer).count() == 1
    assert device_of(newcomer, confirmed=False).pk == device.pk


def test_it_confirms_the_device_with_a_valid_code(password_only: Client, newcomer: User) -> None:
    with frozen(T0):
        password_only.get(reverse("accounts:otp-setup"))
        code = code_for(device_of(newcomer, confirmed=False))
        response = password_only.post(reverse("accounts:otp-setup"), {"otp_token": code})
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:home")
        assert device_of(newcomer).confirmed
        assert password_only.get(reverse("accounts:home")).status_code == 200
        assert password_only.get(reverse("api:me")).status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.OTP_ENROLLED)
    assert event.actor_id == newcomer.pk


def test_it_refuses_a_wrong_enrolment_code(password_only: Client, newcomer: User) -> None:
    with frozen(T0):
        password_only.get(reverse("accounts:otp-setup"))
        code = code_for(device_of(newcomer, confirmed=False))
        response = password_only.post(reverse("accounts:otp-setup"), {"otp_token": _wrong(code)})
    assert response.status_code == 200
    assert zh("That code does not match. Check the phone's clock.") in response.content.decode()
    assert not TOTPDevice.objects.filter(user=newcomer, confirmed=True).exists()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.OTP_FAILED, actor_id=newcomer.pk
    ).exists()
    assert password_only.get(reverse("api:me")).status_code == 401


@pytest.mark.parametrize("token", ["12345", "abcdef", "1234567", ""])
def test_it_refuses_a_malformed_code(password_only: Client, newcomer: User, token: str) -> None:
    password_only.get(reverse("accounts:otp-setup"))
    response = password_only.post(reverse("accounts:otp-setup"), {"otp_token": token})
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=newcomer, confirmed=True).exists()


def test_it_will_not_replace_a_confirmed_device(personas: dict[str, User]) -> None:
    client = Client()
    sign_in(client, personas["child_director"].username)
    response = client.get(reverse("accounts:otp-setup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp-verify")
    assert TOTPDevice.objects.filter(user=personas["child_director"]).count() == 1


def test_it_verifies_a_returning_user(personas: dict[str, User]) -> None:
    user = personas["child_director"]
    client = Client()
    with frozen(T0):
        sign_in(client, user.username)
        assert client.get(reverse("accounts:home"))["Location"] == reverse("accounts:otp-verify")
        code = code_for(device_of(user))
        response = client.post(reverse("accounts:otp-verify"), {"otp_token": code})
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:home")
        assert client.get(reverse("accounts:home")).status_code == 200


def test_it_rejects_a_replayed_code(personas: dict[str, User]) -> None:
    user = personas["child_director"]
    first, second = Client(), Client()
    with frozen(T0) as clock:
        sign_in(first, user.username)
        code = code_for(device_of(user))
        assert first.post(reverse("accounts:otp-verify"), {"otp_token": code}).status_code == 302
        clock.tick(timedelta(seconds=5))  # same 30-second step
        sign_in(second, user.username, ip="10.0.0.2")
        response = second.post(reverse("accounts:otp-verify"), {"otp_token": code})
    assert response.status_code == 200
    assert second.get(reverse("api:me")).status_code == 401
    assert AuditEvent.objects.filter(action=AuditEvent.Action.OTP_FAILED, actor_id=user.pk).exists()


def test_it_throttles_repeated_wrong_codes(personas: dict[str, User]) -> None:
    user = personas["child_director"]
    client = Client()
    url = reverse("accounts:otp-verify")
    with frozen(T0) as clock:
        sign_in(client, user.username)
        code = code_for(device_of(user))
        client.post(url, {"otp_token": _wrong(code)})
        # Within the back-off window even the right code is refused.
        response = client.post(url, {"otp_token": code})
        assert response.status_code == 200
        body = response.content.decode()
        assert zh("Too many wrong codes. Wait a moment before trying again.") in body
        assert client.get(reverse("api:me")).status_code == 401
        clock.tick(timedelta(seconds=3))
        assert client.post(url, {"otp_token": code}).status_code == 302
    assert AuditEvent.objects.filter(action=AuditEvent.Action.OTP_FAILED).count() == 2


def test_it_lets_a_role_without_child_data_in_without_a_second_factor(
    district: dict[str, Any],
) -> None:
    user = make_user("analyst_new", verified_device=False)
    grant(user, Role.ANALYST, prefix="431103")
    client = Client()
    response = sign_in(client, user.username)
    assert response["Location"] == reverse("accounts:home")
    assert client.get(reverse("accounts:home")).status_code == 200
    assert client.get(reverse("api:me")).status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()


@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.AUDITOR, Role.COUNSELOR, Role.LAWYER])
def test_it_requires_a_second_factor_for_admins_auditors_and_child_data(
    district: dict[str, Any], role: str
) -> None:
    user = make_user("someone", verified_device=False)
    grant(user, role, prefix="431103")
    client = Client()
    sign_in(client, user.username)
    assert client.get(reverse("accounts:home")).status_code == 302
    assert client.get(reverse("api:me")).status_code == 401


@pytest.mark.parametrize("url", ["accounts:otp-verify", "accounts:otp-setup"])
def test_it_sends_anonymous_visitors_to_login(db: None, url: str) -> None:
    response = Client().get(reverse(url))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("url", ["accounts:otp-verify", "accounts:otp-setup"])
def test_it_refuses_other_methods(password_only: Client, url: str) -> None:
    assert password_only.put(reverse(url)).status_code == 405
