"""Password policy (AU-5) and administrator resets that never let the admin choose."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.accounts.tests.helpers import sign_in
from carecircle.audit.models import AuditEvent
from carecircle.testing.fixtures import PASSWORD

ClientFor = Callable[[User], Client]
NEW = "Quiet-Riverbank-Lantern-73"


def _codes(password: str, user: User | None = None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {str(error.code) for error in exc.error_list}
    return set()


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Short-Pw-1!", "password_too_short"),
        ("qwertyuiop123", "password_too_common"),
        ("123456789012", "password_entirely_numeric"),
        ("carecircle2026!!", "password_context_word"),
        ("CareCircle-Office-88", "password_context_word"),
        ("lengshuitan-Office-7", "password_context_word"),
        ("我爱冷水滩区的山和水啊", "password_too_short"),
        ("我在冷水滩区工作十二年了呀", "password_context_word"),
        ("关爱圈-secure-login-2026", "password_context_word"),
    ],
)
def test_it_refuses_weak_passwords(db: None, password: str, code: str) -> None:
    assert code in _codes(password)


def test_it_refuses_a_password_like_the_username(db: None) -> None:
    user = User(username="zhangxiaoming", full_name="张小明")
    assert "password_too_similar" in _codes("zhangxiaoming1", user)


@pytest.mark.parametrize(
    "password",
    [
        "Quiet-Riverbank-Lantern-73",
        "twelve chars",
        # A 64+ character passphrase, spaces and all (ASVS 6.2.9).
        "the river bends twice below the old stone bridge before the market " * 2,
        "山高水长，春风化雨润物细无声",
    ],
)
def test_it_accepts_long_passphrases(db: None, password: str) -> None:
    assert len(password) >= 12
    assert _codes(password) == set()


def test_it_refuses_a_weak_new_password_on_the_change_page(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    user = personas["analyst"]
    response = client_for(user).post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "carecircle2026!!",
            "new_password2": "carecircle2026!!",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("new_password2", "password_context_word")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_it_refuses_mismatched_new_passwords(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    user = personas["analyst"]
    response = client_for(user).post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW + "x"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_it_changes_the_password_and_audits_without_the_value(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    user = personas["analyst"]
    response = client_for(user).post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_id=str(user.pk))
    assert event.fields == ["password"]
    assert NEW not in str(event.details)


def test_it_sends_anonymous_visitors_from_the_change_page_to_login(db: None) -> None:
    response = Client().get(reverse("accounts:password-change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_refuses_other_methods_on_the_change_page(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    response = client_for(personas["analyst"]).put(reverse("accounts:password-change"))
    assert response.status_code == 405


# --- Administrator resets ---------------------------------------------------------------


@pytest.fixture
def reset(personas: dict[str, User], client_for: ClientFor) -> tuple[User, str]:
    """The sysadmin resets the analyst's password; returns the analyst and the new one."""
    target = personas["analyst"]
    url = reverse("accounts:user-action", args=[target.pk, "reset-password"])
    # A password the admin tries to slip in is ignored.
    response = client_for(personas["sysadmin"]).post(url, {"password": NEW})
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode()
    return target, password


def test_it_shows_a_random_one_time_password_on_reset(reset: tuple[User, str]) -> None:
    target, password = reset
    target.refresh_from_db()
    assert password != NEW
    assert len(password) >= 16
    assert _codes(password, target) == set()
    assert target.check_password(password)
    assert not target.check_password(PASSWORD)
    assert not target.check_password(NEW)
    assert target.must_change_password


def test_it_gives_a_different_password_on_each_reset(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    url = reverse("accounts:user-action", args=[personas["analyst"].pk, "reset-password"])
    admin = client_for(personas["sysadmin"])
    first, second = admin.post(url), admin.post(url)
    assert first.context["password"] != second.context["password"]


def test_it_audits_a_reset_without_the_password(reset: tuple[User, str]) -> None:
    target, password = reset
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_id=str(target.pk))
    assert event.fields == ["password"]
    assert password not in str(event.details)
    assert event.actor_username == "sysadmin_a"


def test_it_forces_a_password_change_after_a_reset(reset: tuple[User, str]) -> None:
    target, password = reset
    client = Client()
    assert sign_in(client, target.username, password).status_code == 302
    home = client.get(reverse("accounts:home"))
    assert home.status_code == 302
    change = reverse("accounts:password-change")
    assert home["Location"] == change
    assert client.get(reverse("stats:indicator-list"))["Location"] == change
    assert client.get(reverse("api:me")).status_code == 403
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": password, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.must_change_password
    assert client.get(reverse("accounts:home")).status_code == 200


def test_it_refuses_a_reset_by_a_non_admin(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    target = personas["analyst"]
    url = reverse("accounts:user-action", args=[target.pk, "reset-password"])
    response = client_for(personas["district_admin"]).post(url)
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.check_password(PASSWORD)
    assert not target.must_change_password
