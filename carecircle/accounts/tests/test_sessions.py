"""Sessions end when they should (AU-6, AZ-5) and pages carry the safety headers (AU-7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from carecircle.accounts import services
from carecircle.accounts.models import ApiToken, RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.accounts.tests.helpers import csp_directives, frozen, sign_in
from carecircle.regions.models import Division

ClientFor = Callable[[User], Client]
T0 = datetime(2026, 3, 2, 9, 0, 0)
IDLE = timedelta(seconds=settings.CARECIRCLE_IDLE_TIMEOUT)


def _token(user: User) -> dict[str, str]:
    _token_row, secret = services.api_token_create(user=user)
    return {"Authorization": f"Token {secret}"}


def _is_dead(client: Client) -> bool:
    page = client.get(reverse("accounts:home"))
    api = client.get(reverse("api:me"))
    return (
        page.status_code == 302
        and page["Location"].startswith(reverse("accounts:login"))
        and api.status_code == 401
    )


# --- Idle timeout ----------------------------------------------------------------------


def test_it_signs_out_after_thirty_minutes_idle(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    with frozen(T0) as clock:
        client = client_for(personas["child_director"])
        assert client.get(reverse("accounts:home")).status_code == 200
        clock.tick(IDLE + timedelta(seconds=1))
        minors = reverse("people:minor-list")
        response = client.get(minors)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={minors}"
        assert client.get(reverse("accounts:home")).status_code == 302


def test_it_answers_an_idle_api_session_with_401(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    with frozen(T0) as clock:
        client = client_for(personas["child_director"])
        assert client.get(reverse("api:me")).status_code == 200
        clock.tick(IDLE + timedelta(seconds=1))
        assert client.get(reverse("api:me")).status_code == 401


def test_it_keeps_an_active_session_alive(personas: dict[str, User], client_for: ClientFor) -> None:
    with frozen(T0) as clock:
        client = client_for(personas["child_director"])
        for _step in range(3):
            assert client.get(reverse("accounts:home")).status_code == 200
            clock.tick(IDLE - timedelta(minutes=1))
        assert client.get(reverse("accounts:home")).status_code == 200


def test_it_ends_even_a_busy_session_after_ten_hours(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    lifetime = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert lifetime <= timedelta(hours=10)
    with frozen(T0) as clock:
        client = client_for(personas["child_director"])
        while clock.time_to_freeze < T0 + lifetime:
            assert client.get(reverse("accounts:home")).status_code == 200
            clock.tick(timedelta(minutes=25))
        clock.tick(timedelta(seconds=1))
        assert client.get(reverse("api:me")).status_code == 401
        assert client.get(reverse("accounts:home")).status_code == 302


# --- Revocation kills sessions and tokens (AZ-5) ---------------------------------------


@pytest.fixture
def target(personas: dict[str, User]) -> User:
    return personas["child_director"]


@pytest.fixture
def admin(personas: dict[str, User], client_for: ClientFor) -> Client:
    return client_for(personas["sysadmin"])


def _alive(target: User, client_for: ClientFor) -> tuple[Client, dict[str, str]]:
    session = client_for(target)
    token = _token(target)
    assert session.get(reverse("accounts:home")).status_code == 200
    assert Client().get(reverse("api:me"), headers=token).status_code == 200
    return session, token


def test_it_kills_sessions_and_tokens_on_deactivation(
    target: User, admin: Client, client_for: ClientFor
) -> None:
    session, token = _alive(target, client_for)
    url = reverse("accounts:user-action", args=[target.pk, "deactivate"])
    assert admin.post(url).status_code == 302
    assert _is_dead(session)
    assert Client().get(reverse("api:me"), headers=token).status_code == 401
    assert sign_in(Client(), target.username).status_code == 200  # cannot sign in again


def test_it_kills_sessions_and_tokens_on_a_role_grant(
    target: User, admin: Client, client_for: ClientFor
) -> None:
    session, token = _alive(target, client_for)
    url = reverse("accounts:role-grant", args=[target.pk])
    response = admin.post(url, {"role": Role.COUNSELOR, "division_code": "431103101"})
    assert response.status_code == 302
    assert _is_dead(session)
    assert Client().get(reverse("api:me"), headers=token).status_code == 401


def test_it_kills_sessions_and_tokens_on_a_role_revoke(
    target: User, admin: Client, client_for: ClientFor
) -> None:
    session, token = _alive(target, client_for)
    assignment = RoleAssignment.objects.get(user=target)
    url = reverse("accounts:role-revoke", args=[target.pk, assignment.pk])
    assert admin.post(url).status_code == 302
    assert _is_dead(session)
    assert Client().get(reverse("api:me"), headers=token).status_code == 401


def test_it_kills_sessions_when_the_second_factor_is_reset(
    target: User, admin: Client, client_for: ClientFor
) -> None:
    session, token = _alive(target, client_for)
    url = reverse("accounts:user-action", args=[target.pk, "reset-otp"])
    assert admin.post(url).status_code == 302
    assert _is_dead(session)
    assert Client().get(reverse("api:me"), headers=token).status_code == 401


def test_it_kills_sessions_when_the_scope_changes_behind_the_pages(
    target: User, client_for: ClientFor, personas: dict[str, User]
) -> None:
    # The service, not the view, does the killing: any caller gets the same effect.
    session, _token_headers = _alive(target, client_for)
    services.role_grant(
        actor=personas["sysadmin"],
        user=target,
        role=Role.CHILD_DIRECTOR,
        division=Division.objects.get(prefix="431103102200"),
    )
    assert _is_dead(session)
    assert ApiToken.objects.get(user=target).revoked_at is not None


def test_it_leaves_other_users_signed_in(
    target: User, admin: Client, client_for: ClientFor, personas: dict[str, User]
) -> None:
    bystander = client_for(personas["child_supervisor"])
    admin.post(reverse("accounts:user-action", args=[target.pk, "deactivate"]))
    assert bystander.get(reverse("accounts:home")).status_code == 200


# --- Password change ---------------------------------------------------------------------


def test_it_keeps_this_session_and_ends_the_others_on_password_change(
    target: User, client_for: ClientFor
) -> None:
    here, elsewhere = client_for(target), client_for(target)
    response = here.post(
        reverse("accounts:password-change"),
        {
            "old_password": "Correct-Horse-Battery-42",
            "new_password1": "Quiet-Riverbank-Lantern-73",
            "new_password2": "Quiet-Riverbank-Lantern-73",
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("accounts:home")).status_code == 200
    assert _is_dead(elsewhere)


def test_it_refuses_a_password_change_with_the_wrong_old_password(
    target: User, client_for: ClientFor
) -> None:
    here, elsewhere = client_for(target), client_for(target)
    response = here.post(
        reverse("accounts:password-change"),
        {
            "old_password": "Not-The-Password-99",
            "new_password1": "Quiet-Riverbank-Lantern-73",
            "new_password2": "Quiet-Riverbank-Lantern-73",
        },
    )
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.check_password("Correct-Horse-Battery-42")
    assert elsewhere.get(reverse("accounts:home")).status_code == 200


# --- Headers -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["accounts:home", "accounts:password-change", "api:me"])
def test_it_forbids_caching_authenticated_responses(
    personas: dict[str, User], client_for: ClientFor, url: str
) -> None:
    response = client_for(personas["child_director"]).get(reverse(url))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["accounts:home", "accounts:login"])
def test_it_sends_a_strict_content_security_policy(
    personas: dict[str, User], client_for: ClientFor, url: str
) -> None:
    response = client_for(personas["child_director"]).get(reverse(url), follow=True)
    directives = csp_directives(response)
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_it_sends_the_other_safety_headers(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    response = client_for(personas["child_director"]).get(reverse("accounts:home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_it_sends_the_headers_on_early_refusals_too(personas: dict[str, User]) -> None:
    # A password-only session is answered by the second-factor middleware itself.
    client = Client()
    sign_in(client, personas["child_director"].username)
    for response in (client.get(reverse("api:me")), client.get(reverse("accounts:home"))):
        assert response.status_code in (302, 401)
        assert response["Cache-Control"] == "no-store"
        assert response["X-Frame-Options"] == "DENY"
        assert csp_directives(response)["frame-ancestors"] == ["'none'"]


def test_it_sets_an_httponly_lax_session_cookie(personas: dict[str, User]) -> None:
    client = Client()
    sign_in(client, personas["analyst"].username)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    # No max-age: the session ends with the browser, and at 10 hours regardless.
    assert settings.SESSION_COOKIE_AGE <= 10 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
