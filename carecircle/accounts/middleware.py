from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from carecircle.accounts.permissions import is_verified, requires_second_factor

_LAST_SEEN = "_cc_last_seen"
_STARTED = "_cc_started"


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _exempt(request: HttpRequest) -> bool:
    return request.path.startswith((settings.STATIC_URL, "/i18n/"))


class IdleTimeoutMiddleware:
    """End a session after CARECIRCLE_IDLE_TIMEOUT seconds without a request, and after
    SESSION_COOKIE_AGE seconds however busy (AU-6): saving the session on activity
    would otherwise push its database expiry forward for ever."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not _exempt(request):
            now = int(time.time())
            last = request.session.get(_LAST_SEEN)
            started = int(request.session.get(_STARTED, now))
            idle = last is not None and now - int(last) > settings.CARECIRCLE_IDLE_TIMEOUT
            if idle or now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
                if _wants_json(request):
                    return JsonResponse({"detail": _("Your session has expired.")}, status=401)
                messages.info(
                    request,
                    _("You were signed out after 30 minutes without activity.")
                    if idle
                    else _("Your session has expired."),
                )
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            # Writing the session on every request would cost a DB write per click.
            if last is None or now - int(last) >= 60:
                request.session[_LAST_SEEN] = now
                request.session.setdefault(_STARTED, now)
        return self.get_response(request)


OTP_FREE_URLS = (
    "accounts:login",
    "accounts:logout",
    "accounts:otp-setup",
    "accounts:otp-verify",
)


class SecondFactorRequiredMiddleware:
    """Roles that see child data, manage accounts or read the audit log need a verified
    second factor for every page and API call made with a session (AU-3)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._free: set[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not _exempt(request) and not self._is_free(request):
            if requires_second_factor(user) and not is_verified(user):
                if _wants_json(request):
                    return JsonResponse(
                        {"detail": _("A verified second factor is required.")}, status=401
                    )
                return redirect("accounts:otp-verify")
            changing = request.path == reverse("accounts:password-change")
            if user.must_change_password and not changing:  # type: ignore[union-attr]
                if _wants_json(request):
                    return JsonResponse(
                        {"detail": _("You must change your password first.")}, status=403
                    )
                return redirect("accounts:password-change")
        return self.get_response(request)

    def _is_free(self, request: HttpRequest) -> bool:
        if self._free is None:
            self._free = {reverse(name) for name in OTP_FREE_URLS}
        return request.path in self._free


class NoStoreMiddleware:
    """Nothing a signed-in user sees may be kept by a browser or proxy cache (AU-7)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        return response
