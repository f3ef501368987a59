"""Issue 4 item 11, end to end in a real browser: a pupil's red-critical answer on a phone
reaches the school psychology teacher's pages, who acknowledges it."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.notifications.models import Notification
from carecircle.notifications.outbox import drain
from carecircle.people.models import SchoolClass
from carecircle.screening.models import Campaign, FollowUp, Participant
from carecircle.screening.services import campaign_create, participants_issue
from carecircle.testing.browser import BrowserPage, sign_in
from carecircle.testing.fixtures import PASSWORD, _create_minor

PHONE = {"width": 375, "height": 740}
SHOTS = Path(tempfile.gettempdir())  # e2e-alert-*.png, looked at by a person
ASQ_Q5 = "你现在是否有想要自杀的念头？"


@pytest.fixture
def participant(district: dict[str, Any], personas: dict[str, User]) -> Participant:
    school = district["orgs"]["school_A"]
    teacher = personas["school_psych_teacher"]
    today = timezone.localdate()
    _create_minor(
        name="陈小雨",
        sex="F",
        birth_date=date(today.year - 14, 3, 1),
        area_code="431103101200",
        school=school,
        school_class=SchoolClass.objects.create(school=school, grade=8, name="2班"),
    )
    campaign = campaign_create(
        actor=teacher,
        school=school,
        name="秋季筛查",
        opens_at=timezone.now() - timedelta(hours=1),
        closes_at=timezone.now() + timedelta(days=7),
        basis=Campaign.Basis.STATUTORY,
        statutory_basis="《中华人民共和国未成年人保护法》第三十条",
        instruments=[("ASQ", 10, 18)],
    )
    participants_issue(actor=teacher, campaign=campaign)
    return campaign.participants.get()


@pytest.mark.e2e
def test_a_red_critical_answer_reaches_the_psychology_teacher(
    browser_page: BrowserPage, participant: Participant, personas: dict[str, User]
) -> None:
    page = browser_page.page
    page.set_viewport_size(PHONE)
    browser_page.goto(f"/q/#{participant.code}")
    page.wait_for_url("**/q/answer/")
    page.locator("label[for=cc-q1-0]").click()  # "是": a positive screen
    for n in range(2, 5):
        page.locator(f"label[for=cc-q{n}-1]").click()  # "否"
    page.locator("button[value=next]").click()
    page.wait_for_selector("label[for=cc-q5-1]")  # question 5 only after a positive screen
    assert ASQ_Q5 in page.locator("main").inner_text()
    page.locator("label[for=cc-q5-1]").click()
    page.locator("button[value=next]").click()
    page.wait_for_url("**/q/thanks/")
    thanks = page.locator("main").inner_text()
    assert "12356" in thanks and "红" not in thanks  # help lines, never a level

    follow_up = FollowUp.objects.get()
    assert (follow_up.level, follow_up.kind) == ("red_critical", FollowUp.Kind.ACKNOWLEDGE)
    drain()  # the worker delivers the outbox
    teacher = personas["school_psych_teacher"]
    assert Notification.objects.filter(recipient=teacher, level="urgent").exists()

    page = sign_in(browser_page, teacher.username, PASSWORD)
    page.goto(browser_page.url("/notifications/"))
    assert "需要今天处理" in page.locator("main").inner_text()
    page.goto(browser_page.url("/screening/follow-ups/"))
    listed = page.locator("main").inner_text()
    assert "陈小雨" in listed and "红色" in listed
    page.locator("main a.list-group-item").first.click()
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / "e2e-alert-follow-up.png"), full_page=True)
    page.locator("main form button.btn-danger").click()  # 确认接收
    page.wait_for_load_state()
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.ACKNOWLEDGED
    assert follow_up.acknowledged_by == teacher
    browser_page.assert_stayed_local()
