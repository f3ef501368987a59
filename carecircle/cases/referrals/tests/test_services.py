"""Sending a referral: the items each receiver may have, the legal basis, one live
referral per organisation; answering it: each step by its side, in its state."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecircle.cases.models import Case, Referral, ReferralEvent
from carecircle.cases.referrals import services
from carecircle.cases.referrals.sharing import SHAREABLE, refused_items
from carecircle.cases.referrals.tests.conftest import send
from carecircle.notifications.models import OutboxMessage
from carecircle.people.models import Guardian, Minor

pytestmark = pytest.mark.django_db


def messages_of(exc: Any) -> str:
    return " ".join(exc.value.messages)


# --- What may be shared ---------------------------------------------------------------


def test_each_kind_of_receiver_gets_only_its_items() -> None:
    assert "assessment" in SHAREABLE["hospital"]
    assert "case_facts" in SHAREABLE["police"] and "assessment" not in SHAREABLE["police"]
    assert set(SHAREABLE["school"]) == {"name", "school_class"}
    assert refused_items("school", ["name", "guardian_contact", "risk"]) == [
        "guardian_contact",
        "risk",
    ]


def test_an_item_the_receiver_may_not_have_is_refused(personas, case, school) -> None:
    with pytest.raises(ValidationError) as exc:
        send(
            personas["counselor"],
            case,
            school,
            shared_items=["name", "risk"],
            basis="guardian_consent",
            consent_by="母亲",
            consent_on=timezone.localdate(),
        )
    assert "School may not receive: Current risk level." in messages_of(exc)
    assert not Referral.objects.exists()


def test_nothing_ticked_is_refused(personas, case, hospital) -> None:
    with pytest.raises(ValidationError):
        send(personas["counselor"], case, hospital, shared_items=[])


def test_the_snapshot_holds_the_ticked_items_as_they_were(
    personas, case, hospital, minor_a
) -> None:
    Guardian.objects.create(minor=minor_a, relation="mother", name="王芳", phone="13900000000")
    referral = send(
        personas["counselor"], case, hospital, shared_items=["name", "guardian_contact", "risk"]
    )
    rows = dict(json.loads(referral.shared))
    assert rows["name"] == minor_a.name
    assert "13900000000" in rows["guardian_contact"]
    assert set(rows) == {"name", "guardian_contact", "risk"}
    Minor.objects.filter(pk=minor_a.pk).update(name="改名")
    referral.refresh_from_db()
    assert dict(json.loads(referral.shared))["name"] == minor_a.name


def test_an_organisation_that_takes_no_referrals_is_refused(personas, case, district) -> None:
    from carecircle.accounts.models import Organisation

    bureau = Organisation.objects.create(
        name="民政局", kind="civil_affairs", division=district["orgs"]["school_A"].division
    )
    with pytest.raises(ValidationError):
        send(personas["counselor"], case, bureau)


# --- The legal basis ------------------------------------------------------------------


def test_guardian_consent_needs_who_and_a_date_not_in_the_future(personas, case, school) -> None:
    counselor = personas["counselor"]
    base = {"shared_items": ["name"], "basis": "guardian_consent"}
    with pytest.raises(ValidationError) as exc:
        send(counselor, case, school, **base)
    assert set(exc.value.message_dict) == {"consent_by", "consent_on"}
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        send(counselor, case, school, consent_by="母亲", consent_on=tomorrow, **base)
    assert "The consent cannot be dated in the future." in messages_of(exc)
    referral = send(
        counselor, case, school, consent_by="母亲 王芳", consent_on=timezone.localdate(), **base
    )
    assert referral.consent_by == "母亲 王芳"


def test_the_child_consents_alone_only_from_14(personas, case, school, minor_a) -> None:
    counselor = personas["counselor"]
    with pytest.raises(ValidationError) as exc:
        send(counselor, case, school, shared_items=["name"], basis="child_consent")
    assert "A child under 14 cannot consent alone" in messages_of(exc)
    today = timezone.localdate()
    Minor.objects.filter(pk=minor_a.pk).update(birth_date=date(today.year - 14, 1, 1))
    fresh = Case.objects.get(pk=case.pk)
    assert send(counselor, fresh, school, shared_items=["name"], basis="child_consent").pk


def test_a_statutory_duty_covers_police_and_crises_only(personas, case, police, school) -> None:
    counselor = personas["counselor"]
    with pytest.raises(ValidationError):
        send(counselor, case, school, shared_items=["name"], basis="statutory_duty")
    assert send(counselor, case, police, shared_items=["name"], basis="statutory_duty").pk
    Case.objects.filter(pk=case.pk).update(risk="red_critical")
    crisis = Case.objects.get(pk=case.pk)
    assert send(counselor, crisis, school, shared_items=["name"], basis="statutory_duty").pk


def test_a_vital_interest_covers_a_hospital_or_a_crisis(personas, case, police, hospital) -> None:
    counselor = personas["counselor"]
    with pytest.raises(ValidationError):
        send(counselor, case, police, shared_items=["name"], basis="vital_interest")
    assert send(counselor, case, hospital, basis="vital_interest").pk
    Case.objects.filter(pk=case.pk).update(risk="red_critical")
    crisis = Case.objects.get(pk=case.pk)
    assert send(counselor, crisis, police, shared_items=["name"], basis="vital_interest").pk


def test_an_override_needs_the_permission_and_a_reason(personas, case, school) -> None:
    base = {"shared_items": ["name"], "basis": "override"}
    with pytest.raises(PermissionDenied):
        send(personas["counselor"], case, school, override_reason="监护人失联，情况紧急", **base)
    with pytest.raises(ValidationError) as exc:
        send(personas["center_staff"], case, school, override_reason="", **base)
    assert "override_reason" in exc.value.message_dict
    referral = send(
        personas["center_staff"], case, school, override_reason="监护人失联，情况紧急", **base
    )
    assert referral.override_reason == "监护人失联，情况紧急"


def test_no_basis_is_refused(personas, case, hospital) -> None:
    with pytest.raises(ValidationError) as exc:
        send(personas["counselor"], case, hospital, basis="")
    assert "Record the legal basis of the referral." in messages_of(exc)


# --- Who sends, and once --------------------------------------------------------------


def test_only_who_works_an_open_case_sends(personas, other_personas, case, hospital) -> None:
    with pytest.raises(PermissionDenied):
        send(other_personas["counselor"], case, hospital)
    with pytest.raises(PermissionDenied):
        send(personas["social_worker"], case, hospital)
    Case.objects.filter(pk=case.pk).update(status="closed")
    with pytest.raises(ValidationError):
        send(personas["counselor"], case, hospital)


def test_a_second_live_referral_to_the_same_organisation_is_refused(
    personas, referral, case, hospital
) -> None:
    with pytest.raises(ValidationError) as exc:
        send(personas["counselor"], case, hospital)
    assert "already has a live referral to that organisation" in messages_of(exc)
    services.referral_withdraw(actor=personas["counselor"], referral=referral)
    assert send(personas["counselor"], case, hospital).pk != referral.pk


def test_sending_sets_the_clock_writes_a_step_and_tells_the_receiver(
    personas, referral, minor_a, settings
) -> None:
    assert referral.accept_due_at == referral.sent_at + timedelta(
        hours=settings.CARECIRCLE_REFERRAL_ACCEPT_HOURS
    )
    assert list(referral.events.values_list("kind", flat=True)) == ["sent"]
    message = OutboxMessage.objects.filter(topic="notify").order_by("-pk").first()
    assert message is not None
    assert personas["hospital_clinician"].pk in message.payload["recipients"]
    assert referral.number in message.payload["title"]
    assert minor_a.name not in json.dumps(message.payload, ensure_ascii=False)


# --- Answering --------------------------------------------------------------------------


def test_the_receiver_accepts_gives_feedback_with_a_diagnosis_and_closes(
    personas, referral
) -> None:
    clinician = personas["hospital_clinician"]
    services.referral_accept(actor=clinician, referral=referral)
    services.referral_feedback(
        actor=clinician, referral=referral, feedback="门诊评估后药物治疗", diagnosis="抑郁发作"
    )
    services.referral_close(actor=clinician, referral=referral)
    referral.refresh_from_db()
    assert (referral.status, referral.diagnosis) == ("closed", "抑郁发作")
    kinds = list(ReferralEvent.objects.filter(referral=referral).values_list("kind", flat=True))
    assert kinds == ["sent", "accepted", "feedback", "closed"]


def test_a_diagnosis_comes_only_from_a_hospital(personas, case, police) -> None:
    referral = send(
        personas["counselor"], case, police, shared_items=["name"], basis="statutory_duty"
    )
    officer = personas["agency_officer"]
    services.referral_accept(actor=officer, referral=referral)
    with pytest.raises(ValidationError) as exc:
        services.referral_feedback(
            actor=officer, referral=referral, feedback="已立案调查", diagnosis="抑郁症"
        )
    assert "Only a hospital records a diagnosis." in messages_of(exc)
    referral.refresh_from_db()
    assert (referral.feedback, referral.diagnosis) == ("", "")
    services.referral_feedback(actor=officer, referral=referral, feedback="已立案调查")


def test_the_sender_side_cannot_answer_and_another_organisation_cannot(
    personas, other_personas, referral
) -> None:
    for actor in (
        personas["counselor"],
        personas["agency_officer"],
        other_personas["hospital_clinician"],
    ):
        with pytest.raises(PermissionDenied):
            services.referral_accept(actor=actor, referral=referral)
        with pytest.raises(PermissionDenied):
            services.referral_decline(actor=actor, referral=referral, reason="没有床位了")
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_declining_needs_a_reason_and_ends_the_referral(personas, referral) -> None:
    clinician = personas["hospital_clinician"]
    with pytest.raises(ValidationError):
        services.referral_decline(actor=clinician, referral=referral, reason="")
    services.referral_decline(actor=clinician, referral=referral, reason="本院暂无儿童床位")
    for step in (services.referral_accept, services.referral_withdraw):
        with pytest.raises(ValidationError):
            step(
                actor=personas["counselor"] if step is services.referral_withdraw else clinician,
                referral=referral,
            )


def test_feedback_comes_after_acceptance_and_closing_after_feedback(personas, referral) -> None:
    clinician, counselor = personas["hospital_clinician"], personas["counselor"]
    with pytest.raises(ValidationError):
        services.referral_feedback(actor=clinician, referral=referral, feedback="门诊评估")
    services.referral_accept(actor=clinician, referral=referral)
    with pytest.raises(ValidationError):
        services.referral_accept(actor=clinician, referral=referral)
    for actor in (clinician, counselor):
        with pytest.raises(ValidationError):
            services.referral_close(actor=actor, referral=referral)
    with pytest.raises(PermissionDenied):
        services.referral_feedback(actor=counselor, referral=referral, feedback="门诊评估")
    services.referral_feedback(actor=clinician, referral=referral, feedback="门诊评估，随访")
    with pytest.raises(PermissionDenied):
        services.referral_close(actor=personas["social_worker"], referral=referral)
    services.referral_close(actor=counselor, referral=referral)
    referral.refresh_from_db()
    assert referral.status == "closed"


def test_only_the_sender_side_withdraws_and_only_while_sent(personas, referral) -> None:
    with pytest.raises(PermissionDenied):
        services.referral_withdraw(actor=personas["hospital_clinician"], referral=referral)
    services.referral_accept(actor=personas["hospital_clinician"], referral=referral)
    with pytest.raises(ValidationError):
        services.referral_withdraw(actor=personas["counselor"], referral=referral)
