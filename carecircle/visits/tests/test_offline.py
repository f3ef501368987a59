"""The server's side of offline recording: the service worker's script and scope, the
web app manifest, the offline page (which the worker keeps, so it must hold nothing of
anybody), the queue's words, the CSRF token endpoint and its refusals, and the
sign-out that clears the browser."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from carecircle.accounts.models import User
from carecircle.accounts.tests.helpers import csp_directives
from carecircle.people.models import Minor
from carecircle.testing.fixtures import make_user
from carecircle.visits import offline_views
from carecircle.visits.models import OBSERVATIONS, Visit
from carecircle.visits.tests.factories import HouseholdFactory, MinorFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
SW, MANIFEST, SHELL, CONFIG, TOKEN = (
    "visits-offline:sw",
    "visits-offline:manifest",
    "visits-offline:shell",
    "visits-offline:config",
    "visits-offline:token",
)
OFFLINE_JS = Path(__file__).resolve().parents[1] / "static" / "visits" / "offline.js"


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def js_constant(name: str) -> str:
    found = re.search(rf'const {name} = "([^"]*)";', OFFLINE_JS.read_text())
    assert found, name
    return found.group(1)


# --- The service worker -----------------------------------------------------------------


def test_it_serves_the_worker_for_the_visits_scope(db: None) -> None:
    response = Client().get(reverse(SW))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/visits/"
    assert reverse(SW) == "/visits/sw.js"  # its folder is the scope it controls
    assert response["Cache-Control"] == "no-store"  # a new deployment is seen at once
    # The worker runs under the page's CSP: scripts and fetches from this origin only.
    csp = csp_directives(response)
    assert csp["script-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
    text = response.content.decode()
    assert "importScripts(CONFIG.offlineJs)" in text
    assert "eval(" not in text and "{{" not in text and "{%" not in text


def worker_config(client: Client) -> dict[str, Any]:
    text = client.get(reverse(SW)).content.decode()
    found = re.search(r"^const CONFIG = (\{.*\});$", text, re.MULTILINE)
    assert found
    return dict(json.loads(found.group(1)))


def test_it_caches_only_the_shell(db: None) -> None:
    config = worker_config(Client())
    assert config["scope"] == "/visits/" and config["shell"] == reverse(SHELL)
    assert config["offlineJs"] in config["assets"]
    pages = [url for url in config["assets"] if not url.startswith(settings.STATIC_URL)]
    # The only pages kept at install: three without data. No record page, list or visit.
    assert sorted(pages) == sorted([reverse(SHELL), reverse(CONFIG), reverse(MANIFEST)])
    for path in offline_views.SHELL_STATIC:
        assert finders.find(path), path  # a missing file would make the install fail


def test_the_worker_keeps_only_the_record_page_and_not_beyond_a_session(db: None) -> None:
    """The record page, kept in a cache of its own that the sign-out's deletion reaches
    (it is under the app's prefix) and a new worker's clean-up spares (it is not the
    versioned shell cache); a copy older than a session can live is dropped."""
    config = worker_config(Client())
    assert config["record"] == reverse("visits:visit-create") == "/visits/new/"
    assert config["record"].startswith(config["scope"])
    assert config["privateCache"] == offline_views.PRIVATE_CACHE
    assert config["privateCache"].startswith(config["cachePrefix"])
    assert config["privateCache"] != config["cachePrefix"] + config["version"]
    assert config["privateMaxAge"] == settings.SESSION_COOKIE_AGE
    assert 0 < config["privatePages"] <= 50
    assert config["token"] == reverse(TOKEN)


def test_the_record_page_the_worker_keeps_is_the_signed_in_html_page(
    personas: dict[str, User], child: Minor, client_for: ClientFor
) -> None:
    """What the worker checks before keeping a page (200, HTML), and what it takes for
    the end of a session (a redirect, 401 or 403 from the token endpoint)."""
    url = reverse("visits:visit-create") + f"?minor={child.pk}"
    page = client_for(personas["child_director"]).get(url)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "赵小燕" in page.content.decode()  # why the copy must go with the session
    assert Client().get(url).status_code == 302  # signed out: a redirect, never kept
    other_role = client_for(personas["counselor"])
    assert other_role.get(url).status_code == 403
    assert other_role.get(reverse(TOKEN)).status_code == 403
    json_accept = {"Accept": "application/json"}
    assert Client().get(reverse(TOKEN), headers=json_accept).status_code == 401


def test_every_cached_page_answers_without_cookies(db: None) -> None:
    """The worker fetches the shell without cookies: each page must answer 200 then."""
    for url in worker_config(Client())["assets"]:
        if not url.startswith(settings.STATIC_URL):
            assert Client().get(url).status_code == 200, url


def test_the_worker_version_follows_the_shell(
    db: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = worker_config(Client())["version"]
    assert worker_config(Client())["version"] == before  # stable between requests
    changed = tmp_path / "app.css"
    changed.write_text("body { color: red; }")
    stamp = offline_views._stamp()
    monkeypatch.setattr(
        offline_views, "_stamp", lambda: (*stamp, (str(changed), 1, changed.stat().st_size))
    )
    assert worker_config(Client())["version"] != before


def test_the_worker_and_queue_agree_on_the_addresses(db: None) -> None:
    assert js_constant("SW_URL") == reverse(SW)
    assert js_constant("SCOPE") == offline_views.SCOPE
    assert js_constant("MANIFEST_URL") == reverse(MANIFEST)
    assert js_constant("CONFIG_URL") == reverse(CONFIG)
    assert js_constant("CACHE_PREFIX") == offline_views.CACHE_PREFIX
    assert js_constant("PRIVATE_CACHE") == offline_views.PRIVATE_CACHE


# --- The manifest --------------------------------------------------------------------------


def test_it_makes_the_visits_pages_installable(db: None) -> None:
    response = Client().get(reverse(MANIFEST))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json; charset=utf-8"
    data = json.loads(response.content)
    assert data["scope"] == "/visits/" and data["display"] == "standalone"
    assert data["start_url"] == reverse("visits:visit-create")
    assert data["start_url"].startswith(data["scope"])
    assert data["name"] == "CareCircle visits" and data["short_name"]
    sizes = {icon["sizes"] for icon in data["icons"] if icon["purpose"] == "any"}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert icon["src"].startswith(settings.STATIC_URL)  # served here, no CDN
        found = finders.find(icon["src"].removeprefix(settings.STATIC_URL))
        assert isinstance(found, str)
        with Image.open(found) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
            assert image.format == "PNG"


# --- The offline page ----------------------------------------------------------------------


@pytest.fixture
def child(district: dict[str, Any]) -> Minor:
    return MinorFactory.create(name="赵小燕", household=HouseholdFactory.create())


def test_the_offline_page_holds_nothing_of_anybody(
    personas: dict[str, User], child: Minor, client_for: ClientFor
) -> None:
    director = personas["child_director"]
    director.full_name = "周村长"
    director.save()
    page = client_for(director).get(reverse(SHELL))
    assert page.status_code == 200
    html = page.content.decode()
    for private in ("赵小燕", "周村长", director.username, "csrfmiddlewaretoken"):
        assert private not in html
    assert 'id="visit-queue"' in html and reverse("visits:visit-create") in html
    assert "offline.js" in html and f'href="{reverse(MANIFEST)}"' in html
    # The CSP forbids inline scripts: every script comes from a file.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert "csrftoken" not in page.cookies


def test_the_offline_page_is_the_same_for_everyone(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    anonymous = Client().get(reverse(SHELL)).content
    assert client_for(personas["child_director"]).get(reverse(SHELL)).content == anonymous


# --- The queue's words ---------------------------------------------------------------------


def test_the_queue_words_come_from_the_catalogue(db: None) -> None:
    data = json.loads(Client().get(reverse(CONFIG)).content)
    assert data["messages"] == {k: str(v) for k, v in offline_views.MESSAGES.items()}
    assert data["messages"]["waiting"] == "Saved on this phone, %(n)s waiting to send."
    assert data["kinds"] == {str(k): str(v) for k, v in Visit.Kind.choices}
    assert data["timeZone"] == settings.TIME_ZONE
    urls = data["urls"]
    assert urls["api"] == reverse("api:visit-list")
    assert urls["token"] == reverse(TOKEN)
    assert urls["logout"] == reverse("accounts:logout")
    assert urls["visit"] == reverse("visits:visit-detail", kwargs={"pk": 0})


def test_the_queue_knows_every_word_in_english_too() -> None:
    """offline.js starts with the msgids (before config.json arrives): the same keys and
    the same words as MESSAGES."""
    source = OFFLINE_JS.read_text()
    start = source.index("messages: {", source.index("const config = {"))
    block = source[start : source.index("\n    },\n", start)]
    keys = re.findall(r"^      (\w+):", block, re.MULTILINE)
    assert sorted(keys) == sorted(offline_views.MESSAGES)
    flat = re.sub(r'"\s*\+\s*"', "", re.sub(r"\s+", " ", block))
    for text in offline_views.MESSAGES.values():
        assert json.dumps(str(text), ensure_ascii=False) in flat, text
    used = set(re.findall(r'say\("(\w+)"', source))
    assert used <= set(offline_views.MESSAGES)


def test_the_queue_names_the_checklist_as_the_model_does() -> None:
    source = OFFLINE_JS.read_text()
    block = source[
        source.index("const OBSERVATIONS = [") : source.index(
            "];", source.index("const OBSERVATIONS")
        )
    ]
    assert tuple(re.findall(r'"(\w+)"', block)) == OBSERVATIONS
    assert "innerHTML" not in source  # server messages are shown as text, never as HTML


# --- The token -----------------------------------------------------------------------------


def test_it_refuses_the_token_to_anonymous_callers(db: None) -> None:
    response = Client().get(reverse(TOKEN))
    assert response.status_code == 401
    assert json.loads(response.content) == {"detail": "Sign in to send visits."}


def test_it_refuses_the_token_without_a_role(db: None, client_for: ClientFor) -> None:
    response = client_for(make_user("nobody")).get(reverse(TOKEN))
    assert response.status_code == 403
    assert "csrf_token" not in json.loads(response.content)


@pytest.mark.parametrize("role", ["counselor", "school_psych_teacher", "auditor", "analyst"])
def test_it_refuses_the_token_to_roles_that_record_no_visits(
    role: str, personas: dict[str, User], client_for: ClientFor
) -> None:
    assert client_for(personas[role]).get(reverse(TOKEN)).status_code == 403


def test_it_sends_an_unverified_session_to_the_second_factor(
    personas: dict[str, User],
) -> None:
    client = Client()
    client.force_login(personas["child_director"])  # password only
    response = client.get(reverse(TOKEN))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp-verify"))


def test_it_refuses_other_methods(personas: dict[str, User], client_for: ClientFor) -> None:
    client = client_for(personas["child_director"])
    for name in (SW, MANIFEST, SHELL, CONFIG, TOKEN):
        assert client.post(reverse(name)).status_code == 405, name
        assert client.put(reverse(name)).status_code == 405, name


def test_the_token_lets_the_queue_record_a_visit_once(
    personas: dict[str, User], child: Minor
) -> None:
    """The phone's sync, step by step: a fresh token, then the API with CSRF enforced."""
    director = personas["child_director"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(director)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=director).persistent_id
    session.save()
    body = {
        "kind": "home",
        "occurred_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "minors": [{"minor": child.pk, "risk_flags": []}],
        "observations": {"guardian_present": "ok"},
        "notes": "",
        "idempotency_key": "0f0e0d0c-0b0a-4908-8706-050403020100",
    }
    url, json_type = reverse("api:visit-list"), "application/json"
    assert client.post(url, body, content_type=json_type).status_code == 403  # no token
    response = client.get(reverse(TOKEN))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    given = json.loads(response.content)
    assert given["user"] == director.pk
    headers = {"X-CSRFToken": given["csrf_token"]}
    first = client.post(url, body, content_type=json_type, headers=headers)
    again = client.post(url, body, content_type=json_type, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert Visit.objects.filter(idempotency_key=body["idempotency_key"]).count() == 1


# --- Signing out -----------------------------------------------------------------------------


def test_signing_out_clears_the_queue_and_the_shell(
    personas: dict[str, User], client_for: ClientFor
) -> None:
    """The queue (IndexedDB), the shell and the record pages kept (Cache Storage) and the
    worker all go with "storage"; "cache" is the browser's HTTP cache."""
    response = client_for(personas["child_director"]).post(reverse("accounts:logout"))
    cleared = {part.strip() for part in response["Clear-Site-Data"].split(",")}
    assert {'"cache"', '"storage"'} <= cleared
