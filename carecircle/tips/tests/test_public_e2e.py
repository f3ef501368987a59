"""The public reporting page on a 360×740 phone, in a real browser: the form is filled
with taps, a photo attached, the proof of work done while typing, the receipt code
read, and the status checked with it; then the centre's staff find the report in
their queue and see the photo, stripped of its metadata (issue 6 item 9)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from carecircle.accounts.roles import Role
from carecircle.testing.browser import BrowserPage, sign_in
from carecircle.testing.fixtures import PASSWORD, grant, make_user
from carecircle.tips.models import Tip, TipAttachment

PHONE = {"width": 360, "height": 740}
SHOTS = Path(tempfile.gettempdir())  # e2e-tips-*.png, looked at by a person


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.e2e
def test_a_reporter_sends_a_report_and_checks_it_on_a_phone(
    browser_page: BrowserPage, district: dict[str, Any], tmp_path: Any
) -> None:
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 48), (180, 40, 40)).save(photo, format="JPEG")
    page = browser_page.page
    page.set_viewport_size(PHONE)

    page.goto(browser_page.url("/report/"))
    page.wait_for_selector("#cc-report", state="visible")
    assert fits_the_screen(page)
    assert float(page.locator("label[for=id_category_2]").bounding_box()["height"]) >= 44
    page.locator("label[for=id_category_2]").click()  # neglect
    page.select_option("#id_township", "431103101000")
    # The villages narrow to the township chosen.
    assert page.locator("#id_village option[value='431103102200']").count() == 0
    page.select_option("#id_village", "431103101200")
    page.fill("#id_occurred_text", "最近一个月，每天晚上")
    page.fill("#id_description", "邻居家的孩子经常一个人在门口坐到很晚，家里好像没有大人。")
    page.set_input_files("#cc-files", str(photo))
    page.check("#id_anonymous")
    assert page.locator("#cc-identity").is_hidden()
    page.wait_for_selector("#cc-report[data-pow=ready]", state="attached")
    assert page.input_value("input[name=nonce]") != ""
    page.screenshot(path=str(SHOTS / "e2e-tips-form.png"), full_page=True)
    page.locator("#cc-send").click()

    page.wait_for_selector("#cc-receipt")
    code = page.inner_text("#cc-receipt").strip()
    assert len(code.replace(" ", "")) == 16
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "e2e-tips-receipt.png"), full_page=True)
    tip = Tip.objects.get()
    assert tip.area_code == "431103101200" and tip.anonymous
    assert TipAttachment.objects.filter(tip=tip).count() == 1

    page.goto(browser_page.url("/report/status/"))
    page.fill("#cc-code", code)
    page.locator("#cc-status-form button[type=submit]").click()
    page.wait_for_selector("#cc-status[data-status=received]")
    assert code.replace(" ", "") not in page.url
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "e2e-tips-status.png"), full_page=True)

    # The desk: the report is in the queue, the photo shows on its page.
    desk = make_user("centre_desk")
    grant(desk, Role.CENTER_STAFF, prefix="431103")
    page = sign_in(browser_page, "centre_desk", PASSWORD)
    page.goto(browser_page.url("/tips/"))
    row = page.locator(f"a[href='/tips/{tip.pk}/']")
    assert row.inner_text().strip() == tip.number
    row.click()
    # The thumbnail is the cleaned copy, served by the app: it decodes as an image.
    # Polled from Python: page.wait_for_function of an expression ends in an eval in
    # the page once it has to poll, which the strict CSP (no 'unsafe-eval') refuses.
    thumbnail = page.locator("img.img-thumbnail").first
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=str(SHOTS / "e2e-tips-desk.png"), full_page=True)
    browser_page.assert_stayed_local()
