"""The visits API: idempotent create, scoped list and detail, and every refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor
from carecircle.testing.fixtures import AREA_B, make_user
from carecircle.visits.models import Visit, VisitMinor, VisitTask
from carecircle.visits.tests.factories import HouseholdFactory, MinorFactory, seen_on, visit

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
LIST, DETAIL = "api:visit-list", "api:visit-detail"
KEY = "5f0c2a8e-91c4-4a3e-b1f7-0d6f3c2b9a11"
CONFLICT = (
    "This visit was already sent with different details. Compare the two and record the "
    "changes as a new visit if they are needed."
)


@pytest.fixture(autouse=True)
def _english(english: None, settings: Any) -> None:
    """Messages are compared with their msgids, in the test and in the responses."""


@pytest.fixture
def kids(district: Any) -> dict[str, Minor]:
    home = HouseholdFactory.create()
    return {
        "a": MinorFactory.create(name="张一", household=home),
        "a2": MinorFactory.create(name="张二", household=home),
        "b": MinorFactory.create(name="李三", area_code=AREA_B),
    }


def body(*minors: Minor, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "home",
        "occurred_at": (timezone.now() - timedelta(hours=3)).isoformat(),
        "minors": [{"minor": m.pk} for m in minors],
        "observations": {"guardian_present": "ok", "unmet_needs": "concern"},
        "notes": "需要学习用品。",
        "idempotency_key": KEY,
    }
    return {**data, **fields}


def post(client: Client, data: dict[str, Any]) -> Any:
    return client.post(reverse(LIST), json.dumps(data), content_type="application/json")


def test_a_director_records_a_visit_and_gets_it_back_whole(
    client_for: ClientFor, personas: dict[str, User], kids: dict[str, Minor]
) -> None:
    data = body(
        kids["a"],
        kids["a2"],
        follow_up_needed=True,
        visitors=[personas["child_supervisor"].pk],
    )
    data["minors"][1]["risk_flags"] = ["no_parent_contact"]
    response = post(client_for(personas["child_director"]), data)
    assert response.status_code == 201, response.json()
    got = response.json()
    visit = Visit.objects.get()
    assert got["id"] == visit.pk
    assert [m["name"] for m in got["minors"]] == ["张一", "张二"]
    assert got["minors"][1]["risk_flags"] == ["no_parent_contact"]
    assert got["notes"] == "需要学习用品。"
    assert got["observations"]["unmet_needs"] == "concern"
    assert got["observations"]["living_conditions"] == "not_checked"
    assert got["concerns"] == ["unmet_needs"]
    assert [v["id"] for v in got["visitors"]] == [personas["child_supervisor"].pk]
    assert [t["kind"] for t in got["tasks"]] == [VisitTask.Kind.FOLLOW_UP]
    assert got["recorded_by"]["id"] == personas["child_director"].pk


def test_a_retry_answers_200_with_the_same_visit_and_writes_nothing(
    client_for: ClientFor, personas: dict[str, User], kids: dict[str, Minor]
) -> None:
    client = client_for(personas["child_director"])
    data = body(kids["a"])
    first = post(client, data)
    writes = (Visit.objects.count(), VisitMinor.objects.count())
    again = post(client, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert (Visit.objects.count(), VisitMinor.objects.count()) == writes


def test_the_same_key_with_other_details_is_a_409_a_person_can_read(
    client_for: ClientFor, personas: dict[str, User], kids: dict[str, Minor]
) -> None:
    client = client_for(personas["child_director"])
    first = post(client, body(kids["a"]))
    response = post(client, body(kids["a"], notes="改过的记录"))
    assert response.status_code == 409
    assert response.json() == {
        "detail": CONFLICT,
        "code": "conflict",
        "visit": first.json()["id"],
    }
    assert Visit.objects.get().notes == "需要学习用品。"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"idempotency_key": "short"}, "idempotency_key", None),
        ({"idempotency_key": "has spaces in it"}, "idempotency_key", None),
        (
            {"occurred_at": "2099-01-01T10:00:00+08:00"},
            "occurred_at",
            "The visit cannot be in the future.",
        ),
        ({"kind": "party"}, "kind", None),
        ({"minors": []}, "minors", None),
        ({"observations": {"mood": "ok"}}, "observations", None),
        ({"minors": [{"minor": 2**63}]}, "minors", None),
    ],
)
def test_bad_input_is_a_400_by_field_and_writes_nothing(
    client_for: ClientFor,
    personas: dict[str, User],
    kids: dict[str, Minor],
    change: dict[str, Any],
    field: str,
    message: str | None,
) -> None:
    response = post(client_for(personas["child_director"]), body(kids["a"], **change))
    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message:
        assert response.json()[field] == [message]
    assert not Visit.objects.exists()


def test_a_child_out_of_scope_is_a_400_that_reveals_nothing(
    client_for: ClientFor, personas: dict[str, User], kids: dict[str, Minor]
) -> None:
    response = post(client_for(personas["child_director"]), body(kids["b"]))
    assert response.status_code == 400
    assert response.json() == {
        "minors": [f"Child {kids['b'].pk} is not in your area or does not exist."]
    }


def test_anonymous_callers_get_401_and_no_role_or_read_only_roles_403(
    client_for: ClientFor, personas: dict[str, User], kids: dict[str, Minor]
) -> None:
    assert Client().get(reverse(LIST)).status_code == 401
    assert post(Client(), body(kids["a"])).status_code == 401
    nobody = client_for(make_user("nobody"))
    assert nobody.get(reverse(LIST)).status_code == 403
    assert post(nobody, body(kids["a"])).status_code == 403
    counselor = client_for(personas["counselor"])  # reads visits, records none
    assert counselor.get(reverse(LIST)).status_code == 200
    assert post(counselor, body(kids["a"])).status_code == 403
    for role in ("school_admin", "volunteer", "analyst", "auditor", "sysadmin"):
        client = client_for(personas[role])
        assert client.get(reverse(LIST)).status_code == 403, role
        assert post(client, body(kids["a"])).status_code == 403, role
    assert not Visit.objects.exists()


@pytest.fixture
def visits(kids: dict[str, Minor], personas: dict[str, User]) -> dict[str, Visit]:
    today = timezone.localdate()
    made = {
        "a": visit(today - timedelta(days=3), kids["a"], kids["a2"], notes="甲的记录"),
        "b": visit(today - timedelta(days=2), kids["b"], area_code=AREA_B, notes="乙的记录"),
    }
    return made


def test_the_list_holds_only_visits_in_scope_newest_first(
    client_for: ClientFor,
    personas: dict[str, User],
    other_personas: dict[str, User],
    visits: dict[str, Visit],
) -> None:
    mine = client_for(personas["child_director"]).get(reverse(LIST)).json()
    assert [v["id"] for v in mine["results"]] == [visits["a"].pk]
    assert "notes" not in mine["results"][0]
    theirs = client_for(other_personas["child_director"]).get(reverse(LIST)).json()
    assert [v["id"] for v in theirs["results"]] == [visits["b"].pk]
    district = client_for(personas["district_admin"]).get(reverse(LIST)).json()
    assert [v["id"] for v in district["results"]] == [visits["b"].pk, visits["a"].pk]
    listed = AuditEvent.objects.filter(action=AuditEvent.Action.LIST, object_type="visits.visit")
    assert listed.count() == 3


def test_the_list_filters_by_child_and_kind(
    client_for: ClientFor, personas: dict[str, User], visits: dict[str, Visit], kids: Any
) -> None:
    client = client_for(personas["district_admin"])
    by_child = client.get(reverse(LIST), {"minor": kids["b"].pk}).json()
    assert [v["id"] for v in by_child["results"]] == [visits["b"].pk]
    assert client.get(reverse(LIST), {"kind": "phone"}).json()["results"] == []
    assert client.get(reverse(LIST), {"minor": "x"}).status_code == 400


def test_a_list_page_costs_the_same_queries_for_one_visit_or_fifty(
    client_for: ClientFor, personas: dict[str, User], kids: dict[str, Minor]
) -> None:
    client = client_for(personas["child_director"])
    visit(timezone.localdate(), kids["a"])

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(LIST)).status_code == 200
        return len(queries)

    cost()  # the first request of a session also saves it
    one = cost()
    for n in range(60):
        made = visit(timezone.localdate() - timedelta(days=n + 1), kids["a"])
        seen_on(made, kids["a2"])
    assert cost() == one
    page = client.get(reverse(LIST)).json()
    assert len(page["results"]) == 50 and page["next"]


def test_the_detail_is_a_404_out_of_scope_and_an_audited_read_in_scope(
    client_for: ClientFor,
    personas: dict[str, User],
    other_personas: dict[str, User],
    visits: dict[str, Visit],
    kids: dict[str, Minor],
) -> None:
    url = reverse(DETAIL, args=[visits["a"].pk])
    assert client_for(other_personas["child_director"]).get(url).status_code == 404
    assert client_for(other_personas["district_admin"]).get(url).status_code == 404
    assert (
        client_for(personas["child_director"]).get(reverse(DETAIL, args=[99999])).status_code == 404
    )
    assert client_for(personas["school_admin"]).get(url).status_code == 403
    assert Client().get(url).status_code == 401
    response = client_for(personas["child_supervisor"]).get(url)
    assert response.status_code == 200 and response.json()["notes"] == "甲的记录"
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_type="visits.visit")
    assert {(e.actor_id, e.minor_id) for e in reads} == {
        (personas["child_supervisor"].pk, kids["a"].pk),
        (personas["child_supervisor"].pk, kids["a2"].pk),
    }
    denied = AuditEvent.objects.filter(action=AuditEvent.Action.DENIED, object_type="visits.visit")
    assert denied.count() == 3


def test_the_schema_describes_the_visits_api_without_warnings() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned while building the schema"
    validate_schema(schema)
    paths = schema["paths"]
    assert set(paths["/api/v1/visits/"]) == {"get", "post"}
    assert set(paths["/api/v1/visits/{id}/"]) == {"get"}
    assert {"200", "201", "400", "401", "403", "409"} <= set(
        paths["/api/v1/visits/"]["post"]["responses"]
    )
