"""End to end in a real browser: first sign-in with authenticator enrolment, then a
second sign-in where the replayed code is refused and the next one is accepted."""

from __future__ import annotations

import tempfile
import time
from base64 import b32decode
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor
from carecircle.testing.browser import BrowserPage, totp_code
from carecircle.testing.fixtures import AREA_A, PASSWORD, grant, make_user

SCREENSHOT = Path(tempfile.gettempdir()) / "e2e-home.png"  # looked at by a person
BOOTSTRAP_PRIMARY = "rgb(13, 110, 253)"  # --bs-primary: proves bootstrap.min.css applied
APP_BACKGROUND = "rgb(246, 247, 249)"  # body background: proves css/app.css applied


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def sign_in(browser: BrowserPage, username: str) -> Any:
    page = browser.goto("/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return page


def submit_code(page: Any, code: str) -> None:
    page.fill("input[name=otp_token]", code)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def assert_chinese_page(page: Any) -> None:
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    # The language switcher is written in Chinese in the template itself.
    assert page.locator("footer button[value=zh-hans]").inner_text() == "简体中文"
    assert "active" in (page.locator("footer button[value=zh-hans]").get_attribute("class") or "")


@pytest.mark.e2e
def test_it_enrols_then_verifies_in_a_real_browser(
    browser_page: BrowserPage, district: dict[str, Any], minor_a: Minor
) -> None:
    user = make_user("zhangwei", verified_device=False)
    user.full_name = "张伟"
    user.save(update_fields=["full_name"])
    grant(user, Role.CHILD_DIRECTOR, prefix=AREA_A)

    # First sign-in: the role sees child data, so enrolment comes before anything else.
    page = sign_in(browser_page, "zhangwei")
    assert browser_page.path() == "/otp/setup/"
    assert_chinese_page(page)
    assert page.locator(".cc-qr svg").is_visible()
    secret = page.locator(".cc-secret").inner_text().replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert key == device.bin_key

    enrol_code = totp_code(key, at=time.time())
    submit_code(page, enrol_code)
    assert browser_page.path() == "/"
    assert_chinese_page(page)
    greeting = zh("Hello, %(name)s") % {"name": "张伟"}
    assert page.locator("main h1").inner_text() == greeting
    if (Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.mo").exists():
        assert not greeting.startswith("Hello")  # the catalogue is compiled: Chinese
    assert page.evaluate(
        "getComputedStyle(document.querySelector('nav.navbar')).backgroundColor"
    ) == (BOOTSTRAP_PRIMARY)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == APP_BACKGROUND
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    device.refresh_from_db()
    assert device.confirmed

    # Sign out, then in again: now the verify page asks for a code, without a QR code.
    page.locator("nav form[action='/logout/'] button").click()
    page.wait_for_load_state()
    assert browser_page.path() == "/login/"
    page = sign_in(browser_page, "zhangwei")
    assert browser_page.path() == "/otp/verify/"
    assert page.locator(".cc-qr").count() == 0

    # The code used for enrolment is spent: replaying it is refused.
    submit_code(page, enrol_code)
    assert browser_page.path() == "/otp/verify/"
    refused = zh("The code is wrong or already used. Wait for the next code and try again.")
    assert refused in page.locator("main").inner_text()
    assert page.goto(browser_page.url("/minors/")) is not None
    assert browser_page.path() == "/otp/verify/"  # still no way past the second factor

    # The next step's code is accepted (tolerance of one step) once the one-second
    # back-off after the failure has passed.
    time.sleep(1.1)
    submit_code(page, totp_code(key, at=time.time() + 30))
    assert browser_page.path() == "/"
    page.goto(browser_page.url(f"/minors/{minor_a.pk}/"))
    assert browser_page.path() == f"/minors/{minor_a.pk}/"
    assert "张小明" in page.locator("main").inner_text()

    actions = list(
        AuditEvent.objects.filter(actor=user)
        .order_by("seq")
        .values_list("action", flat=True)
        .exclude(action=AuditEvent.Action.DENIED)
    )
    assert actions == [
        AuditEvent.Action.LOGIN,
        AuditEvent.Action.OTP_ENROLLED,
        AuditEvent.Action.LOGOUT,
        AuditEvent.Action.LOGIN,
        AuditEvent.Action.OTP_FAILED,
        AuditEvent.Action.VIEW,
    ]
    assert TOTPDevice.objects.filter(user=user).count() == 1
    browser_page.assert_stayed_local()
