"""A real headless Chromium against pytest-django's live server, for end-to-end tests.

Use the ``browser_page`` fixture in a test marked ``@pytest.mark.e2e``::

    @pytest.mark.e2e
    def test_it_signs_in(browser_page: BrowserPage, district: dict) -> None:
        page = browser_page.goto("/login/")
        ...
        browser_page.assert_stayed_local()

Playwright's own browser download does not work on our machines (no route to its
CDN), so the tests drive the distribution's Chromium (Debian package ``chromium``,
with ``fonts-wqy-zenhei`` so that Chinese renders). Without it the tests are
skipped with the reason; CI sets ``CARECIRCLE_REQUIRE_E2E=1`` to turn the skip
into a failure. ``CARECIRCLE_CHROMIUM`` points at another binary.

The live server needs committed data, so these tests run in transactional mode
and the database is flushed afterwards. The audit log is append-only in the
database itself (``audit/migrations/0002_append_only.py``), which the flush
would trip over: ``flushable_audit_log`` lifts the triggers for the flush and
puts them, and the chain head row, back right after it.
"""

from __future__ import annotations

import importlib
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection, connections
from django.db.models.signals import post_migrate

CHROMIUM = os.environ.get("CARECIRCLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
__all__ = [
    "BrowserPage",
    "browser_page",
    "chromium_executable",
    "flushable_audit_log",
    "open_page",
    "totp_code",
]

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_MS = 10_000

_append_only = importlib.import_module("carecircle.audit.migrations.0002_append_only")
_TRIGGERS_ON = {"sqlite": _append_only.SQLITE, "postgresql": _append_only.POSTGRES}
_TRIGGERS_OFF = {"sqlite": _append_only.SQLITE_REVERSE, "postgresql": _append_only.POSTGRES_REVERSE}


@pytest.fixture
def chromium_executable() -> str:
    """The Chromium binary; skip (or fail, when CARECIRCLE_REQUIRE_E2E=1) without one."""
    path = shutil.which(CHROMIUM)
    if path:
        return path
    reason = (
        f"end-to-end tests need Chromium at {CHROMIUM}: "
        "apt-get install -y --no-install-recommends chromium fonts-wqy-zenhei"
    )
    if os.environ.get("CARECIRCLE_REQUIRE_E2E") == "1":
        pytest.fail(f"CARECIRCLE_REQUIRE_E2E=1 but {reason}")
    pytest.skip(reason)


def totp_code(key: bytes, *, at: float, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows at Unix time ``at``."""
    from django_otp.oath import TOTP

    generator = TOTP(key, step=step, digits=digits)
    generator.time = at
    return str(generator.token()).zfill(digits)


@dataclass
class BrowserPage:
    """A Playwright page on the live server, recording every request and console error."""

    page: Any
    base_url: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str) -> Any:
        self.page.goto(self.url(path))
        return self.page

    def path(self) -> str:
        return urlsplit(self.page.url).path

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if (urlsplit(u).hostname or "") not in LOCAL_HOSTS]

    def on_failed(self, request: Any) -> None:
        # ERR_ABORTED is the browser dropping a request itself because the next page
        # started loading (its favicon probe, a script's fetch of visits/offline's
        # config.json when the test clicks on at once); a refused or broken one fails
        # with another error, or shows as a 4xx/5xx response and a console error.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.url} {request.failure}")

    def on_console(self, message: Any) -> None:
        where = message.location.get("url", "")
        # Chromium probes /favicon.ico by itself; that 404 is not the page's doing.
        if message.type == "error" and urlsplit(where).path != "/favicon.ico":
            self.errors.append(f"{message.text} at {where}")

    def assert_stayed_local(self) -> None:
        """No request left this machine, none failed, and the console stayed clean
        (a Content-Security-Policy violation shows up there)."""
        problems = {
            "requests to other hosts": self.foreign_requests(),
            "failed requests": self.failed,
            "console errors": self.errors,
        }
        problems = {what: found for what, found in problems.items() if found}
        if not self.requests:
            problems["no request at all"] = []
        if problems:
            raise AssertionError(f"{problems} (4xx/5xx responses: {self.broken})")


def open_page(browser: Any, base_url: str) -> BrowserPage:
    """A fresh Chinese-language context (zh-CN, Asia/Shanghai) of ``browser`` with one
    page, its requests and console recorded. A second call is a second person's
    browser: its own cookies, hence its own sign-in."""
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    wrapped = BrowserPage(page=page, base_url=base_url)
    page.on("request", lambda request: wrapped.requests.append(request.url))
    page.on("requestfailed", wrapped.on_failed)
    page.on(
        "response",
        lambda response: (
            wrapped.broken.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    page.on("console", wrapped.on_console)
    page.on("pageerror", lambda error: wrapped.errors.append(str(error)))
    return wrapped


def _restore_append_only(sender: Any, using: str = "default", **kwargs: Any) -> None:
    if getattr(sender, "label", None) != "audit":
        return
    post_migrate.disconnect(dispatch_uid=_DISPATCH_UID)
    from carecircle.audit.models import AuditChainHead

    conn = connections[using]
    with conn.cursor() as cursor:
        for statement in _TRIGGERS_ON.get(conn.vendor, []):
            cursor.execute(statement)
    AuditChainHead.objects.using(using).get_or_create(pk=1)


_DISPATCH_UID = "carecircle.testing.browser.restore_append_only"


@pytest.fixture
def flushable_audit_log(transactional_db: None) -> Iterator[None]:
    """Let the transactional test's flush empty the append-only audit table.

    Runs its teardown before the flush (it depends on ``transactional_db``); the
    flush emits ``post_migrate``, on which the triggers and the chain head return.
    """
    yield
    with connection.cursor() as cursor:
        for statement in _TRIGGERS_OFF.get(connection.vendor, []):
            cursor.execute(statement)
    post_migrate.connect(_restore_append_only, weak=False, dispatch_uid=_DISPATCH_UID)


def _one_request_at_a_time(app: Any) -> Any:
    """The live server's WSGI app, serialised. On SQLite the server's threads share
    the test's one in-memory connection (Django's ``connections_override``), and a
    browser sends requests in parallel (a page and a script's fetch): two statements
    at once on one sqlite3 connection hung a CI run. The body is read inside the lock,
    so a lazy response does not reach the database after it."""
    lock = threading.Lock()

    def app_locked(environ: Any, start_response: Any) -> Any:
        with lock:
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    return app_locked


@pytest.fixture
def browser_page(
    chromium_executable: str,
    flushable_audit_log: None,
    live_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[BrowserPage]:
    """A fresh Chinese-language browser context (zh-CN, Asia/Shanghai) on the live server."""
    # Playwright's sync API keeps an asyncio loop in this thread, which makes Django
    # refuse ORM calls from the test body; this is Django's documented switch for it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    if connection.vendor == "sqlite":
        server = live_server.thread.httpd
        server.set_app(_one_request_at_a_time(server.get_app()))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        wrapped = open_page(browser, live_server.url)
        try:
            yield wrapped
        finally:
            wrapped.page.context.close()
            browser.close()
            # While Playwright's loop runs, Django keeps this thread's connections in
            # a separate, async-context store; the test body's ORM calls opened one
            # there. Close it now, or PostgreSQL cannot drop the test database.
            connections.close_all()


def sign_in(browser: BrowserPage, username: str, password: str) -> Any:
    """Sign ``username`` in through the login and second-factor pages; the page after."""
    import time

    from django_otp.plugins.otp_totp.models import TOTPDevice

    page = browser.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    device = TOTPDevice.objects.get(user__username=username)
    page.fill("input[name=otp_token]", totp_code(device.bin_key, at=time.time()))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return page
