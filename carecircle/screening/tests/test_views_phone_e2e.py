"""The campaign pages on a 375-pixel-wide phone, in a real browser: no sideways
scrolling, htmx loading a school's classes, the progress table updating by itself, and
a code sheet that loads nothing from elsewhere."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from carecircle.accounts.roles import Role
from carecircle.people.models import SchoolClass
from carecircle.people.tests.test_views_phone_e2e import sign_in
from carecircle.screening.models import Participant
from carecircle.screening.services import participants_issue
from carecircle.screening.tests.test_views_campaigns import open_campaign, pupil
from carecircle.testing.browser import BrowserPage
from carecircle.testing.fixtures import build_persona

PHONE = {"width": 375, "height": 740}
SHOTS = Path(tempfile.gettempdir())  # e2e-screening-*.png, looked at by a person


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.e2e
def test_the_campaign_pages_work_on_a_phone(
    browser_page: BrowserPage, district: dict[str, Any]
) -> None:
    school_a, school_b = district["orgs"]["school_A"], district["orgs"]["school_B"]
    g8 = SchoolClass.objects.create(school=school_a, grade=8, name="2班")
    SchoolClass.objects.create(school=school_b, grade=7, name="乙校一班")
    pupil("王大", 15, g8)
    pupil("王小", 13, g8)
    centre = build_persona(district, Role.CENTER_STAFF, "A")
    campaign = open_campaign(centre, school_a)
    participants_issue(actor=centre, campaign=campaign)
    page = sign_in(browser_page, centre.username)
    page.set_viewport_size(PHONE)

    page.goto(browser_page.url("/screening/new/"))
    assert fits_the_screen(page)
    page.select_option("select[name=school]", str(school_b.pk))
    page.wait_for_function(
        "() => document.querySelector('#cc-scope').textContent.includes('乙校一班')"
    )
    assert page.locator("select[name=instruments-0-code]").input_value() == "PHQA"
    page.screenshot(path=str(SHOTS / "e2e-screening-create.png"), full_page=True)

    page.goto(browser_page.url(f"/screening/{campaign.pk}/"))
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "e2e-screening-detail.png"), full_page=True)
    Participant.objects.filter(campaign=campaign, minor__name="王大").update(status="submitted")
    answered = "#cc-progress [data-count=answered]"
    page.wait_for_function(
        f"() => document.querySelector('{answered}').textContent.trim() === '1'", timeout=15_000
    )

    page.goto(browser_page.url(f"/screening/{campaign.pk}/classes/{g8.pk}/"))
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "e2e-screening-class.png"), full_page=True)

    page.goto(browser_page.url(f"/screening/{campaign.pk}/classes/{g8.pk}/sheet/"))
    assert page.locator(".cc-card svg").count() == 1  # 王大 has answered
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "e2e-screening-sheet.png"), full_page=True)
    browser_page.assert_stayed_local()
