"""Sign-in, second factor, password change and the home page."""

from __future__ import annotations

from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.accounts import services
from carecircle.accounts.forms import OtpTokenForm
from carecircle.accounts.home import home_context
from carecircle.accounts.permissions import requires_second_factor
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record

_ENROL_SESSION_KEY = "_cc_enrol_device"


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            login(request, user)
            audit_record(actor=user, action=AuditEvent.Action.LOGIN)
            if requires_second_factor(user):
                return redirect("accounts:otp-verify")
            return redirect(_safe_next(request) or "accounts:home")
        locked = getattr(request, "axes_locked_out", False)
        audit_record(
            actor=None,
            action=AuditEvent.Action.LOCKED_OUT if locked else AuditEvent.Action.LOGIN_FAILED,
            username=request.POST.get("username", "")[:150],
        )
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(actor=request.user, action=AuditEvent.Action.LOGOUT)
    logout(request)
    response = redirect("accounts:login")
    # Wipe anything the browser kept for this origin (ASVS 14.3.1).
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


def _confirmed_device(user: object) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    device = _confirmed_device(request.user)
    if device is None:
        return redirect("accounts:otp-setup")
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _details = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["otp_token"]):
            otp_login(request, device)
            return redirect(_safe_next(request) or "accounts:home")
        audit_record(actor=request.user, action=AuditEvent.Action.OTP_FAILED)
        form.add_error(
            "otp_token",
            _("The code is wrong or already used. Wait for the next code and try again.")
            if allowed
            else _("Too many wrong codes. Wait a moment before trying again."),
        )
    return render(request, "accounts/otp_verify.html", {"form": form})


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8")


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """First-login enrolment: scan the QR code, then prove it works with one code."""
    if _confirmed_device(request.user) is not None:
        return redirect("accounts:otp-verify")
    device = TOTPDevice.objects.filter(
        user=request.user, confirmed=False, pk=request.session.get(_ENROL_SESSION_KEY)
    ).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="TOTP", confirmed=False)
        request.session[_ENROL_SESSION_KEY] = device.pk
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
                audit_record(actor=request.user, action=AuditEvent.Action.OTP_ENROLLED)
            otp_login(request, device)
            request.session.pop(_ENROL_SESSION_KEY, None)
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("accounts:home")
        audit_record(actor=request.user, action=AuditEvent.Action.OTP_FAILED)
        form.add_error("otp_token", _("That code does not match. Check the phone's clock."))
    secret = b32encode(device.bin_key).decode("ascii")
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "accounts/otp_setup.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        user = services.user_change_password(
            user=request.user,  # type: ignore[arg-type]
            new_password=form.cleaned_data["new_password1"],
        )
        # Keeps this session; every other session of the user ends.
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password was changed."))
        return redirect("accounts:home")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html", home_context(request.user))
