"""The offline side of the visits pages (issue 5 item 4): what a phone needs to record
visits without a network and send them later.

- ``service_worker`` (/visits/sw.js): the worker that keeps the app shell and the
  record pages opened (``PRIVATE_CACHE``: they list the children offered, so they go at
  sign-out and as soon as the session is known to be over) and answers for the visits
  pages when the network is gone. It is served from /visits/ because a worker's scope
  cannot be wider than the folder of its script; the header ``Service-Worker-Allowed``
  says the same scope explicitly. Its text carries a version made from the shell's
  files, so that a deployment that changes one of them makes browsers install the new
  worker (which drops the old shell cache, not the record pages).
- ``manifest`` (/visits/manifest.webmanifest): makes the visits pages installable,
  with icons from this app's static files (nothing fetched from elsewhere).
- ``shell`` (/visits/offline/): the page the worker shows while offline for any visits
  page it does not keep (all but the record pages opened): the visits waiting on the
  phone, their problems and a "send now" button. It holds no personal data at all
  (the worker even fetches it without cookies), so it may be kept in the browser's
  cache; it is public for the same reason.
- ``config`` (/visits/offline/config.json): the queue's words in the reader's language
  and the addresses it uses; public, no data.
- ``token`` (/visits/offline/token/): a fresh CSRF token and the signed-in user's id,
  fetched before each sync: the session may have changed while the phone was offline
  (a new sign-in rotates the token) and the CSRF cookie is HttpOnly. Only for people
  who record visits; anonymous callers get 401, other roles 403. The browser also asks
  it to learn that a session is over (or is another person's), and then deletes the
  record pages it kept.

What is kept in the browser, and why, is explained at the top of visits/offline.js.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from carecircle.visits.models import Visit
from carecircle.visits.permissions import can_record_visits

SCOPE = "/visits/"
CACHE_PREFIX = "carecircle-visits-"
# The record pages the worker keeps. Under CACHE_PREFIX, so that whatever deletes this
# app's caches (the sign-out) deletes it too; not versioned, so that a new worker does
# not take the record page away from someone about to lose the network.
PRIVATE_CACHE = CACHE_PREFIX + "private"
# At most this many record pages (one per set of children offered), the oldest dropped.
PRIVATE_PAGES = 30
SW_TEMPLATE = "visits/offline/sw.js"
# The app shell's static files (paths under STATIC_URL): what the shell page and the
# record page load. Nothing here holds data; of the pages, only the shell page (which
# has none) is cached at install, and the record page once opened (PRIVATE_CACHE).
SHELL_STATIC = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "css/app.css",
    "js/app.js",
    "favicon.svg",
    "visits/offline.js",
    "visits/icons/icon-192.png",
    "visits/icons/icon-512.png",
    "visits/icons/icon-maskable-512.png",
)
ICONS = (
    ("visits/icons/icon-192.png", "192x192", "any"),
    ("visits/icons/icon-512.png", "512x512", "any"),
    ("visits/icons/icon-maskable-512.png", "512x512", "maskable"),
)
THEME_COLOR = "#0d6efd"

# The words of the queue panel, by the key offline.js looks them up with. "%(n)s" is
# replaced in the browser.
MESSAGES = {
    "waiting": _("Saved on this phone, %(n)s waiting to send."),
    "none_waiting": _("No visits are waiting on this phone."),
    "all_sent": _("All visits on this phone have been sent."),
    "offline": _("No network: they are sent when the phone is online again."),
    "sending": _("Sending…"),
    "retry": _("The server could not be reached. Trying again shortly."),
    "sign_in": _("Sign in again to send them."),
    "sign_in_link": _("Sign in"),
    "send_now": _("Send now"),
    "problems": _("Visits that need your attention: %(n)s."),
    "conflict_link": _("Open the visit recorded first"),
    "other_user": _("Recorded by another account: that person must sign in to send it."),
    "photos_left": _("Photos are not kept on this phone: add them on the visit's page."),
    "discard": _("Discard"),
    "discard_confirm": _("Delete this visit from the phone? It has not been recorded."),
    "already_waiting": _(
        "A visit with other details is already waiting with this form's key. "
        "Open the record page again to record another visit."
    ),
    "children": _("Children seen: %(n)s"),
    "logout_warning": _(
        "Visits not sent yet on this phone: %(n)s. Signing out deletes them from the "
        "phone. Sign out anyway?"
    ),
    "storage_failed": _("This phone could not keep the visit. Keep the page open and try again."),
}


def _url(name: str, fallback: str, **kwargs: Any) -> str:
    """A page of the visits app, or ``fallback`` while that page is not installed."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return fallback


def record_url() -> str:
    return _url("visits:visit-create", SCOPE)


def visit_url_template() -> str:
    """The visit page with ``0`` for the id; the browser puts the id in its place."""
    return _url("visits:visit-detail", _url("api:visit-detail", "", pk=0), pk=0)


def shell_assets() -> list[str]:
    """Everything the worker caches when it installs: static files and public pages."""
    pages = [
        reverse("visits-offline:shell"),
        reverse("visits-offline:config"),
        reverse("visits-offline:manifest"),
    ]
    return [*(static(path) for path in SHELL_STATIC), *pages]


def _stamp() -> tuple[tuple[str, int, int], ...]:
    """Where the shell's files are and when they changed: cheap to take per request."""
    found: list[tuple[str, int, int]] = []
    sources = [str(Path(__file__).resolve().parent / "templates" / SW_TEMPLATE)]
    for path in SHELL_STATIC:
        located = finders.find(path)
        if isinstance(located, str):
            sources.append(located)
    for source in sources:
        try:
            st = os.stat(source)
        except OSError:
            continue
        found.append((source, st.st_mtime_ns, st.st_size))
    return tuple(found)


@lru_cache(maxsize=8)
def _digest(stamp: tuple[tuple[str, int, int], ...], urls: tuple[str, ...]) -> str:
    digest = hashlib.sha256("\n".join(urls).encode())
    for source, _mtime, _size in stamp:
        with open(source, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:16]


def shell_version() -> str:
    """Changes whenever a cached file or the worker itself changes."""
    return _digest(_stamp(), tuple(shell_assets()))


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    # The worker is the same for everyone (it is fetched without a user in mind): the
    # record pages it keeps are told apart by address, and deleted by the app itself.
    config = {
        "version": shell_version(),
        "cachePrefix": CACHE_PREFIX,
        "scope": SCOPE,
        "assets": shell_assets(),
        "shell": reverse("visits-offline:shell"),
        "config": reverse("visits-offline:config"),
        "offlineJs": static("visits/offline.js"),
        "timeZone": get_current_timezone_name(),
        "record": record_url(),
        "token": reverse("visits-offline:token"),
        "privateCache": PRIVATE_CACHE,
        "privatePages": PRIVATE_PAGES,
        # No session lives longer (IdleTimeoutMiddleware): a copy older than this is
        # from a session that is over, even if the phone never got to hear of it.
        "privateMaxAge": settings.SESSION_COOKIE_AGE,
    }
    # JSON is JavaScript: only this server's addresses and a hash, nothing anyone typed.
    literal = mark_safe(json.dumps(config, ensure_ascii=False))  # noqa: S308
    text = render_to_string(SW_TEMPLATE, {"config": literal})
    response = HttpResponse(text, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = SCOPE
    return response


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "id": SCOPE,
        "name": str(_("CareCircle visits")),
        "short_name": str(_("Visits")),
        "description": str(_("Record visits to children, also without a network.")),
        "lang": get_language(),
        "start_url": record_url(),
        "scope": SCOPE,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": static(path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
    }
    body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body, content_type="application/manifest+json; charset=utf-8")


@require_safe
def shell(request: HttpRequest) -> HttpResponse:
    # Rendered without the request (no context processors, nothing of its user): the
    # worker keeps this page.
    context = {"record_url": record_url(), "theme_color": THEME_COLOR}
    return HttpResponse(render_to_string("visits/offline/shell.html", context))


@require_safe
def config(request: HttpRequest) -> JsonResponse:
    data = {
        "messages": {key: str(text) for key, text in MESSAGES.items()},
        "kinds": {str(value): str(label) for value, label in Visit.Kind.choices},
        "timeZone": get_current_timezone_name(),
        "urls": {
            "api": reverse("api:visit-list"),
            "token": reverse("visits-offline:token"),
            "login": reverse("accounts:login"),
            "logout": reverse("accounts:logout"),
            "record": record_url(),
            "visit": visit_url_template(),
        },
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@require_safe
def token(request: HttpRequest) -> JsonResponse:
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"detail": str(_("Sign in to send visits."))}, status=401)
    if not can_record_visits(user):
        return JsonResponse(
            {"detail": str(_("Your roles do not allow recording visits."))}, status=403
        )
    return JsonResponse({"csrf_token": get_token(request), "user": user.pk})
