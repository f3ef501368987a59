"""The cases API: the same scope as the pages, every refusal, audited reads."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from carecircle.audit.models import AuditEvent
from carecircle.cases.models import Case
from carecircle.cases.services import case_open

pytestmark = pytest.mark.django_db
LIST = "/api/v1/cases/"


@pytest.fixture
def case(personas: dict[str, Any], minor_a: Any) -> Case:
    return case_open(
        actor=personas["counselor"],
        minor=minor_a,
        kind="counseling",
        source="walk_in",
        summary="孩子主动来咨询室，说最近睡不好",
        risk="yellow",
    )


def _json(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def test_the_team_and_the_supervisors_read_the_case(client_for, personas, case):
    for role in ("counselor", "center_staff", "district_admin"):
        listed = client_for(personas[role]).get(LIST)
        assert listed.status_code == 200
        assert [row["id"] for row in listed.json()["results"]] == [case.pk]
    detail = client_for(personas["counselor"]).get(f"{LIST}{case.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["summary"] == "孩子主动来咨询室，说最近睡不好"
    assert [m["user"] for m in body["team"]] == [personas["counselor"].pk]
    assert AuditEvent.objects.filter(
        object_type="cases.case", action="view", minor_id=case.minor_id
    ).exists()


def test_others_get_nothing(client_for, personas, other_personas, case, client):
    # A social worker of the same district, not on the team: the list is empty and the
    # case is a 404; another county's supervisor the same.
    for user in (personas["social_worker"], other_personas["center_staff"]):
        api = client_for(user)
        assert api.get(LIST).json()["results"] == []
        assert api.get(f"{LIST}{case.pk}/").status_code == 404
    # Roles that reach no case at all: 403; anonymous: 401.
    assert client_for(personas["child_director"]).get(LIST).status_code == 403
    assert client_for(personas["analyst"]).get(f"{LIST}{case.pk}/").status_code == 403
    assert client.get(LIST).status_code == 401
    assert client_for(personas["counselor"]).delete(f"{LIST}{case.pk}/").status_code == 405


def test_a_case_is_opened_for_a_child_the_caller_reads(client_for, personas, minor_a, english):
    api = client_for(personas["social_worker"])
    body = {
        "minor": minor_a.pk,
        "kind": "family_education",
        "source": "walk_in",
        "summary": "家访发现监护人不会辅导作业，亲子冲突多",
        "risk": "green",
    }
    made = _json(api, LIST, body)
    assert made.status_code == 201
    case = Case.objects.get(pk=made.json()["id"])
    assert case.members.get().user == personas["social_worker"]
    # The same child and kind again: refused, nothing added.
    again = _json(api, LIST, body)
    assert again.status_code == 400
    assert Case.objects.count() == 1


def test_opening_is_refused_clearly(client_for, personas, other_personas, minor_a, english):
    body = {"minor": minor_a.pk, "kind": "counseling", "source": "walk_in",
            "summary": "孩子情绪低落", "risk": "green"}  # fmt: skip
    # A role that opens no case.
    assert _json(client_for(personas["hotline_operator"]), LIST, body).status_code == 403
    # A child out of the caller's reach: a 400 naming the field, no hint it exists.
    refused = _json(client_for(other_personas["counselor"]), LIST, body)
    assert refused.status_code == 400
    assert refused.json() == {"minor": ["Choose a child you may read."]}
    # Bad values.
    bad = _json(client_for(personas["counselor"]), LIST, {**body, "risk": "purple"})
    assert bad.status_code == 400 and "risk" in bad.json()
    assert not Case.objects.exists()


def test_a_case_from_a_report_names_it_and_needs_to_read_it(client_for, personas, minor_a):
    from carecircle.tips.models import TipMinor
    from carecircle.tips.tests.factories import tip

    report = tip()
    TipMinor.objects.create(tip=report, minor=minor_a, linked_by=personas["center_staff"])
    body = {"minor": minor_a.pk, "kind": "legal_aid", "source": "tip", "source_tip": report.pk,
            "summary": "举报反映孩子被殴打，需法律援助", "risk": "red"}  # fmt: skip
    # The counselor does not read the report: the same refusal as for no report at all.
    refused = _json(client_for(personas["counselor"]), LIST, body)
    missing = _json(client_for(personas["counselor"]), LIST, {**body, "source_tip": 999999})
    assert refused.status_code == missing.status_code == 400
    assert refused.json() == missing.json()
    made = _json(client_for(personas["center_staff"]), LIST, body)
    assert made.status_code == 201 and made.json()["source_tip"] == report.pk


def test_the_list_filters_by_status_risk_and_owner(client_for, personas, minor_a, minor_b, case):
    from carecircle.cases.services import case_add_member

    mine = case_open(
        actor=personas["social_worker"],
        minor=minor_b,
        kind="welfare",
        source="walk_in",
        summary="家中经济困难，需要救助",
        risk="green",
    )
    case_add_member(actor=personas["social_worker"], case=mine, user=personas["counselor"])
    api = client_for(personas["counselor"])
    assert {r["id"] for r in api.get(LIST).json()["results"]} == {case.pk, mine.pk}
    assert [r["id"] for r in api.get(LIST, {"owner": "me"}).json()["results"]] == [case.pk]
    assert [r["id"] for r in api.get(LIST, {"risk": "green"}).json()["results"]] == [mine.pk]
    assert api.get(LIST, {"status": "closed"}).json()["results"] == []
    assert api.get(LIST, {"owner": "someone"}).status_code == 400


# --- Sessions -------------------------------------------------------------------------

SESSIONS = "/api/v1/sessions/"
NOTES = "孩子说最近和同学有矛盾，晚上睡不好"


@pytest.fixture
def session(personas: dict[str, Any], case: Case) -> Any:
    from django.utils import timezone

    from carecircle.cases.sessions import session_record

    return session_record(
        actor=personas["counselor"],
        case=case,
        kind="individual",
        held_at=timezone.now(),
        duration_minutes=45,
        counselor=personas["counselor"],
        mode="in_person",
        notes=NOTES,
    )


def test_the_team_and_the_supervisors_read_sessions_with_their_notes(
    client_for, personas, case, session
):
    for role in ("counselor", "center_staff", "district_admin"):
        api = client_for(personas[role])
        [row] = api.get(SESSIONS).json()["results"]
        assert row["id"] == session.pk and row["case"] == case.pk
        assert row["notes"] == NOTES
        assert row["minors"] == [case.minor_id]
        assert row["counselor_name"] == personas["counselor"].display_name
        one = api.get(f"{SESSIONS}{session.pk}/")
        assert one.status_code == 200 and one.json()["notes"] == NOTES
    assert AuditEvent.objects.filter(
        object_type="cases.session", action="view", minor_id=case.minor_id
    ).exists()
    assert AuditEvent.objects.filter(object_type="cases.session", action="list").exists()


def test_sessions_are_refused_outside_the_cases_one_reads(
    client_for, personas, other_personas, session, client
):
    for user in (personas["social_worker"], other_personas["center_staff"]):
        api = client_for(user)
        assert api.get(SESSIONS).json()["results"] == []
        assert api.get(f"{SESSIONS}{session.pk}/").status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DENIED, object_type="cases.session"
    ).exists()
    assert client_for(personas["child_director"]).get(SESSIONS).status_code == 403
    assert client_for(personas["auditor"]).get(f"{SESSIONS}{session.pk}/").status_code == 403
    assert client.get(SESSIONS).status_code == 401
    counselor = client_for(personas["counselor"])
    assert counselor.get(f"{SESSIONS}99999999/").status_code == 404
    assert counselor.post(SESSIONS, {}, content_type="application/json").status_code == 405


def test_notes_are_null_for_a_reader_who_may_not_read_them(
    client_for, personas, session, monkeypatch
):
    from carecircle.cases import api

    monkeypatch.setattr(api, "_notes_cases", lambda user, sessions: set())
    reader = client_for(personas["center_staff"])
    [row] = reader.get(SESSIONS).json()["results"]
    assert row["notes"] is None and row["other_attendees"] is None
    assert NOTES not in reader.get(f"{SESSIONS}{session.pk}/").content.decode()


def test_sessions_filter_by_case_room_and_days(client_for, personas, case, session, english):
    from datetime import timedelta

    from django.utils import timezone

    api = client_for(personas["counselor"])
    today = timezone.localdate()

    def ids(**query: Any) -> list[int]:
        answer = api.get(SESSIONS, query)
        assert answer.status_code == 200, answer.content
        return [row["id"] for row in answer.json()["results"]]

    assert ids(case=case.pk) == [session.pk]
    assert ids(case=case.pk + 1) == []
    assert ids(room=1) == []
    assert ids(**{"from": today.isoformat(), "to": today.isoformat()}) == [session.pk]
    assert ids(**{"from": (today + timedelta(days=1)).isoformat()}) == []
    assert ids(to=(today - timedelta(days=1)).isoformat()) == []
    bad = api.get(SESSIONS, {"from": today.isoformat(), "to": (today - timedelta(days=2))})
    assert bad.status_code == 400 and bad.json() == {"to": ["This day must not come before from."]}
    assert api.get(SESSIONS, {"case": "x"}).status_code == 400
    assert api.get(SESSIONS, {"room": str(2**64)}).status_code == 400


def test_the_schema_describes_the_sessions_api() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    listed = schema["paths"]["/api/v1/sessions/"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {"case", "room", "from", "to"}
    assert "/api/v1/sessions/{id}/" in schema["paths"]
    notes = schema["components"]["schemas"]["Session"]["properties"]["notes"]
    assert notes.get("nullable") is True
