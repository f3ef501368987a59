"""Issue 5 item 8, in a real browser at a phone's size: a child director records visits
with no network, reloads the record page with no network (the service worker serves
the copy it kept, under a new key), goes back online, and each visit reaches the
server exactly once, however often the queue is sent. The kept copy goes as soon as
the session is known to be over or another person signs in, and signing out leaves
nothing in the browser.

Two ways into the queue are driven: a form posted while the phone thinks it is online
but the network fails (the service worker keeps it, with the key it carried), and the
record form submitted on the kept copy while the phone knows it is offline (offline.js
keeps the visit and gives the form a new key).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import translation
from django.utils.translation import gettext

from carecircle.accounts.roles import Role
from carecircle.people.models import Minor
from carecircle.testing.browser import BrowserPage, sign_in
from carecircle.testing.fixtures import PASSWORD, build_persona, verified_client
from carecircle.visits.models import Visit
from carecircle.visits.offline_views import PRIVATE_CACHE
from carecircle.visits.tests.factories import HouseholdFactory, MinorFactory

PHONE = {"width": 375, "height": 740}
SHOTS = Path(tempfile.gettempdir())  # e2e-visits-offline-*.png, looked at by a person
QUEUE = "#visit-queue"
# Chromium logs every 4xx answer to a fetch as a console error: these three are
# provoked on purpose (a conflict, a refused visit, an ended session).
PROVOKED = (
    "status of 409 (Conflict) at {base}/api/v1/visits/",
    "status of 400 (Bad Request) at {base}/api/v1/visits/",
    "status of 401 (Unauthorized) at {base}/visits/offline/token/",
)


def queued(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("() => CareCircleOffline.all()"))


def wait_count(page: Any, count: int) -> None:
    page.wait_for_function(
        f"() => {{ const p = document.querySelector('{QUEUE}');"
        f" return p && p.dataset.count === '{count}'; }}"
    )


def fill_visit(page: Any, notes: str) -> str:
    """Fill the record form for the child offered; returns the form's key."""
    page.locator("#visit-form input[name=kind][value=home]").check(force=True)
    page.locator("#visit-form input[name=guardian_present][value=ok]").check(force=True)
    page.locator("#visit-form input[name=unmet_needs][value=concern]").check(force=True)
    page.fill("#visit-form textarea[name=notes]", notes)
    return str(page.locator("#visit-form input[name=idempotency_key]").input_value())


def form_key(page: Any) -> str:
    return str(page.locator("#visit-form input[name=idempotency_key]").input_value())


def kept_pages(page: Any) -> list[str]:
    """The addresses of the record pages the worker kept (without creating its cache)."""
    return list(
        page.evaluate(
            """async (name) => (await caches.has(name))
                ? (await (await caches.open(name)).keys()).map((r) => r.url)
                : []""",
            PRIVATE_CACHE,
        )
    )


class PhoneNetwork:
    """The phone's network as the pages see it (``navigator.onLine``).

    Playwright turns the network off for the whole browser context, but Chromium 150
    shows a document loaded while it is off (the service worker serves it) as online,
    at its load and after: only the documents open when the network went off say
    offline. On a real phone every document says offline, and offline.js reads it as
    a page loads. So while the network is off, a marker cookie makes each new
    document say offline from its first script (an init script reads it), and once
    loaded its own DevTools session tells it too, so that the "online" event comes
    when the network is back, as it would on a phone.

    Two DevTools layers then say offline (Playwright's and this session's), and
    lifting either one fires the browser's own "online" event while the other still
    refuses requests: a sync started then fails, whichever goes first. A phone has
    one network, so while they are lifted the page's browser-made network events are
    held, and once both are lifted and the page says online it gets one "online"
    event.
    """

    MARK = "e2e-phone-offline"
    _CONDITIONS = {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}

    def __init__(self, page: Any, base_url: str) -> None:
        self.page, self.base_url = page, base_url
        self.session = page.context.new_cdp_session(page)
        self.offline = False
        page.context.add_init_script(
            f"if (document.cookie.split('; ').includes('{self.MARK}=1'))"
            " Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => false });"
            # Runs before the page's scripts, so it is the first listener on the window.
            " for (const kind of ['online', 'offline']) window.addEventListener(kind, (event) => {"
            "  if (window.e2eNetworkHeld && event.isTrusted) event.stopImmediatePropagation();"
            " }, true);"
        )

    def _emulate(self) -> None:
        self.session.send(
            "Network.emulateNetworkConditions", {"offline": self.offline, **self._CONDITIONS}
        )

    def off(self) -> None:
        self.offline = True
        self.page.context.set_offline(True)
        self.page.context.add_cookies([{"name": self.MARK, "value": "1", "url": self.base_url}])

    def loaded(self) -> None:
        """The page navigated with the network off: its document is told so too."""
        assert self.offline
        assert self.page.evaluate("() => navigator.onLine") is False  # from its first script
        self._emulate()

    def on(self) -> None:
        self.offline = False
        self.page.context.clear_cookies(name=self.MARK)
        # The browser's own onLine again, and its events held for this document.
        self.page.evaluate("() => { window.e2eNetworkHeld = true; delete navigator.onLine; }")
        self._emulate()
        self.page.context.set_offline(False)
        self.page.wait_for_function("() => navigator.onLine === true")
        self.page.evaluate("() => window.dispatchEvent(new Event('online'))")


def eventually(check: Callable[[], Any], seconds: float = 10) -> None:
    """Wait for what the browser or the worker does after answering."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, check
        time.sleep(0.1)


def wait_kept(page: Any, expected: list[str]) -> None:
    """Wait until the worker has kept just these record pages."""
    eventually(lambda: sorted(kept_pages(page)) == sorted(expected))
    assert sorted(kept_pages(page)) == sorted(expected)


def signed_in_as(page: Any, user: Any) -> bool:
    """Whether the page has learnt who is signed in (it asks the token endpoint)."""
    return bool(page.evaluate("() => CareCircleOffline.getMeta('user')") == user.pk)


def storage_left(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """async () => ({
                databases: (await indexedDB.databases()).map((d) => d.name),
                caches: await caches.keys(),
                workers: (await navigator.serviceWorker.getRegistrations()).length,
            })"""
        )
    )


@pytest.fixture
def child(district: dict[str, Any]) -> Minor:
    return MinorFactory.create(name="王小芳", household=HouseholdFactory.create())


@pytest.mark.e2e
def test_a_visit_recorded_offline_syncs_exactly_once(
    browser_page: BrowserPage, district: dict[str, Any], child: Minor
) -> None:
    director = build_persona(district, Role.CHILD_DIRECTOR, "A")
    page = browser_page.page
    page.set_viewport_size(PHONE)
    context = page.context
    page = sign_in(browser_page, director.username, PASSWORD)
    network = PhoneNetwork(page, browser_page.base_url)

    # Online: the first visits page installs the service worker, which then controls
    # the visits pages; the record page opened next is kept (and that page only).
    page.goto(browser_page.url("/visits/"))
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL").endswith(
        "/visits/sw.js"
    )
    assert kept_pages(page) == []
    record = browser_page.url(f"/visits/new/?minor={child.pk}")
    page.goto(record)
    assert page.locator("#visit-form").count() == 1
    wait_kept(page, [record])
    eventually(lambda: signed_in_as(page, director))  # a visit kept is theirs

    # A first visit, posted while the phone believes it is online: the post fails on the
    # network and the service worker keeps it with the key it carried (the server may
    # have got it), then shows the offline page.
    network.off()
    page.evaluate("() => Object.defineProperty(navigator, 'onLine', { get: () => true })")
    first_key = fill_visit(page, "孩子状态良好，缺少学习用品。")
    page.locator("#visit-form button[type=submit]").click()
    page.wait_for_url("**/visits/offline/?queued=1")
    wait_count(page, 1)
    [item] = queued(page)
    assert item["key"] == first_key and item["user"] == director.pk
    assert item["body"]["minors"] == [{"minor": child.pk, "risk_flags": []}]
    assert item["body"]["occurred_at"].endswith("+08:00")
    assert not Visit.objects.exists()

    # Still no network: the record page opens again, from the copy the worker kept, with
    # the child's name and a key of its own each time it is served (never the one the
    # server put in the copy, nor the first visit's).
    response = page.goto(record)
    assert response is not None and response.from_service_worker
    network.loaded()
    assert page.locator("#visit-form[data-stored-copy='1']").count() == 1
    assert "王小芳" in page.locator("#visit-form").inner_text()
    wait_count(page, 1)
    opened_key = form_key(page)
    response = page.reload()
    assert response is not None and response.from_service_worker
    network.loaded()
    wait_count(page, 1)
    second_key = form_key(page)
    assert len({first_key, opened_key, second_key}) == 3
    assert len(second_key) == 36  # made in the browser: the server's keys have no "-"

    # The second visit, in the reloaded copy: offline.js keeps it, nothing goes out.
    assert fill_visit(page, "第二次走访。") == second_key
    page.locator("#visit-form button[type=submit]").click()
    wait_count(page, 2)
    assert page.locator(QUEUE).get_attribute("data-phase") == "offline"
    assert {i["key"] for i in queued(page)} == {first_key, second_key}
    # The form is ready for the next visit, under another key.
    assert form_key(page) not in {first_key, opened_key, second_key, ""}
    assert browser_page.path() == "/visits/new/"
    page.screenshot(path=str(SHOTS / "e2e-visits-offline-queued.png"), full_page=True)
    assert not Visit.objects.exists()

    # Signing out now would delete unsent visits: the person is asked, and says no.
    with page.expect_event("dialog") as asked:
        page.locator("nav form[action='/logout/']").evaluate("(form) => form.requestSubmit()")
    assert asked.value.message.count("2") == 1
    asked.value.dismiss()
    assert browser_page.path() == "/visits/new/" and len(queued(page)) == 2

    # Pages the worker does not keep are its offline page: a list, a record page never
    # opened with a network.
    for path in ("/visits/due/", "/visits/new/"):
        response = page.goto(browser_page.url(path))
        assert response is not None and response.from_service_worker
        network.loaded()
        wait_count(page, 2)
        assert page.locator("#visit-shell").count() == 1
        assert "王小芳" not in page.content()
    page.screenshot(path=str(SHOTS / "e2e-visits-offline-shell.png"), full_page=True)

    # Back online: the queue is sent by itself, once.
    network.on()
    page.wait_for_function(
        f"() => document.querySelector('{QUEUE}').dataset.phase === 'idle'"
        f" && document.querySelector('{QUEUE}').dataset.count === '0'"
    )
    assert queued(page) == []
    assert Visit.objects.filter(idempotency_key=first_key).count() == 1
    assert Visit.objects.filter(idempotency_key=second_key).count() == 1
    assert Visit.objects.count() == 2
    first = Visit.objects.get(idempotency_key=first_key)
    assert first.recorded_by == director and first.notes == "孩子状态良好，缺少学习用品。"
    assert list(first.seen.values_list("minor_id", flat=True)) == [child.pk]
    second = Visit.objects.get(idempotency_key=second_key)
    assert second.recorded_by == director and second.notes == "第二次走访。"
    assert list(second.seen.values_list("minor_id", flat=True)) == [child.pk]
    page.screenshot(path=str(SHOTS / "e2e-visits-offline-sent.png"), full_page=True)

    # The session ends and the person follows a link: the server sends them to the
    # sign-in page, and the worker, asking and learning that the session is over,
    # deletes the record page it kept (the queue, empty now, would stay).
    assert kept_pages(page) == [record]
    Session.objects.all().delete()
    page.goto(browser_page.url("/visits/due/"))
    assert browser_page.path() == "/login/"
    wait_kept(page, [])
    assert PRIVATE_CACHE not in page.evaluate("() => caches.keys()")
    again = verified_client(director).cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": again, "url": browser_page.base_url}]
    )
    page.goto(record)
    page.wait_for_load_state("networkidle")  # its own sync has run: nothing to send
    wait_count(page, 0)
    wait_kept(page, [record])

    # Sent again (a reply lost on the way): the server finds the visit, nothing is added.
    page.evaluate("(body) => CareCircleOffline.enqueue(body, {})", item["body"])
    wait_count(page, 1)
    page.locator(f"{QUEUE} button[data-action=send]").click()
    wait_count(page, 0)
    assert queued(page) == []
    assert Visit.objects.filter(idempotency_key=first_key).count() == 1
    assert Visit.objects.count() == 2

    # The same key with other details: kept on the phone and shown, never overwritten.
    page.evaluate(
        "(body) => CareCircleOffline.enqueue(body, {})", {**item["body"], "notes": "改过的。"}
    )
    page.locator(f"{QUEUE} button[data-action=send]").click()
    page.wait_for_function(f"() => document.querySelector('{QUEUE}').dataset.problems === '1'")
    link = page.locator(f"{QUEUE} li[data-state=conflict] a")
    assert link.get_attribute("href") == f"/visits/{first.pk}/"
    first.refresh_from_db()
    assert first.notes == "孩子状态良好，缺少学习用品。"
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"{QUEUE} button[data-action=discard]").click()
    page.wait_for_function(f"() => document.querySelector('{QUEUE}').dataset.problems === '0'")
    assert queued(page) == [] and Visit.objects.count() == 2

    # A visit the server refuses (in the future): kept, with the server's words.
    future = {
        **item["body"],
        "idempotency_key": "future-visit-key",
        "occurred_at": "2099-01-01T09:00:00+08:00",
    }
    page.evaluate("(body) => CareCircleOffline.enqueue(body, {})", future)
    page.locator(f"{QUEUE} button[data-action=send]").click()
    refused = page.locator(f"{QUEUE} li[data-state=invalid]")
    with translation.override("zh-hans"):  # the browser asks in Chinese
        assert gettext("The visit cannot be in the future.") in refused.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    refused.locator("button[data-action=discard]").click()
    page.wait_for_function(f"() => document.querySelector('{QUEUE}').dataset.problems === '0'")

    # The session ended while the phone was away: the queue stops and asks to sign in,
    # and the record page kept (the children's names) is deleted at once; the queue
    # stays. After a new sign-in (a new session and CSRF token) it is sent under it.
    later = {**item["body"], "idempotency_key": "after-sign-in-key", "notes": "后来补录。"}
    page.evaluate("(body) => CareCircleOffline.enqueue(body, {})", later)
    assert kept_pages(page) == [record]
    Session.objects.all().delete()
    page.locator(f"{QUEUE} button[data-action=send]").click()
    page.wait_for_function(f"() => document.querySelector('{QUEUE}').dataset.phase === 'sign_in'")
    assert page.locator(f"{QUEUE} a[href^='/login/?next=']").count() == 1
    assert len(queued(page)) == 1 and Visit.objects.count() == 2
    assert PRIVATE_CACHE not in page.evaluate("() => caches.keys()")
    fresh = verified_client(director).cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": fresh, "url": browser_page.base_url}]
    )
    page.goto(browser_page.url("/visits/new/"))
    wait_count(page, 0)
    assert Visit.objects.filter(idempotency_key="after-sign-in-key").count() == 1
    wait_kept(page, [browser_page.url("/visits/new/")])

    # Another person signed in (a session that ended without a sign-out): the pages
    # kept before go, all but the one just fetched for the person now signed in.
    page.evaluate("() => CareCircleOffline.setMeta('user', -1)")
    page.goto(record)
    wait_count(page, 0)
    wait_kept(page, [record])
    eventually(lambda: signed_in_as(page, director))

    # The kept copy, opened while the network failed, with the network back: its form
    # never posts itself (its CSRF token may be from a session that is over), the visit
    # goes through the queue at once.
    network.off()
    response = page.reload()
    assert response is not None and response.from_service_worker
    network.loaded()
    assert page.locator("#visit-form[data-stored-copy='1']").count() == 1
    network.on()
    page.wait_for_function("() => navigator.onLine === true")
    third_key = fill_visit(page, "网络恢复后记录。")
    page.locator("#visit-form button[type=submit]").click()
    eventually(lambda: Visit.objects.filter(idempotency_key=third_key).exists())
    wait_count(page, 0)
    assert browser_page.path() == "/visits/new/" and queued(page) == []
    assert Visit.objects.filter(idempotency_key=third_key).count() == 1
    assert form_key(page) != third_key

    # Signing out there with nothing waiting asks nothing, is not refused for the copy's
    # stale token (a current one is asked for), and leaves nothing behind: no queue, no
    # cache (the record pages kept included), no worker.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    logout = page.locator("nav form[action='/logout/']")
    logout.locator("[name=csrfmiddlewaretoken]").evaluate("(input) => { input.value = 'x'; }")
    logout.evaluate("(form) => form.requestSubmit()")
    page.wait_for_url("**/login/")
    assert not Session.objects.filter(session_key=fresh).exists()
    left = storage_left(page)
    assert "carecircle-visits" not in left["databases"]  # the queue
    assert PRIVATE_CACHE not in left["caches"]
    assert left["caches"] == [] and left["workers"] == 0

    provoked = [p.format(base=browser_page.base_url) for p in PROVOKED]
    logged = [e for e in browser_page.errors if e.endswith(tuple(provoked))]
    assert len(logged) == len(provoked)
    browser_page.errors[:] = [e for e in browser_page.errors if e not in logged]
    browser_page.assert_stayed_local()
