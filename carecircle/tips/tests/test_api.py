"""The tips API: 12345 tickets in (idempotent), tips in scope out, a receipt's status."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.accounts.services import api_token_create
from carecircle.audit.models import AuditEvent
from carecircle.tips import receipts
from carecircle.tips.models import Channel, Tip, TipEvent
from carecircle.tips.tests.factories import received, tip

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
LIST, STATUS = reverse("api:tip-list"), reverse("api:tip-status")


def detail(pk: int) -> str:
    return reverse("api:tip-detail", args=[pk])


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def token_for(user: User) -> dict[str, str]:
    _token, secret = api_token_create(user=user, name="12345")
    return {"Authorization": f"Token {secret}"}


def ticket(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_number": "GD20261207000042",
        "request_type": "help",
        "category": "unattended",
        "area_code": "431103101200",
        "description": "来电反映村里有个孩子长期一个人住，父母在外打工。",
        "reporter_name": "刘先生",
        "reporter_contact": "13900000000",
        "handoffs": {"transferred_from": ["12355"]},
    }
    data.update(fields)
    return data


def post(data: Any, headers: dict[str, str], url: str = LIST) -> Any:
    body = data if isinstance(data, str) else json.dumps(data)
    return Client().post(url, body, content_type="application/json", headers=headers)


# --- POST tips/ ---------------------------------------------------------------------------


def test_the_12345_system_pushes_a_ticket(personas: Any) -> None:
    operator = personas["hotline_operator"]
    response = post(ticket(), token_for(operator))
    assert response.status_code == 201, response.json()
    made = Tip.objects.get()
    got = response.json()
    assert got["id"] == made.pk and got["number"] == made.number
    assert made.channel == Channel.HOTLINE and made.entered_by == operator
    first = made.events.get(kind=TipEvent.Kind.RECEIVED)
    assert first.details["handoffs"] == {"transferred_from": ["12355"]}
    # The operator entered it but does not handle it: no reporter identity back.
    assert got["reporter"] is None


def test_a_replay_returns_the_same_tip_and_changes_nothing(personas: Any) -> None:
    headers = token_for(personas["hotline_operator"])
    first = post(ticket(), headers).json()
    events = TipEvent.objects.count()
    again = post(ticket(), headers)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert Tip.objects.count() == 1 and TipEvent.objects.count() == events


def test_the_same_number_with_other_content_is_a_conflict(personas: Any) -> None:
    headers = token_for(personas["hotline_operator"])
    first = post(ticket(), headers).json()
    response = post(ticket(description="完全不同的内容"), headers)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict" and response.json()["tip"] == first["id"]
    assert Tip.objects.count() == 1


def test_the_desk_replaying_a_ticket_gets_the_tip(personas: Any) -> None:
    first = post(ticket(), token_for(personas["hotline_operator"])).json()
    # The district administrator is the desk over the village: it reads the tip.
    response = post(ticket(), token_for(personas["district_admin"]))
    assert response.status_code == 200 and response.json()["id"] == first["id"]


def test_a_number_entered_by_someone_else_names_no_tip(personas: Any, district: Any) -> None:
    from carecircle.testing.fixtures import grant, make_user

    post(ticket(), token_for(personas["hotline_operator"]))
    colleague = make_user("operator2")
    grant(colleague, "hotline_operator", prefix="431103")
    response = post(ticket(), token_for(colleague))
    assert response.status_code == 409 and response.json()["tip"] is None
    assert Tip.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"external_number": ""}, "external_number"),
        ({"external_number": "有空格 1"}, "external_number"),
        ({"category": "gossip"}, "category"),
        ({"urgency": 7}, "urgency"),
        ({"area_code": "4311"}, "area_code"),
        ({"area_code": "abc"}, "area_code"),
        ({"area_code": "431102001001"}, "area_code"),  # the other county
        ({"area_code": "431103109000"}, "area_code"),  # no such township on record
        ({"description": ""}, "description"),
        ({"description": "x" * 5000}, "description"),
        ({"anonymous": True}, "anonymous"),  # with a name and a phone
        ({"occurred_on": "2999-01-01"}, "occurred_on"),
        ({"occurred_on": "yesterday"}, "occurred_on"),
        ({"handoffs": {"transferred_to": ["999"]}}, "handoffs"),
    ],
)
def test_it_refuses_bad_fields_one_by_one(
    personas: Any, change: dict[str, Any], field: str
) -> None:
    response = post(ticket(**change), token_for(personas["hotline_operator"]))
    assert response.status_code == 400
    assert field in response.json()
    assert not Tip.objects.exists()


def test_it_refuses_bad_json(personas: Any) -> None:
    response = post("{not json", token_for(personas["hotline_operator"]))
    assert response.status_code == 400
    assert not Tip.objects.exists()


def test_it_refuses_a_form_body(personas: Any) -> None:
    response = Client().post(LIST, ticket(), headers=token_for(personas["hotline_operator"]))
    assert response.status_code == 415


def test_no_token_is_401(db: None) -> None:
    response = post(ticket(), {})
    assert response.status_code == 401
    assert Client().get(LIST).status_code == 401


@pytest.mark.parametrize("role", ["child_director", "school_admin", "volunteer", "analyst"])
def test_other_roles_may_not_push_tickets(personas: Any, role: str) -> None:
    assert post(ticket(), token_for(personas[role])).status_code == 403
    assert not Tip.objects.exists()


def test_wrong_methods_are_405(personas: Any) -> None:
    headers = token_for(personas["hotline_operator"])
    assert (
        Client().put(LIST, "{}", content_type="application/json", headers=headers).status_code
        == 405
    )
    made = tip()
    assert Client().delete(detail(made.pk), headers=headers).status_code == 405
    assert Client().get(STATUS).status_code == 405


# --- GET tips/ and tips/<pk>/ ------------------------------------------------------------


def test_the_list_holds_only_tips_in_scope_without_content(
    personas: Any, other_personas: Any
) -> None:
    mine = tip()
    tip(area_code="431102001001")
    response = Client().get(LIST, headers=token_for(personas["center_staff"]))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert "description" not in rows[0] and "reporter" not in rows[0]


def test_the_list_filters_by_ticket_number(personas: Any) -> None:
    headers = token_for(personas["hotline_operator"])
    post(ticket(), headers)
    post(ticket(external_number="GD2"), headers)
    rows = Client().get(LIST, {"external_number": "GD2"}, headers=headers).json()["results"]
    assert [r["external_number"] for r in rows] == ["GD2"]
    assert Client().get(LIST, {"status": "nonsense"}, headers=headers).status_code == 400


def test_the_desk_reads_a_tip_with_its_reporter(personas: Any) -> None:
    made = tip(reporter_name="赵女士", reporter_contact="13700000000")
    response = Client().get(detail(made.pk), headers=token_for(personas["center_staff"]))
    assert response.status_code == 200
    assert response.json()["reporter"]["name"] == "赵女士"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_type="tips.tip", object_id=str(made.pk)
    ).exists()


def test_an_operator_reads_their_ticket_without_the_reporter(personas: Any) -> None:
    headers = token_for(personas["hotline_operator"])
    pk = post(ticket(), headers).json()["id"]
    got = Client().get(detail(pk), headers=headers).json()
    assert got["description"].startswith("来电反映") and got["reporter"] is None


def test_a_tip_out_of_scope_is_404(personas: Any, other_personas: Any) -> None:
    made = tip()
    assert (
        Client().get(detail(made.pk), headers=token_for(other_personas["center_staff"])).status_code
        == 404
    )
    # An operator does not read tips they did not enter.
    assert (
        Client().get(detail(made.pk), headers=token_for(personas["hotline_operator"])).status_code
        == 404
    )
    assert (
        Client().get(detail(10**20), headers=token_for(personas["center_staff"])).status_code == 404
    )


@pytest.mark.parametrize("role", ["analyst", "auditor", "sysadmin"])
def test_roles_that_reach_no_tip_get_403(personas: Any, role: str) -> None:
    made = tip()
    headers = token_for(personas[role])
    assert Client().get(LIST, headers=headers).status_code == 403
    assert Client().get(detail(made.pk), headers=headers).status_code == 403


# --- POST tips/status/ ---------------------------------------------------------------------


def test_a_reporter_reads_the_status_by_receipt(db: None, settings: Any) -> None:
    got = received()
    assert got.receipt
    response = post({"receipt": receipts.display(got.receipt)}, {}, STATUS)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "received" and body["closed"] is False
    assert [step["kind"] for step in body["history"]] == ["received"]
    assert "id" not in body and "number" not in body
    assert response["Cache-Control"] == "no-store"


def test_unknown_codes_are_throttled_after_five(db: None) -> None:
    got = received()
    for _attempt in range(5):
        assert post({"receipt": "1234 5678 9012 3456"}, {}, STATUS).status_code == 404
    # Past the limit even the right code is not looked up.
    assert post({"receipt": got.receipt}, {}, STATUS).status_code == 429


def test_the_status_lookup_keeps_no_address(db: None) -> None:
    from carecircle.tips.models import ThrottleHit

    post(
        {"receipt": "1234 5678 9012 3456"},
        {},
        STATUS,
    )
    assert ThrottleHit.objects.count() == 1
    assert "127.0.0.1" not in ThrottleHit.objects.get().key
    assert not AuditEvent.objects.filter(ip="127.0.0.1").exists()


def test_the_status_lookup_refuses_bad_bodies(db: None) -> None:
    assert post("{oops", {}, STATUS).status_code == 400
    assert post({}, {}, STATUS).status_code == 400
    assert post({"receipt": "x" * 100}, {}, STATUS).status_code == 400


def test_the_schema_describes_the_tips_api_without_warnings() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned while building the schema"
    validate_schema(schema)
    paths = schema["paths"]
    assert set(paths["/api/v1/tips/"]) == {"get", "post"}
    assert set(paths["/api/v1/tips/{id}/"]) == {"get"}
    assert set(paths["/api/v1/tips/status/"]) == {"post"}
    assert {"200", "201", "400", "401", "403", "409"} <= set(
        paths["/api/v1/tips/"]["post"]["responses"]
    )
