"""The referral pages: the Refer form of a case, the referral page for both sides,
the inbox and the outbox, and each step's refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from carecircle.audit.models import AuditEvent
from carecircle.cases.models import Referral
from carecircle.cases.referrals import services
from carecircle.cases.referrals.tests.conftest import send

pytestmark = pytest.mark.django_db


def refer_body(organisation: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "to_organisation": organisation.pk,
        "reason": "孩子情绪持续低落，请评估并给出处置意见",
        "shared_items": ["name", "risk"],
        "basis": "vital_interest",
    }
    body.update(fields)
    return body


def test_the_case_page_offers_refer_and_lists_the_referrals(client_for, personas, referral):
    page = client_for(personas["counselor"]).get(reverse("cases:detail", args=[referral.case_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("referrals:new", args=[referral.case_id]) in html
    assert 'data-testid="refer-link"' in html
    assert referral.number in html and "Awaiting acceptance" in html


def test_the_counselor_refers_the_child_to_the_hospital(client_for, personas, case, hospital):
    client = client_for(personas["counselor"])
    url = reverse("referrals:new", args=[case.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, refer_body(hospital))
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert (referral.basis, referral.shared_items) == ("vital_interest", ["name", "risk"])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"basis": "guardian_consent"}, "Say which guardian consented."),
        ({"shared_items": ["name", "case_facts"]}, "may not receive"),
        ({"basis": "override", "override_reason": "监护人失联很久了"}, "override consent"),
        ({"reason": ""}, "This field is required."),
    ],
)
def test_bad_referrals_are_refused_with_a_message(
    client_for, personas, case, hospital, fields, message
):
    response = client_for(personas["counselor"]).post(
        reverse("referrals:new", args=[case.pk]), refer_body(hospital, **fields)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Referral.objects.exists()


def test_a_duplicate_is_refused_on_the_page(client_for, personas, referral, hospital):
    response = client_for(personas["counselor"]).post(
        reverse("referrals:new", args=[referral.case_id]), refer_body(hospital)
    )
    assert response.status_code == 400
    assert "already has a live referral" in response.content.decode()
    assert Referral.objects.count() == 1


def test_the_refer_form_refuses_who_cannot_send(client_for, personas, other_personas, case):
    url = reverse("referrals:new", args=[case.pk])
    assert client_for(personas["hospital_clinician"]).get(url).status_code == 403
    assert client_for(other_personas["counselor"]).get(url).status_code == 404
    case.status = "closed"
    case.save(update_fields=["status"])
    assert client_for(personas["counselor"]).get(url).status_code == 403


def test_the_receiver_reads_the_referral_but_never_the_child(
    client_for, personas, referral, minor_a
):
    client = client_for(personas["hospital_clinician"])
    page = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert minor_a.name in html  # the snapshot
    assert 'id="referral-accept-submit"' in html
    assert reverse("cases:detail", args=[referral.case_id]) not in html
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_type="cases.referral", minor_id=minor_a.pk
    ).exists()
    assert client.get(reverse("people:minor-detail", args=[minor_a.pk])).status_code == 404
    assert client.get(reverse("cases:detail", args=[referral.case_id])).status_code == 403


def test_a_referral_out_of_scope_is_a_404_recorded(client_for, personas, other_personas, referral):
    url = reverse("referrals:detail", args=[referral.pk])
    for user in (other_personas["hospital_clinician"], personas["agency_officer"]):
        assert client_for(user).get(url).status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DENIED, object_type="cases.referral"
    ).exists()
    assert client_for(personas["auditor"]).get(url).status_code == 403


def test_the_whole_loop_through_the_pages(client_for, personas, referral):
    clinician = client_for(personas["hospital_clinician"])
    inbox = clinician.get(reverse("referrals:inbox"))
    assert f'data-testid="referral-row-{referral.pk}"' in inbox.content.decode()
    assert clinician.post(reverse("referrals:accept", args=[referral.pk])).status_code == 302
    page = clinician.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert 'id="id_feedback_diagnosis"' in page
    response = clinician.post(
        reverse("referrals:feedback", args=[referral.pk]),
        {"feedback": "门诊评估后药物治疗", "diagnosis": "抑郁发作"},
    )
    assert response.status_code == 302
    counselor = client_for(personas["counselor"])
    page = counselor.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert 'data-status="accepted"' in page and "抑郁发作" in page
    assert 'id="referral-close-submit"' in page
    assert counselor.post(reverse("referrals:close", args=[referral.pk])).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "closed"


def test_each_step_refuses_the_wrong_side_and_the_wrong_state(
    client_for, personas, other_personas, referral
):
    counselor = client_for(personas["counselor"])
    clinician = client_for(personas["hospital_clinician"])
    accept = reverse("referrals:accept", args=[referral.pk])
    assert counselor.post(accept).status_code == 403  # the sender does not answer
    assert client_for(personas["social_worker"]).post(accept).status_code == 403
    assert client_for(other_personas["hospital_clinician"]).post(accept).status_code == 404
    withdraw = reverse("referrals:withdraw", args=[referral.pk])
    assert clinician.post(withdraw).status_code == 403
    decline = reverse("referrals:decline", args=[referral.pk])
    assert clinician.post(decline, {"reason": ""}).status_code == 400
    feedback = reverse("referrals:feedback", args=[referral.pk])
    response = clinician.post(feedback, {"feedback": "门诊评估后药物治疗"})
    assert response.status_code == 400
    assert "Feedback is given on an accepted referral." in response.content.decode()
    assert clinician.get(accept).status_code == 405
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_a_non_hospital_cannot_record_a_diagnosis_on_the_page(client_for, personas, case, police):
    referral = send(
        personas["counselor"], case, police, shared_items=["name"], basis="statutory_duty"
    )
    officer = client_for(personas["agency_officer"])
    officer.post(reverse("referrals:accept", args=[referral.pk]))
    page = officer.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "id_feedback_diagnosis" not in page
    response = officer.post(
        reverse("referrals:feedback", args=[referral.pk]),
        {"feedback": "已立案调查", "diagnosis": "抑郁症"},
    )
    assert response.status_code == 400
    assert "Only a hospital records a diagnosis." in response.content.decode()
    referral.refresh_from_db()
    assert referral.feedback == ""


def test_the_inbox_filters_and_marks_the_overdue(client_for, personas, referral, case, police):
    other = send(personas["counselor"], case, police, shared_items=["name"], basis="statutory_duty")
    Referral.objects.filter(pk=referral.pk).update(
        accept_due_at=timezone.now() - timedelta(hours=1)
    )
    clinician = client_for(personas["hospital_clinician"])
    html = clinician.get(reverse("referrals:inbox")).content.decode()
    assert "table-danger" in html and referral.number in html and other.number not in html
    services.referral_accept(actor=personas["hospital_clinician"], referral=referral)
    sent = clinician.get(reverse("referrals:inbox"), {"status": "sent"}).content.decode()
    assert referral.number not in sent
    accepted = clinician.get(reverse("referrals:inbox"), {"status": "accepted"}).content.decode()
    assert referral.number in accepted


def test_the_inbox_and_outbox_refuse_the_other_side(client_for, personas, referral):
    assert client_for(personas["counselor"]).get(reverse("referrals:inbox")).status_code == 403
    outbox = client_for(personas["counselor"]).get(reverse("referrals:outbox"))
    assert referral.number in outbox.content.decode()
    assert (
        client_for(personas["hospital_clinician"]).get(reverse("referrals:outbox")).status_code
        == 403
    )
    for role in ("auditor", "volunteer"):
        assert client_for(personas[role]).get(reverse("referrals:inbox")).status_code == 403


def test_the_menu_offers_referrals(client_for, personas):
    home = reverse("accounts:home")
    urls = {
        i["url"] for i in client_for(personas["hospital_clinician"]).get(home).context["nav_items"]
    }
    assert reverse("referrals:inbox") in urls
    urls = {i["url"] for i in client_for(personas["counselor"]).get(home).context["nav_items"]}
    assert reverse("referrals:outbox") in urls
    urls = {i["url"] for i in client_for(personas["auditor"]).get(home).context["nav_items"]}
    assert not {reverse("referrals:inbox"), reverse("referrals:outbox")} & urls
