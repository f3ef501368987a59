"""What requests leave in the audit log: reads of child records, denials, failed logins."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people.api import DETAIL_FIELDS as API_DETAIL_FIELDS
from carecircle.people.models import Minor
from carecircle.people.views import DETAIL_FIELDS

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def views_of(minor: Minor) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, minor_id=minor.pk))


@contextmanager
def audit_writes_failing() -> Iterator[None]:
    """The database refuses every new audit event, as a full disk or a lost table would."""
    table = AuditEvent._meta.db_table

    def refuse(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # SQLite inserts the event; PostgreSQL appends it through audit_append.
        appends = sql.lstrip().upper().startswith("INSERT") and table in sql
        if appends or "audit_append(" in sql:
            raise DatabaseError("audit table unavailable")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def denials() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).order_by("seq"))


@pytest.mark.parametrize(
    ("route", "fields"),
    [
        ("people:minor-detail", DETAIL_FIELDS),
        ("api:minor-detail", API_DETAIL_FIELDS),
    ],
)
def test_it_records_each_read_of_a_child_record_once(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor, route: str, fields: list[str]
) -> None:
    minor_a.address = "冷水滩区梅湾路12号"
    minor_a.save()
    user = personas["social_worker"]
    client = client_for(user)
    response = client.get(reverse(route, args=[minor_a.pk]))
    assert response.status_code == 200
    [event] = views_of(minor_a)
    assert event.actor == user
    assert event.actor_roles == "social_worker"
    assert event.object_type == "people.minor" and event.object_id == str(minor_a.pk)
    assert event.fields == sorted(fields)
    assert event.details == {}
    assert event.request_id == response["X-Request-ID"]
    stored = json.dumps(event.canonical(), ensure_ascii=False)
    for value in ("张小明", minor_a.id_number, "梅湾路", "2014-05-01"):
        assert value not in stored

    client.get(reverse(route, args=[minor_a.pk]))
    assert len(views_of(minor_a)) == 2


def test_it_does_not_record_a_view_for_a_list(
    personas: dict[str, User], minor_a: Minor, client_for: ClientFor
) -> None:
    client = client_for(personas["child_director"])
    assert client.get(reverse("people:minor-list")).status_code == 200
    assert client.get(reverse("api:minor-list")).status_code == 200
    assert views_of(minor_a) == []


@pytest.mark.parametrize("route", ["people:minor-detail", "api:minor-detail"])
def test_it_fails_closed_when_the_audit_write_fails(
    personas: dict[str, User],
    minor_a: Minor,
    client_for: ClientFor,
    route: str,
) -> None:
    client = client_for(personas["child_director"])
    client.raise_request_exception = False
    with audit_writes_failing():
        response = client.get(reverse(route, args=[minor_a.pk]))
    assert response.status_code >= 500
    body = response.content.decode()
    for value in ("张小明", minor_a.masked_id_number, "2014-05-01", minor_a.id_number):
        assert value not in body
    assert views_of(minor_a) == []


def test_it_raises_to_the_caller_when_the_audit_write_fails(
    personas: dict[str, User],
    minor_a: Minor,
    client_for: ClientFor,
) -> None:
    with audit_writes_failing(), pytest.raises(DatabaseError):
        client_for(personas["child_director"]).get(
            reverse("people:minor-detail", args=[minor_a.pk])
        )


@pytest.mark.parametrize("route", ["people:minor-detail", "api:minor-detail"])
def test_it_records_an_out_of_scope_read_as_denied(
    other_personas: dict[str, User], minor_a: Minor, client_for: ClientFor, route: str
) -> None:
    user = other_personas["child_director"]
    response = client_for(user).get(reverse(route, args=[minor_a.pk]))
    assert response.status_code == 404
    assert "张小明" not in response.content.decode()
    [event] = denials()
    assert event.actor == user
    assert event.object_type == "people.minor" and event.object_id == str(minor_a.pk)
    assert event.details["reason"] == "out of scope"
    assert event.details["path"] == reverse(route, args=[minor_a.pk])
    assert event.request_id == response["X-Request-ID"]
    assert views_of(minor_a) == []


def test_it_records_a_denial_for_a_record_that_does_not_exist(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    response = client_for(personas["child_director"]).get(
        reverse("people:minor-detail", args=[999999])
    )
    assert response.status_code == 404
    [event] = denials()
    assert event.object_id == "999999"


@pytest.mark.parametrize("role", ["sysadmin", "auditor", "analyst"])
def test_it_records_a_403_as_denied(
    personas: dict[str, User], client_for: ClientFor, role: str
) -> None:
    response = client_for(personas[role]).get(reverse("people:minor-list"))
    assert response.status_code == 403
    [event] = denials()
    assert event.actor == personas[role]
    assert event.object_type == "http"
    assert event.details == {"reason": "403", "path": "/minors/", "method": "GET"}


def test_it_records_an_anonymous_api_refusal(minor_a: Minor) -> None:
    response = Client().get(reverse("api:minor-detail", args=[minor_a.pk]))
    assert response.status_code in (401, 403)
    [event] = denials()
    assert event.actor_id is None
    assert event.details["reason"] == str(response.status_code)


def test_it_neutralises_control_characters_in_a_failed_login(district: dict[str, Any]) -> None:
    hostile = "admin\r\n2026-01-01 login ok user=root\x1b[2J\x1b]0;pwned\x07\u2028\u2029\x85x"
    response = Client().post(
        reverse("accounts:login"), {"username": hostile, "password": "wrong-password-123"}
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    name = event.actor_username
    for forbidden in ("\r", "\n", "\x1b", "\x07", "\u2028", "\u2029", "\x85"):
        assert forbidden not in name
    assert name.startswith("admin  2026-01-01 login ok user=root")
    assert len(name.splitlines()) == 1
    assert event.actor_id is None
    assert event.hash == event.compute_hash()
