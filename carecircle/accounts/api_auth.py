"""API authentication: hashed integration tokens, and the same second-factor rule as pages."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from carecircle.accounts.models import ApiToken
from carecircle.accounts.permissions import is_verified, requires_second_factor


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <secret>``. A token dies with a role change or deactivation."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"token", b"bearer"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed token header."))
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Malformed token header.")) from exc
        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.digest_for(secret))
            .first()
        )
        if token is None or not token.is_usable():
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IsVerifiedStaff(permissions.BasePermission):
    """Authenticated, active, and second factor verified where the roles require one.

    An integration token was issued out of band by an administrator and is bound to
    the account's authorisation epoch, so it stands in for the interactive factor.
    """

    message = _("Authentication with a verified second factor is required.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False
        if isinstance(request.auth, ApiToken):
            return True
        return not requires_second_factor(user) or is_verified(user)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "carecircle.accounts.api_auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token <secret>, issued by `manage.py create_api_token USERNAME`.",
        }
