"""The registry pages on a 375-pixel-wide phone, in a real browser: no sideways scrolling,
the filter panel folded, htmx loading class options, the guardian form's conditional fields."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from carecircle.accounts.roles import Role
from carecircle.people.models import Guardian, Minor, SchoolClass
from carecircle.testing.browser import BrowserPage
from carecircle.testing.browser import sign_in as browser_sign_in
from carecircle.testing.fixtures import AREA_A, PASSWORD, grant, make_user

PHONE = {"width": 375, "height": 740}
SHOTS = Path(tempfile.gettempdir())  # e2e-phone-*.png, looked at by a person


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def sign_in(browser: BrowserPage, username: str) -> Any:
    return browser_sign_in(browser, username, PASSWORD)


@pytest.mark.e2e
def test_it_works_on_a_phone(
    browser_page: BrowserPage, district: dict[str, Any], minor_a: Minor
) -> None:
    school = district["orgs"]["school_A"]
    SchoolClass.objects.create(school=school, grade=5, name="三班")
    Guardian.objects.create(minor=minor_a, relation="father", state="working_away", name="张大山")
    user = make_user("village_director")
    grant(user, Role.CHILD_SUPERVISOR, prefix=AREA_A[:9])
    page = sign_in(browser_page, "village_director")
    page.set_viewport_size(PHONE)

    page.goto(browser_page.url("/minors/"))
    assert "张小明" in page.locator("main").inner_text()
    assert fits_the_screen(page)
    assert not page.locator("select[name=school]").is_visible()  # the panel starts folded
    page.locator("details summary").click()
    page.select_option("select[name=school]", str(school.pk))
    page.wait_for_function("document.querySelector('#id_school_class').options.length > 1")
    assert "三班" in page.locator("#id_school_class").inner_text()
    page.screenshot(path=str(SHOTS / "e2e-phone-list.png"), full_page=True)

    page.goto(browser_page.url(f"/minors/{minor_a.pk}/"))
    assert fits_the_screen(page)
    assert page.locator("#timeline").is_visible()
    assert page.locator("#guardians .alert-warning").count() == 1  # no entrusted guardian
    page.screenshot(path=str(SHOTS / "e2e-phone-detail.png"), full_page=True)

    page.goto(browser_page.url(f"/minors/{minor_a.pk}/guardians/new/"))
    assert fits_the_screen(page)
    assert not page.locator("#id_work_place").is_visible()
    page.select_option("#id_state", "working_away")
    assert page.locator("#id_work_place").is_visible()
    assert not page.locator("#id_police_report_on").is_visible()
    page.select_option("#id_state", "out_of_contact")
    assert page.locator("#id_police_report_on").is_visible()
    assert not page.locator("#id_work_place").is_visible()
    browser_page.assert_stayed_local()
