"""Issue 7 item 9, end to end in a real browser: a counselor books a slot of a room's
rota for a case, records the session held in it, refers the child to a hospital; the
hospital's clinician accepts the referral and gives feedback with a diagnosis, and the
counselor sees it on the case.

The slot is the running one of a shift that began five minutes ago: the pages put
only future shifts on the rota, and a session is recorded once its slot has begun,
so the shift is written as one put on the rota the day before.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.cases import services as case_services
from carecircle.cases.models import Kind, Referral, Risk, Session, Source
from carecircle.counseling import services as counseling_services
from carecircle.counseling.models import Appointment, Room, Shift
from carecircle.people.models import Minor
from carecircle.testing.browser import BrowserPage, open_page, sign_in
from carecircle.testing.fixtures import PASSWORD

SHOTS = Path(tempfile.gettempdir())  # e2e-case-*.png, looked at by a person


@pytest.fixture
def world(personas: dict[str, User], district: dict[str, Any], minor_a: Minor) -> dict[str, Any]:
    room = counseling_services.room_add(
        actor=personas["center_staff"],
        name="心理辅导室（一）",
        kind=Room.Kind.SCHOOL,
        organisation=district["orgs"]["school_A"],
    )
    began = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=5)
    shift = Shift.objects.create(
        room=room,
        counselor=personas["counselor"],
        starts_at=began,
        ends_at=began + timedelta(hours=3),
        slot_minutes=50,
        created_by=personas["center_staff"],
    )
    case = case_services.case_open(
        actor=personas["counselor"],
        minor=minor_a,
        kind=Kind.COUNSELING,
        source=Source.WALK_IN,
        summary="孩子近两周失眠、情绪低落，班主任建议辅导。",
        risk=Risk.RED,
    )
    return {"room": room, "shift": shift, "case": case, "hospital": district["orgs"]["hospital_A"]}


@pytest.mark.e2e
def test_a_counselor_books_records_and_refers_and_the_hospital_answers(
    browser_page: BrowserPage, world: dict[str, Any], personas: dict[str, User]
) -> None:
    room, shift, case = world["room"], world["shift"], world["case"]
    hospital = world["hospital"]

    # The counselor books the running slot of the room's rota for the case.
    page = sign_in(browser_page, personas["counselor"].username, PASSWORD)
    page.goto(browser_page.url("/counseling/rooms/"))
    page.locator(f"#room-{room.pk}").click()
    page.wait_for_selector("[data-testid=rota-day]")
    slot = f"#slot-{shift.pk}-{timezone.localtime(shift.starts_at):%H%M}"
    page.locator(f"{slot}[data-testid=slot-free]").click()
    page.wait_for_selector("#book-submit")
    page.select_option("#id_case", str(case.pk))
    page.locator("#book-submit").click()
    page.wait_for_selector(f"{slot}[data-testid=slot-booked]")
    page.screenshot(path=str(SHOTS / "e2e-case-rota-week.png"), full_page=True)
    assert case.number in page.locator(slot).inner_text()
    appointment = Appointment.objects.get(case=case)
    assert (appointment.shift, appointment.status) == (shift, Appointment.Status.BOOKED)

    # The session held in the slot, from the case page.
    page.goto(browser_page.url(f"/cases/{case.pk}/"))
    page.locator(f"#record-session-{appointment.pk}").click()
    page.wait_for_selector("#id_appointment")
    assert page.locator("#id_room").input_value() == str(room.pk)
    page.fill("#id_notes", "孩子谈到与同学的矛盾，约定下周继续。")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    session = Session.objects.get(case=case)
    assert (session.room, session.appointment) == (room, appointment)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.HELD

    # The referral to the hospital, on the guardian's consent.
    page.locator("#refer-link").click()
    page.wait_for_selector("#referral-form")
    page.select_option("#id_referral_to_organisation", str(hospital.pk))
    page.fill("#id_referral_reason", "持续失眠两周，请评估是否需要药物治疗。")
    page.select_option("#id_referral_basis", "guardian_consent")
    page.fill("#id_referral_consent_by", "母亲 王某")
    page.fill("#id_referral_consent_on", f"{timezone.localdate():%Y-%m-%d}")
    page.locator("#referral-submit").click()
    page.wait_for_selector("#referral-status")
    referral = Referral.objects.get(case=case)
    assert (referral.to_organisation, referral.status) == (hospital, Referral.Status.SENT)
    assert referral.basis == Referral.Basis.GUARDIAN_CONSENT

    # The hospital's clinician, in a browser of their own, accepts and answers.
    clinic = open_page(browser_page.page.context.browser, browser_page.base_url)
    try:
        other = sign_in(clinic, personas["hospital_clinician"].username, PASSWORD)
        other.goto(clinic.url("/referrals/"))
        other.locator(
            f"[data-testid=referral-row-{referral.pk}] [data-testid=referral-link]"
        ).click()
        other.wait_for_selector("#referral-accept-submit")
        assert "持续失眠两周" in other.locator("main").inner_text()
        other.locator("#referral-accept-submit").click()
        other.wait_for_selector("#referral-status[data-status=accepted]")
        other.fill("#id_feedback_feedback", "门诊评估后予以心理治疗，每周一次，两周后复诊。")
        other.fill("#id_feedback_diagnosis", "适应障碍")
        other.locator("#referral-feedback-submit").click()
        other.wait_for_selector("[data-testid=referral-diagnosis]")
        other.screenshot(path=str(SHOTS / "e2e-case-referral-hospital.png"), full_page=True)
        clinic.assert_stayed_local()
        # The clinician reaches the referral, never the child's case or record.
        assert other.goto(clinic.url(f"/cases/{case.pk}/")).status in (403, 404)
        assert other.goto(clinic.url(f"/minors/{case.minor_id}/")).status == 404
    finally:
        clinic.page.context.close()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert (referral.diagnosis, referral.feedback_by) == (
        "适应障碍",
        personas["hospital_clinician"],
    )

    # The counselor sees the answer on the case and on the referral.
    page.goto(browser_page.url(f"/cases/{case.pk}/"))
    answered = page.locator(f"[data-testid=case-referral-{referral.pk}] [data-status=accepted]")
    assert answered.inner_text() == "已接收"
    page.locator(f"[data-testid=case-referral-{referral.pk}] a").first.click()
    page.wait_for_selector("[data-testid=referral-diagnosis]")
    assert "适应障碍" in page.locator("[data-testid=referral-diagnosis]").inner_text()
    page.screenshot(path=str(SHOTS / "e2e-case-referral-counselor.png"), full_page=True)
    browser_page.assert_stayed_local()
