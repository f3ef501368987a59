"""The referrals API: each side lists and reads what it may, filtered; out of scope
is a 404 and a role that reaches no referral a 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from carecircle.cases.referrals.tests.conftest import send

pytestmark = pytest.mark.django_db


def test_both_sides_list_the_referral(client_for, personas, referral):
    for role, direction in (("counselor", "sent"), ("hospital_clinician", "received")):
        client = client_for(personas[role])
        rows = client.get(reverse("api:referral-list")).json()["results"]
        assert [r["number"] for r in rows] == [referral.number]
        same = client.get(reverse("api:referral-list"), {"direction": direction}).json()
        assert len(same["results"]) == 1
    received = client_for(personas["counselor"]).get(
        reverse("api:referral-list"), {"direction": "received"}
    )
    assert received.json()["results"] == []


def test_the_list_filters_by_status(client_for, personas, referral, case, police):
    send(personas["counselor"], case, police, shared_items=["name"], basis="statutory_duty")
    client = client_for(personas["counselor"])
    assert len(client.get(reverse("api:referral-list")).json()["results"]) == 2
    sent = client.get(reverse("api:referral-list"), {"status": "accepted"}).json()
    assert sent["results"] == []
    assert client.get(reverse("api:referral-list"), {"status": "nope"}).status_code == 400


def test_the_detail_shows_the_snapshot_and_refuses_out_of_scope(
    client_for, personas, other_personas, referral, minor_a
):
    url = reverse("api:referral-detail", args=[referral.pk])
    body = client_for(personas["hospital_clinician"]).get(url).json()
    assert body["number"] == referral.number
    assert {row["item"] for row in body["shared"]} == {"name", "risk"}
    assert [e["kind"] for e in body["events"]] == ["sent"]
    assert "minor" not in body
    assert client_for(other_personas["hospital_clinician"]).get(url).status_code == 404
    assert client_for(other_personas["counselor"]).get(url).status_code == 404
    assert client_for(personas["analyst"]).get(url).status_code == 403
    assert client_for(personas["auditor"]).get(reverse("api:referral-list")).status_code == 403


def test_the_receiver_answers_through_the_api(client_for, personas, referral):
    client = client_for(personas["hospital_clinician"])
    accepted = client.post(reverse("api:referral-accept", args=[referral.pk]))
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    again = client.post(reverse("api:referral-accept", args=[referral.pk]))
    assert again.status_code == 400
    feedback = client.post(
        reverse("api:referral-feedback", args=[referral.pk]),
        {"feedback": "门诊评估后药物治疗", "diagnosis": "抑郁发作"},
        content_type="application/json",
    )
    assert feedback.status_code == 200 and feedback.json()["diagnosis"] == "抑郁发作"


def test_the_api_refuses_the_wrong_side_state_and_input(
    client_for, personas, other_personas, referral, case, police
):
    accept = reverse("api:referral-accept", args=[referral.pk])
    assert client_for(personas["counselor"]).post(accept).status_code == 403
    assert client_for(other_personas["hospital_clinician"]).post(accept).status_code == 404
    assert client_for(personas["agency_officer"]).post(accept).status_code == 404
    clinician = client_for(personas["hospital_clinician"])
    decline = reverse("api:referral-decline", args=[referral.pk])
    empty = clinician.post(decline, {"reason": ""}, content_type="application/json")
    assert empty.status_code == 400
    early = clinician.post(
        reverse("api:referral-feedback", args=[referral.pk]),
        {"feedback": "门诊评估后药物治疗"},
        content_type="application/json",
    )
    assert early.status_code == 400
    to_police = send(
        personas["counselor"], case, police, shared_items=["name"], basis="statutory_duty"
    )
    officer = client_for(personas["agency_officer"])
    assert officer.post(reverse("api:referral-accept", args=[to_police.pk])).status_code == 200
    diagnosis = officer.post(
        reverse("api:referral-feedback", args=[to_police.pk]),
        {"feedback": "已立案调查", "diagnosis": "抑郁症"},
        content_type="application/json",
    )
    assert diagnosis.status_code == 400
    assert "diagnosis" in diagnosis.json()
    referral.refresh_from_db()
    assert referral.status == "sent"
