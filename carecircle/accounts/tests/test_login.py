"""Sign-in and sign-out: lockout (AU-1), no user enumeration (AU-4), audit trail."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.accounts.tests.helpers import (
    client_with_session,
    frozen,
    has_chinese,
    is_signed_in,
    session_key,
    sign_in,
    zh,
)
from carecircle.audit.models import AuditEvent

WRONG = "Not-The-Password-99"
T0 = datetime(2026, 3, 2, 9, 0, 0)


def _fail(client: Client, username: str, times: int, *, ip: str = "10.0.0.1") -> list[int]:
    return [sign_in(client, username, WRONG, ip=ip).status_code for _ in range(times)]


def _normalised(body: bytes, username: str) -> str:
    text = body.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    return text.replace(username, "USERNAME")


def test_it_signs_in_a_role_without_second_factor_straight_home(
    personas: dict[str, User],
) -> None:
    client = Client()
    response = sign_in(client, personas["analyst"].username)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")
    assert client.get(reverse("accounts:home")).status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert event.actor_id == personas["analyst"].pk
    assert event.ip == "10.0.0.1"


def test_it_sends_a_child_data_role_to_the_second_factor(personas: dict[str, User]) -> None:
    response = sign_in(Client(), personas["child_director"].username)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp-verify")


def test_it_ignores_an_offsite_next(personas: dict[str, User]) -> None:
    response = sign_in(Client(), personas["analyst"].username, next="https://evil.example/")
    assert response["Location"] == reverse("accounts:home")


def test_it_follows_a_local_next(personas: dict[str, User]) -> None:
    target = reverse("stats:indicator-list")
    response = sign_in(Client(), personas["analyst"].username, next=target)
    assert response["Location"] == target


def test_it_answers_unknown_user_and_wrong_password_identically(
    personas: dict[str, User],
) -> None:
    known = personas["analyst"].username
    unknown = "nobody_" + "x" * (len(known) - 7)
    wrong_password = sign_in(Client(), known, WRONG)
    unknown_user = sign_in(Client(), unknown, WRONG)
    assert wrong_password.status_code == unknown_user.status_code == 200
    errors = wrong_password.context["form"].non_field_errors()
    assert errors == unknown_user.context["form"].non_field_errors()
    assert errors
    assert _normalised(wrong_password.content, known) == _normalised(unknown_user.content, unknown)


def test_it_refuses_an_inactive_account_like_a_wrong_password(
    personas: dict[str, User],
) -> None:
    user = personas["analyst"]
    user.is_active = False
    user.save()
    inactive = sign_in(Client(), user.username)
    wrong = sign_in(Client(), "nobody_at_all", WRONG)
    assert inactive.status_code == wrong.status_code == 200
    assert inactive.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()


def test_it_audits_a_failed_sign_in_without_the_password(personas: dict[str, User]) -> None:
    sign_in(Client(), personas["analyst"].username, WRONG)
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert event.actor_id is None
    assert event.actor_username == personas["analyst"].username
    assert event.ip == "10.0.0.1"
    assert WRONG not in str(event.details)


def test_it_locks_username_and_ip_after_five_failures(personas: dict[str, User]) -> None:
    client = Client()
    username = personas["analyst"].username
    assert _fail(client, username, 5) == [200, 200, 200, 200, 429]
    response = sign_in(client, username)  # the right password, during the lock
    assert response.status_code == 429
    assert not is_signed_in(client)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).exists()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOCKED_OUT, actor_username=username
    ).exists()


def test_it_renders_the_lockout_page_in_chinese_without_the_username(
    personas: dict[str, User],
) -> None:
    client = Client()
    username = personas["analyst"].username
    _fail(client, username, 5)
    response = sign_in(client, username)
    assert response.status_code == 429
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert has_chinese(zh("Too many failed sign-ins"))
    assert zh("Too many failed sign-ins") in body
    assert username not in body
    assert response["Cache-Control"] == "no-store"


def test_it_does_not_lock_the_same_user_from_another_ip(personas: dict[str, User]) -> None:
    username = personas["analyst"].username
    _fail(Client(), username, 5, ip="10.0.0.1")
    client = Client()
    response = sign_in(client, username, ip="10.0.0.2")
    assert response.status_code == 302
    assert is_signed_in(client)


def test_it_does_not_lock_another_user_from_the_same_ip(personas: dict[str, User]) -> None:
    _fail(Client(), "someone_else", 5)
    response = sign_in(Client(), personas["analyst"].username)
    assert response.status_code == 302


def test_it_lifts_the_lock_after_fifteen_minutes(personas: dict[str, User]) -> None:
    username = personas["analyst"].username
    with frozen(T0) as clock:
        _fail(Client(), username, 5)
        clock.tick(timedelta(minutes=14))
        assert sign_in(Client(), username).status_code == 429
        clock.tick(timedelta(minutes=1, seconds=1))
        client = Client()
        response = sign_in(client, username)
        assert response.status_code == 302
        assert is_signed_in(client)


def test_it_never_locks_for_good(personas: dict[str, User]) -> None:
    username = personas["analyst"].username
    with frozen(T0) as clock:
        for _round in range(3):
            _fail(Client(), username, 6)
            clock.tick(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        assert sign_in(Client(), username).status_code == 302


def test_it_forgets_failures_after_a_success(personas: dict[str, User]) -> None:
    username = personas["analyst"].username
    assert _fail(Client(), username, 4) == [200] * 4
    assert sign_in(Client(), username).status_code == 302
    assert _fail(Client(), username, 4) == [200] * 4


def test_it_rotates_the_session_key_at_login(personas: dict[str, User]) -> None:
    client = Client()
    before = client.session.session_key  # an anonymous session, as a fixated cookie
    assert before
    sign_in(client, personas["analyst"].username)
    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client_with_session(before).get(reverse("accounts:home")).status_code == 302


def test_it_redirects_a_signed_in_user_away_from_login(personas: dict[str, User]) -> None:
    client = Client()
    sign_in(client, personas["analyst"].username)
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")


def test_it_refuses_other_methods_on_login(db: None) -> None:
    assert Client().put(reverse("accounts:login")).status_code == 405


def test_it_signs_out_only_by_post(personas: dict[str, User]) -> None:
    client = Client()
    sign_in(client, personas["analyst"].username)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert is_signed_in(client)


def test_it_signs_out_clears_site_data_and_audits(personas: dict[str, User]) -> None:
    client = Client()
    sign_in(client, personas["analyst"].username)
    old_key = session_key(client)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert '"cookies"' in response["Clear-Site-Data"]
    assert '"storage"' in response["Clear-Site-Data"]
    assert '"cache"' in response["Clear-Site-Data"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGOUT)
    assert event.actor_id == personas["analyst"].pk
    # The old cookie is worth nothing afterwards (AU-6).
    replay = client_with_session(old_key)
    assert replay.get(reverse("accounts:home")).status_code == 302
    assert replay.get(reverse("api:me")).status_code == 401


def test_it_signs_out_an_anonymous_visitor_harmlessly(db: None) -> None:
    response = Client().post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).exists()
