"""Small helpers shared by the account tests: real sign-ins, TOTP codes, translations."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import translation
from django.utils.translation import gettext
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time
from freezegun.api import _freeze_time

from carecircle.accounts.models import User
from carecircle.testing.fixtures import PASSWORD

IP = "10.0.0.1"


def frozen(at: datetime) -> _freeze_time:
    """freezegun's clock, with every view module imported first: a C extension
    (psycopg) imported under the fake ``datetime`` warns of binary incompatibility."""
    assert get_resolver().url_patterns
    return freeze_time(at)


def sign_in(
    client: Client, username: str, password: str = PASSWORD, *, ip: str = IP, **extra: str
) -> Any:
    """POST the login form as a browser at ``ip`` would (django-axes needs REMOTE_ADDR)."""
    data = {"username": username, "password": password, **extra}
    return client.post(reverse("accounts:login"), data, REMOTE_ADDR=ip)


def code_for(device: TOTPDevice) -> str:
    """The device's current 6-digit code (at whatever time freezegun says it is)."""
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return str(value).zfill(device.digits)


def device_of(user: User, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=confirmed)


def zh(message: str) -> str:
    """What a Chinese-speaking user sees for ``message`` (the source text until compiled)."""
    with translation.override("zh-hans"):
        return gettext(message)


def has_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def client_with_session(key: str) -> Client:
    """A fresh browser replaying a captured session cookie."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    return client


def csp_directives(response: HttpResponseBase) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    parts = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {words[0]: words[1:] for words in parts if words}


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session
