"""The authorization matrix (SECURITY.md AZ-1, AZ-2, AZ-9), run against the URL resolver.

The expectations live in ``carecircle/testing/matrix/`` (read its docstring to add
a route). The district, both sets of personas and the objects are built once for
this module inside one transaction; each request then runs in a savepoint that is
rolled back, so a successful write (a deactivation, a revoked role) never leaks
into the next cell.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.accounts.models import ApiToken, Organisation, RoleAssignment, User
from carecircle.cases.models import Case, CaseMember, CaseTask, Referral, ReferralEvent
from carecircle.notifications.models import Notification
from carecircle.people.models import EmergencyAccess, Minor
from carecircle.testing import matrix as mx
from carecircle.testing.fixtures import verified_client
from carecircle.tips.models import (
    Dispatch,
    Extension,
    ThrottleHit,
    Tip,
    TipAttachment,
    TipEvent,
    TipMinor,
)
from carecircle.visits.models import Visit, VisitPhoto, VisitRuleSet, VisitTask


@dataclass
class Matrix:
    world: mx.World
    sessions: dict[int, str]  # user pk -> session key with a verified second factor


@pytest.fixture(scope="module")
def matrix(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Matrix]:
    """Build once per module, roll everything back at the end (pytest-django pattern)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = mx.build_world()
            users = [world.no_role, *world.personas.values(), *world.other_personas.values()]
            sessions = {
                user.pk: verified_client(user).cookies[settings.SESSION_COOKIE_NAME].value
                for user in users
            }
            yield Matrix(world=world, sessions=sessions)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _outcome(response: HttpResponseBase) -> str:
    if response.status_code in (301, 302, 303):
        path = urlsplit(response["Location"]).path
        try:
            return mx.to(resolve(path).view_name)
        except Resolver404:
            return f"{response.status_code} {path}"
    if response.status_code >= 500:
        exc = getattr(response, "exc_info", None)
        return f"{response.status_code} {exc[1]!r}" if exc else str(response.status_code)
    return str(response.status_code)


# The rows a refused POST could have touched (sessions and the audit log aside). Raw
# SQL: this runs twice per POST cell, and the ORM would double the module's run time.
_WATCHED = [
    (User, ["password", "is_active", "full_name", "email", "auth_epoch", "must_change_password"]),
    (RoleAssignment, ["role", "scope_prefix", "revoked_at"]),
    (Organisation, ["name", "kind", "division", "is_active"]),
    (TOTPDevice, ["confirmed", "key"]),
    (ApiToken, ["revoked_at"]),
    (Minor, ["status", "area_code"]),
    (EmergencyAccess, ["expires_at"]),
    (Notification, ["read_at"]),
    (Visit, ["kind", "follow_up_needed"]),
    (VisitPhoto, ["size"]),
    (VisitTask, ["status", "police_receipt"]),
    (VisitRuleSet, ["is_active"]),
    (Tip, ["status", "urgency", "handler", "area_code", "police_receipt", "satisfaction"]),
    (TipEvent, ["kind"]),
    (TipMinor, ["minor"]),
    (Dispatch, ["status"]),
    (Extension, ["decision"]),
    (TipAttachment, ["size"]),
    (ThrottleHit, ["count"]),
    (Case, ["status", "risk"]),
    (CaseMember, ["left_at"]),
    (CaseTask, ["status"]),
    (Referral, ["status", "escalated_at"]),
    (ReferralEvent, ["kind"]),
]


def _fingerprint_sql() -> list[str]:
    quote = connection.ops.quote_name
    statements = []
    for model, names in _WATCHED:
        pk = quote(model._meta.pk.column)
        columns = ", ".join([pk, *(quote(model._meta.get_field(n).column) for n in names)])
        table = quote(model._meta.db_table)
        # Identifiers from model metadata, quoted; no input reaches this string.
        statements.append(f"SELECT {columns} FROM {table} ORDER BY {pk}")  # noqa: S608
    return statements


def _fingerprint() -> list[list[Any]]:
    with connection.cursor() as cursor:
        result = []
        for sql in _fingerprint_sql():
            cursor.execute(sql)
            result.append(cursor.fetchall())
        return result


@dataclass
class Cell:
    route: str
    method: str
    actor: str
    side: str
    obj: str | None
    kwargs: dict[str, Any]
    expected: str
    actual: str
    changed: bool

    def __str__(self) -> str:
        where = f"{self.actor}/{self.side}" + (f" on {self.obj}" if self.obj else "")
        extra = {k: v for k, v in self.kwargs.items() if not k.endswith("pk")}
        flag = "UNEXPECTED SUCCESS " if mx.is_success(self.actual) else ""
        return (
            f"{flag}{self.method} {self.route}{extra or ''} as {where}: "
            f"expected {self.expected}, got {self.actual}"
            + (" and DATA CHANGED" if self.changed else "")
        )


def _request(
    matrix: Matrix,
    client: Client,
    route: str,
    exp: mx.Expect,
    actor: str,
    side: str,
    obj: str | None,
) -> Cell:
    world = matrix.world
    user = None if actor == mx.ANONYMOUS else world.user(actor, side)
    kwargs: dict[str, Any] = dict(exp.kwargs)
    if exp.objects and obj:
        kwargs |= world.url_kwargs(exp.objects, obj, user)
    url = reverse(route, kwargs=kwargs or None)
    data = exp.data(world, side) if callable(exp.data) else exp.data
    client.cookies.clear()
    if user is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = matrix.sessions[user.pk]
    want = mx.expected(exp, actor, side, obj)
    with transaction.atomic():
        before = _fingerprint() if exp.method != "GET" else None
        if exp.method == "GET":
            response = client.get(url, data or {})
        elif exp.method == "POST":
            response = client.post(url, data or {})
        else:  # PUT and PATCH: only the JSON API accepts them
            body = json.dumps(data or {})
            response = client.generic(exp.method, url, body, content_type="application/json")
        changed = before is not None and _fingerprint() != before
        transaction.set_rollback(True)
    allowed_write = exp.writes and want == exp.ok
    return Cell(
        route,
        exp.method,
        actor,
        side,
        obj,
        kwargs,
        want,
        _outcome(response),
        changed and not allowed_write,
    )


def _cells(matrix: Matrix, route: str, actor: str) -> list[Cell]:
    client = Client(raise_request_exception=False)
    return [
        _request(matrix, client, route, exp, actor, side, obj)
        for exp in mx.TABLE[route].expects
        for side, obj in mx.probes(exp, actor)
    ]


def _report(cells: list[Cell]) -> str:
    return "\n".join(str(c) for c in cells)


def test_it_has_an_entry_for_every_route() -> None:
    routes = set(mx.resolver_routes())
    missing = sorted(routes - set(mx.TABLE))
    extra = sorted(set(mx.TABLE) - routes)
    assert not missing and not extra, (
        f"Routes without an entry in carecircle/testing/matrix/table.py TABLE: {missing}; "
        f"entries for routes that no longer exist: {extra}. See that module's docstring."
    )


def test_it_covers_every_method_of_the_api_schema() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        concrete = path.replace("{id}", "1").replace("{pk}", "1")
        name = resolve(concrete).view_name
        methods = {exp.method for exp in mx.TABLE[name].expects}
        for method in operations:
            assert method.upper() in methods, f"{method.upper()} {path} ({name}) not in TABLE"


@pytest.mark.parametrize("actor", mx.ACTORS)
@pytest.mark.parametrize("route", sorted(mx.TABLE))
def test_it_answers_as_the_table_says(matrix: Matrix, db: Any, route: str, actor: str) -> None:
    wrong = [c for c in _cells(matrix, route, actor) if c.actual != c.expected or c.changed]
    assert not wrong, "\n" + _report(wrong)


# --- AZ-2: collections return exactly the in-scope rows -----------------------------

_ROLE_ACTORS = [a for a in mx.ACTORS if a != mx.ANONYMOUS]


def _labels(matrix: Matrix, pks: set[int]) -> set[str]:
    by_pk = {m.pk: label for label, m in matrix.world.minors.items()}
    return {by_pk.get(pk, f"pk={pk}") for pk in pks}


@pytest.mark.parametrize("actor", _ROLE_ACTORS)
def test_it_lists_exactly_the_minors_in_scope(matrix: Matrix, db: Any, actor: str) -> None:
    world = matrix.world
    for side in ("A",) if actor == mx.NO_ROLE else ("A", "B"):
        seen = set(mx.SEEN["minor"].get((actor, side), frozenset()))
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = matrix.sessions[world.user(actor, side).pk]
        who = f"{actor}/{side}"

        page = client.get(reverse("people:minor-list"))
        api = client.get(reverse("api:minor-list"))
        if actor not in mx.SEES_CHILDREN:
            assert (page.status_code, api.status_code) == (403, 403), who
            continue
        assert _labels(matrix, {m.pk for m in page.context["page"].object_list}) == seen, who
        assert _labels(matrix, {row["id"] for row in api.json()["results"]}) == seen, who
        # Search by exact ID number (the blind index): a child outside the scope is
        # not found, even by someone who knows the number.
        for label, minor in world.minors.items():
            found = client.get(reverse("people:minor-list"), {"q": minor.id_number})
            rows = {m.pk for m in found.context["page"].object_list}
            assert _labels(matrix, rows) == {label} & seen, f"{who} searching {label}"


# --- AZ-9: separation of duties (三员分立) ---------------------------------------------
# Checked on the committed table for every side and object; the matrix above proves
# that the live answers equal the table, cell by cell.


def _expected_successes(actor: str, areas: set[str]) -> list[str]:
    return [
        f"{exp.method} {route} as {actor}/{side} on {obj}"
        for route, entry in sorted(mx.TABLE.items())
        if entry.area in areas
        for exp in entry.expects
        for side in ("A", "B")
        for obj in (mx.OBJECTS[exp.objects] if exp.objects else (None,))
        if mx.is_success(mx.expected(exp, actor, side, obj))
    ]


def _areas_except(*areas: str) -> set[str]:
    return {entry.area for entry in mx.TABLE.values()} - set(areas)


def test_it_keeps_the_sysadmin_out_of_child_data_and_the_audit_log() -> None:
    assert _expected_successes(mx.R.SYSADMIN, {mx.CHILDREN, mx.AUDIT}) == []
    assert _expected_successes(mx.R.SYSADMIN, {mx.ACCOUNTS})


def test_it_lets_the_auditor_read_the_audit_log_and_nothing_else() -> None:
    assert _expected_successes(mx.R.AUDITOR, _areas_except(mx.PUBLIC, mx.OWN, mx.AUDIT)) == []
    assert _expected_successes(mx.R.AUDITOR, {mx.AUDIT})
    assert [r for r, e in mx.TABLE.items() if e.area == mx.AUDIT] == ["audit:log"]


def test_it_shows_the_analyst_statistics_but_no_child_record() -> None:
    assert _expected_successes(mx.R.ANALYST, _areas_except(mx.PUBLIC, mx.OWN, mx.STATS)) == []
    assert _expected_successes(mx.R.ANALYST, {mx.STATS})


def test_it_refuses_child_data_to_every_role_without_child_access() -> None:
    blind = sorted(set(mx.ACTORS) - mx.SEES_CHILDREN - {mx.ANONYMOUS})
    assert blind == sorted([mx.NO_ROLE, mx.R.ANALYST, mx.R.AUDITOR, mx.R.SYSADMIN])
    for actor in blind:
        assert _expected_successes(actor, {mx.CHILDREN}) == [], actor


def test_it_answers_out_of_scope_objects_with_404_not_403() -> None:
    for route, entry in mx.TABLE.items():
        for exp in entry.expects:
            if exp.objects and exp.ok != mx.WRONG_METHOD:
                assert exp.out_of_scope == mx.NOT_FOUND, route


# --- Every method a view accepts is in the table ---------------------------------------

_PREFERRED = (mx.R.DISTRICT_ADMIN, mx.R.SYSADMIN, mx.R.AUDITOR, mx.R.ANALYST, mx.NO_ROLE)


@pytest.mark.parametrize("route", sorted(mx.TABLE))
def test_it_refuses_methods_the_table_does_not_list(matrix: Matrix, db: Any, route: str) -> None:
    first = mx.TABLE[route].expects[0]
    declared = {exp.method for exp in mx.TABLE[route].expects}
    actor = next((a for a in _PREFERRED if a in first.allowed), min(first.allowed))
    for method in sorted({"GET", "POST"} - declared):
        probe = mx.Expect(method, mx.WRONG_METHOD, objects=first.objects, kwargs=first.kwargs)
        obj = mx.OBJECTS[first.objects][0] if first.objects else None
        cell = _request(
            matrix, Client(raise_request_exception=False), route, probe, actor, "A", obj
        )
        assert cell.actual == mx.WRONG_METHOD, str(cell)
