"""The questionnaire's JavaScript in a real browser on a phone: the QR code's #CODE
opens the questionnaire without the code reaching the server in a URL, a double tap
posts once, and the pages fit a 375-pixel screen under the strict CSP."""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.people.models import SchoolClass
from carecircle.screening.models import Campaign, Participant, Response
from carecircle.screening.services import campaign_create, participants_issue
from carecircle.testing.browser import BrowserPage
from carecircle.testing.fixtures import _create_minor

PHONE = {"width": 375, "height": 740}
SHOTS = Path(tempfile.gettempdir())  # e2e-questionnaire-*.png, looked at by a person
ASQ_Q1 = "在过去几周里，你是否希望自己已经死了？"


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.fixture
def participant(district: dict[str, Any], personas: dict[str, User]) -> Participant:
    school = district["orgs"]["school_A"]
    teacher = personas["school_psych_teacher"]
    today = timezone.localdate()
    _create_minor(
        name="王大",
        sex="M",
        birth_date=date(today.year - 16, 1, 1),
        area_code="431103101200",
        school=school,
        school_class=SchoolClass.objects.create(school=school, grade=9, name="1班"),
    )
    campaign = campaign_create(
        actor=teacher,
        school=school,
        name="春季筛查",
        opens_at=timezone.now() - timedelta(hours=1),
        closes_at=timezone.now() + timedelta(days=7),
        basis=Campaign.Basis.GUARDIAN_CONSENT,
        instruments=[("ASQ", 10, 18), ("PHQ9", 12, 18)],
    )
    participants_issue(actor=teacher, campaign=campaign)
    return campaign.participants.get()


@pytest.mark.e2e
def test_a_pupil_answers_on_a_phone_from_the_qr_code(
    browser_page: BrowserPage, participant: Participant
) -> None:
    page = browser_page.page
    page.set_viewport_size(PHONE)
    browser_page.goto(f"/q/#{participant.code.lower()}")
    page.wait_for_url("**/q/answer/")
    assert ASQ_Q1 in page.locator("main").inner_text()
    assert "#" not in page.url
    assert not [u for u in browser_page.requests if participant.code.lower() in u.lower()]
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "e2e-questionnaire-asq.png"), full_page=True)

    for n in range(1, 5):
        page.locator(f"label[for=cc-q{n}-1]").click()  # "否"
    page.locator("button[value=next]").dblclick()
    page.wait_for_load_state()
    page.wait_for_selector("label[for=cc-q1-0]")
    assert ASQ_Q1 not in page.locator("main").inner_text()  # on to the PHQ-9
    assert Response.objects.get(code="ASQ").submitted_at is not None

    for n in range(1, 6):
        page.locator(f"label[for=cc-q{n}-0]").click()
    page.locator("button[value=next]").click()
    page.wait_for_url("**/q/answer/?page=1")
    page.reload()  # resumes on the same page
    assert page.locator("label[for=cc-q6-0]").is_visible()
    for n in range(6, 10):
        page.locator(f"label[for=cc-q{n}-0]").click()
    page.locator("button[value=next]").dblclick()
    page.wait_for_url("**/q/thanks/")
    assert "12356" in page.locator("main").inner_text()
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "e2e-questionnaire-thanks.png"), full_page=True)

    participant.refresh_from_db()
    assert participant.status == Participant.Status.SUBMITTED
    assert Response.objects.filter(submitted_at__isnull=False).count() == 2
    assert json.loads(Response.objects.get(code="PHQ9").answers)["q9"] == 0
    browser_page.assert_stayed_local()
