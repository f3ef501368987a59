"""Account administration: users, organisations, roles, tokens. Every write is audited.

Rules of who may do what are checked in ``permissions.py``; these functions call
them, so the pages, the API and the command line share one implementation.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import ApiToken, Organisation, RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, record_change
from carecircle.regions.models import Division


def _random_password() -> str:
    # 16 characters from a 57-symbol alphabet: ~93 bits, shown to the admin once.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def _revoke_credentials(user: User) -> None:
    """Kill every session and API token of ``user`` on their next request."""
    User.objects.filter(pk=user.pk).update(auth_epoch=F("auth_epoch") + 1)
    user.refresh_from_db(fields=["auth_epoch"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    perms.forget_assignments(user)


@transaction.atomic
def user_create(
    *, actor: Any, username: str, full_name: str, email: str = "", phone: str = ""
) -> tuple[User, str]:
    """Create an account with a random one-time password the user must change."""
    if not perms.can_manage_accounts(actor):
        raise PermissionDenied(_("Only a system administrator can create accounts."))
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("That username is taken.")})
    password = _random_password()
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email.strip(),
        phone=phone.strip(),
        must_change_password=True,
        home_prefix=sorted(perms.admin_prefixes(actor))[0],
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record_change(
        actor=actor,
        instance=user,
        action=AuditEvent.Action.CREATE,
        changed=["username", "full_name", "email", "phone"],
    )
    return user, password


@transaction.atomic
def user_update(*, actor: Any, user: User, full_name: str, email: str, phone: str) -> User:
    perms.check_manage_user(actor, user)
    changed = [
        name
        for name, value in (("full_name", full_name), ("email", email), ("phone", phone))
        if getattr(user, name) != value
    ]
    user.full_name, user.email, user.phone = full_name.strip(), email.strip(), phone.strip()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "email", "phone"])
    record_change(actor=actor, instance=user, action=AuditEvent.Action.UPDATE, changed=changed)
    return user


@transaction.atomic
def user_set_active(*, actor: Any, user: User, active: bool) -> User:
    """Deactivate (every session and token dies at once) or reactivate an account."""
    perms.check_manage_user(actor, user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    _revoke_credentials(user)
    record_change(
        actor=actor, instance=user, action=AuditEvent.Action.UPDATE, changed=["is_active"]
    )
    return user


@transaction.atomic
def user_reset_password(*, actor: Any, user: User) -> str:
    """A new random password the user must change; the admin never chooses it (ASVS 6.4.6)."""
    perms.check_manage_user(actor, user)
    password = _random_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    _revoke_credentials(user)
    record_change(actor=actor, instance=user, action=AuditEvent.Action.UPDATE, changed=["password"])
    return password


@transaction.atomic
def user_reset_second_factor(*, actor: Any, user: User) -> None:
    """Remove a lost authenticator; the user enrols a new one at next login."""
    perms.check_manage_user(actor, user)
    TOTPDevice.objects.filter(user=user).delete()
    _revoke_credentials(user)
    record_change(
        actor=actor, instance=user, action=AuditEvent.Action.UPDATE, changed=["second_factor"]
    )


def second_factor_verify(*, user: Any, token: str) -> bool:
    """Step-up: check a fresh authenticator code before a highly sensitive action
    (ASVS 7.5.3). The device records the code's time step, so it cannot be reused."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return False
    allowed, _details = device.verify_is_allowed()
    return bool(allowed and device.verify_token(token))


@transaction.atomic
def user_change_password(*, user: User, new_password: str) -> User:
    """The user's own change; other sessions end, this one is re-keyed by the caller."""
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    record_change(actor=user, instance=user, action=AuditEvent.Action.UPDATE, changed=["password"])
    return user


@transaction.atomic
def role_grant(
    *,
    actor: Any,
    user: User,
    role: str,
    division: Division | None = None,
    organisation: Organisation | None = None,
) -> RoleAssignment:
    perms.check_grant(actor, target=user, role=role, division=division, organisation=organisation)
    prefix = division.prefix if division else organisation.division.prefix  # type: ignore[union-attr]
    duplicate = RoleAssignment.objects.active().filter(
        user=user, role=role, division=division, organisation=organisation
    )
    if duplicate.exists():
        raise ValidationError(_("The user already holds this role in this scope."))
    assignment = RoleAssignment.objects.create(
        user=user,
        role=role,
        division=division,
        organisation=organisation,
        scope_prefix=prefix,
        granted_by=actor,
    )
    _revoke_credentials(user)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.GRANT,
        object_type="accounts.user",
        object_id=user.pk,
        details={"role": role, "scope": assignment.scope_label, "prefix": prefix},
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor: Any, assignment: RoleAssignment) -> RoleAssignment:
    user = assignment.user
    if user.pk == getattr(actor, "pk", None):
        raise PermissionDenied(_("Nobody can change their own roles or scopes."))
    if not perms.covers(perms.admin_prefixes(actor), assignment.scope_prefix):
        raise PermissionDenied(_("That scope is outside your own."))
    if assignment.revoked_at is not None:
        raise ValidationError(_("This role was already revoked."))
    assignment.revoked_at = timezone.now()
    assignment.revoked_by = actor
    assignment.save(update_fields=["revoked_at", "revoked_by"])
    _revoke_credentials(user)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.REVOKE,
        object_type="accounts.user",
        object_id=user.pk,
        details={"role": assignment.role, "scope": assignment.scope_label},
    )
    return assignment


@transaction.atomic
def organisation_save(
    *,
    actor: Any,
    name: str,
    kind: str,
    division: Division,
    organisation: Organisation | None = None,
    is_active: bool = True,
) -> Organisation:
    """Create or update an organisation inside the administrator's scope."""
    prefixes = perms.admin_prefixes(actor)
    if not prefixes:
        raise PermissionDenied(_("Only a system administrator can manage organisations."))
    if not perms.covers(prefixes, division.prefix):
        raise PermissionDenied(_("That division is outside your scope."))
    if organisation is not None and not perms.covers(prefixes, organisation.division.prefix):
        raise PermissionDenied(_("That organisation is outside your scope."))
    if kind not in Organisation.Kind.values:
        raise ValidationError({"kind": _("Unknown organisation kind.")})
    clash = Organisation.objects.filter(division=division, name=name.strip())
    if organisation is not None:
        clash = clash.exclude(pk=organisation.pk)
    if clash.exists():
        raise ValidationError({"name": _("An organisation of that name already exists here.")})
    creating = organisation is None
    organisation = organisation or Organisation()
    organisation.name, organisation.kind = name.strip(), kind
    organisation.division, organisation.is_active = division, is_active
    organisation.full_clean()
    organisation.save()
    record_change(
        actor=actor,
        instance=organisation,
        action=AuditEvent.Action.CREATE if creating else AuditEvent.Action.UPDATE,
        changed=["name", "kind", "division", "is_active"],
    )
    return organisation


@transaction.atomic
def api_token_create(*, user: User, name: str = "", actor: Any = None) -> tuple[ApiToken, str]:
    """Issue a token; the secret is returned once and only its digest is stored."""
    if not user.is_active:
        raise ValidationError(_("Inactive accounts cannot receive tokens."))
    secret = "cc_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:8],
        digest=ApiToken.digest_for(secret),
        epoch=user.auth_epoch,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TOKEN,
        object_type="accounts.apitoken",
        object_id=token.pk,
        details={"user": user.username, "prefix": token.prefix, "name": name},
        username="manage.py",
    )
    return token, secret


@transaction.atomic
def sysadmin_create(*, username: str, full_name: str, division: Division) -> tuple[User, str]:
    """Bootstrap a system administrator from the command line (the only way to get one)."""
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("That username is taken."))
    password = _random_password()
    user = User(
        username=username,
        full_name=full_name,
        must_change_password=True,
        home_prefix=division.prefix,
    )
    user.set_password(password)
    user.save()
    sysadmin_grant(user=user, division=division, via="create_sysadmin")
    return user, password


@transaction.atomic
def sysadmin_grant(*, user: User, division: Division, via: str) -> RoleAssignment:
    """Give ``user`` the system administrator role from outside the application.

    No in-app actor can grant this role (``permissions.check_grant``); only the
    operator of the server, through a management command, can.
    """
    assignment = RoleAssignment.objects.create(
        user=user, role=Role.SYSADMIN, division=division, scope_prefix=division.prefix
    )
    audit_record(
        actor=None,
        action=AuditEvent.Action.GRANT,
        object_type="accounts.user",
        object_id=user.pk,
        details={"role": Role.SYSADMIN, "scope": division.name, "via": via},
        username=via,
    )
    return assignment


@transaction.atomic
def users_disable_dormant(*, days: int) -> int:
    """Disable accounts unused for ``days`` (GV-5); new accounts count from creation."""
    cutoff = timezone.now() - timedelta(days=days)
    dormant = User.objects.filter(is_active=True).filter(
        Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    )
    count = 0
    for user in dormant:
        user.is_active = False
        user.save(update_fields=["is_active"])
        _revoke_credentials(user)
        audit_record(
            actor=None,
            action=AuditEvent.Action.UPDATE,
            object_type="accounts.user",
            object_id=user.pk,
            fields=["is_active"],
            details={"reason": f"dormant for {days} days"},
            username="system",
        )
        count += 1
    return count
