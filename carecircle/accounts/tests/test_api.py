"""/api/v1/me/, integration tokens, and the OpenAPI schema and docs."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts import services
from carecircle.accounts.models import ApiToken, User
from carecircle.accounts.roles import Role
from carecircle.accounts.tests.helpers import csp_directives
from carecircle.audit.models import AuditEvent
from carecircle.regions.models import Division

ClientFor = Callable[[User], Client]


def _create_token(username: str) -> str:
    out = StringIO()
    call_command("create_api_token", username, "--name", "12345 hotline", stdout=out)
    return out.getvalue().strip()


def _me(secret: str, keyword: str = "Token") -> int:
    return Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"{keyword} {secret}").status_code


def test_it_describes_the_session_user(personas: dict[str, User], client_for: ClientFor) -> None:
    response = client_for(personas["child_director"]).get(reverse("api:me"))
    assert response.status_code == 200
    data = response.json()
    assert data["username"] == "child_director_a"
    assert data["roles"] == [Role.CHILD_DIRECTOR]
    [scope] = data["scopes"]
    assert scope["scope_kind"] == "division"
    assert scope["division_code"] == "431103101200"
    assert scope["scope_prefix"] == "431103101200"
    assert scope["organisation"] is None


def test_it_describes_an_organisation_scope(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    data = client_for(personas["school_admin"]).get(reverse("api:me")).json()
    [scope] = data["scopes"]
    assert scope["scope_kind"] == "organisation"
    assert scope["organisation"] == "A-school"
    assert scope["division_code"] is None
    assert scope["scope_prefix"] == "431103101"


def test_it_lists_every_role_held(personas: dict[str, User], client_for: ClientFor) -> None:
    user = personas["child_director"]
    services.role_grant(
        actor=personas["sysadmin"],
        user=user,
        role=Role.COUNSELOR,
        division=Division.objects.get(prefix="431103101"),
    )
    data = client_for(user).get(reverse("api:me")).json()
    assert data["roles"] == [Role.CHILD_DIRECTOR, Role.COUNSELOR]
    assert len(data["scopes"]) == 2


def test_it_leaves_out_revoked_roles(personas: dict[str, User], client_for: ClientFor) -> None:
    user = personas["child_director"]
    assignment = user.assignments.get()
    services.role_revoke(actor=personas["sysadmin"], assignment=assignment)
    data = client_for(user).get(reverse("api:me")).json()
    assert data["roles"] == []
    assert data["scopes"] == []


def test_it_issues_a_working_token_from_the_command_line(personas: dict[str, User]) -> None:
    secret = _create_token("child_director_a")
    assert secret.startswith("cc_")
    response = Client().get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {secret}")
    assert response.status_code == 200
    assert response.json()["username"] == "child_director_a"
    assert _me(secret, "Bearer") == 200
    token = ApiToken.objects.get()
    assert token.digest == ApiToken.digest_for(secret)
    assert secret not in (token.digest, token.prefix)
    assert token.last_used_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN)
    assert event.details["user"] == "child_director_a"
    assert secret not in json.dumps(event.details)


def test_it_refuses_a_token_for_an_unknown_user(db: None) -> None:
    with pytest.raises(CommandError):
        _create_token("nobody")
    assert not ApiToken.objects.exists()


def test_it_refuses_a_token_for_an_inactive_user(personas: dict[str, User]) -> None:
    user = personas["analyst"]
    user.is_active = False
    user.save()
    with pytest.raises(CommandError):
        _create_token(user.username)


def test_it_refuses_a_revoked_token(personas: dict[str, User]) -> None:
    secret = _create_token("child_director_a")
    ApiToken.objects.update(revoked_at=timezone.now())
    assert _me(secret) == 401


def test_it_refuses_a_token_from_before_a_role_change(personas: dict[str, User]) -> None:
    secret = _create_token("child_director_a")
    # The epoch alone kills it, even if the revocation stamp were missing.
    User.objects.filter(pk=personas["child_director"].pk).update(auth_epoch=7)
    assert _me(secret) == 401


@pytest.mark.parametrize(
    "header", ["Token cc_not-a-real-token", "Token", "Token a b", "Token \u00e9t\u00e9"]
)
def test_it_refuses_a_bad_token_header(personas: dict[str, User], header: str) -> None:
    response = Client().get(reverse("api:me"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_it_refuses_anonymous_callers(db: None) -> None:
    response = Client().get(reverse("api:me"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).exists()


def test_it_refuses_other_methods(personas: dict[str, User]) -> None:
    secret = _create_token("child_director_a")
    auth = {"HTTP_AUTHORIZATION": f"Token {secret}"}
    for method in ("post", "put", "patch", "delete"):
        response = getattr(Client(), method)(reverse("api:me"), **auth)
        assert response.status_code == 405, method


# --- Schema and docs ----------------------------------------------------------------------


def test_it_serves_a_valid_openapi_schema(personas: dict[str, User], client_for: ClientFor) -> None:
    response = client_for(personas["analyst"]).get(reverse("api:schema"))
    assert response.status_code == 200
    body = response.content.decode()
    schema = json.loads(body) if body.lstrip().startswith("{") else yaml.safe_load(body)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    assert "get" in schema["paths"]["/api/v1/me/"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_it_validates_against_the_openapi_meta_schema(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    from drf_spectacular.validation import validate_schema

    body = client_for(personas["analyst"]).get(reverse("api:schema")).content.decode()
    validate_schema(yaml.safe_load(body))


def test_it_renders_the_docs_for_a_verified_user(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    response = client_for(personas["child_director"]).get(reverse("api:docs"))
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
    # The split view keeps its script in a separate file: the strict CSP holds.
    assert "'unsafe-inline'" not in csp_directives(response)["script-src"]


@pytest.mark.parametrize("name", ["api:schema", "api:docs"])
def test_it_hides_schema_and_docs_from_anonymous_callers(db: None, name: str) -> None:
    assert Client().get(reverse(name)).status_code in (401, 403)
