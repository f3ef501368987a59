"""The visits pages on a 360×640 phone, in a real browser: nothing scrolls sideways, a
child is found and added with its household through htmx, the visit is recorded with
taps on big buttons, and the lists open."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from carecircle.accounts.roles import Role
from carecircle.testing.browser import BrowserPage
from carecircle.testing.browser import sign_in as browser_sign_in
from carecircle.testing.fixtures import AREA_A, PASSWORD, grant, make_user
from carecircle.visits.models import Visit
from carecircle.visits.tests.factories import (
    HouseholdFactory,
    MinorFactory,
    in_category,
    registered_on,
)

PHONE = {"width": 360, "height": 640}
SHOTS = Path(tempfile.gettempdir())  # e2e-visits-*.png, looked at by a person


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def tap_height(page: Any, selector: str) -> float:
    return float(page.locator(selector).first.bounding_box()["height"])


@pytest.mark.e2e
def test_a_director_records_a_household_visit_on_a_phone(
    browser_page: BrowserPage, district: dict[str, Any]
) -> None:
    user = make_user("village_director")
    grant(user, Role.CHILD_DIRECTOR, prefix=AREA_A)
    home = HouseholdFactory.create()
    elder = MinorFactory.create(name="王大", household=home)
    young = MinorFactory.create(name="王小", household=home, young=True)
    for child in (elder, young):
        registered_on(child, timezone.localdate() - timedelta(days=60))
        in_category(child, "orphan")
    page = browser_sign_in(browser_page, "village_director", PASSWORD)
    page.set_viewport_size(PHONE)

    page.goto(browser_page.url("/visits/"))
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "e2e-visits-home.png"), full_page=True)
    page.locator("main a.btn-lg").click()
    page.wait_for_load_state()
    assert fits_the_screen(page)

    page.fill("input[name=q]", "王大")
    page.locator("form[role=search] button").click()
    page.wait_for_selector("#pick-results a.list-group-item")
    page.locator("#pick-results a.list-group-item").first.click()
    page.wait_for_selector(f"#minor-{young.pk}")
    assert page.locator(f"#minor-{elder.pk}").is_checked()
    assert not page.locator(f"#minor-{young.pk}").is_checked()
    page.locator(f"label[for=minor-{young.pk}]").click()
    assert tap_height(page, f"label[for=minor-{young.pk}]") >= 24
    assert tap_height(page, "label[for=id_kind_0]") >= 44
    page.locator("label[for=id_guardian_present_0]").click()  # no concern
    page.locator("label[for=id_unmet_needs_1]").click()  # concern
    page.fill("textarea[name=notes]", "需要学习用品。")
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "e2e-visits-record.png"), full_page=True)
    page.locator("#visit-form button[type=submit]").click()
    page.wait_for_url("**/visits/*/")
    visit = Visit.objects.get()
    assert set(visit.seen.values_list("minor_id", flat=True)) == {elder.pk, young.pk}
    assert (visit.guardian_present, visit.unmet_needs) == ("ok", "concern")
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "e2e-visits-detail.png"), full_page=True)

    for path in ("/visits/tasks/", "/visits/overdue/", "/visits/children/"):
        page.goto(browser_page.url(path))
        assert fits_the_screen(page), path
    assert page.locator("main .list-group-item").count() == 2
    page.screenshot(path=str(SHOTS / "e2e-visits-children.png"), full_page=True)
    browser_page.assert_stayed_local()
