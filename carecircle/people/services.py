"""Writes to the registry that cross models, each audited in its own transaction."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation, RoleAssignment
from carecircle.accounts.roles import MinorAccess, Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, record_change
from carecircle.crypto.fields import lookup_index
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send
from carecircle.people.idnumbers import parse_id_number
from carecircle.people.models import EmergencyAccess, Minor
from carecircle.people.names import name_keys
from carecircle.people.permissions import can_change_minor, forget_emergency_grants
from carecircle.regions.codes import parse_code


@transaction.atomic
def minor_create(
    *,
    actor: Any,
    name: str,
    sex: str,
    birth_date: date,
    area_code: str,
    id_number: str = "",
    address: str = "",
    school: Organisation | None = None,
) -> Minor:
    """Register a child within the actor's editable scope."""
    code, _prefix, _level = parse_code(area_code)
    if actor is not None:
        # Only scopes of roles that edit minors count: a read-only role held more
        # widely must not let the user register children there.
        areas = perms.minor_prefixes(actor, MinorAccess.JURISDICTION, edit=True)
        schools = perms.minor_schools(actor, edit=True)
        if not areas and not schools:
            raise PermissionDenied(_("You cannot register children."))
        in_area = perms.covers(areas, code)
        in_school = school is not None and school.pk in schools
        if not (in_area or in_school):
            raise PermissionDenied(_("That village is outside your scope."))
    if id_number.strip():
        try:
            id_number = parse_id_number(id_number).value
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.error_list}) from None
    name = name.strip()
    name_pinyin, name_initials = name_keys(name)
    minor = Minor(
        name=name,
        name_pinyin=name_pinyin,
        name_initials=name_initials,
        sex=sex,
        birth_date=birth_date,
        area_code=code,
        id_number=id_number.strip(),
        address=address,
        school=school,
    )
    minor.full_clean()
    minor.save()
    record_change(
        actor=actor,
        instance=minor,
        action=AuditEvent.Action.CREATE,
        changed=["name", "sex", "birth_date", "area_code", "id_number", "address", "school"],
        minor_id=minor.pk,
    )
    return minor


@transaction.atomic
def minor_view(*, actor: Any, minor: Minor, fields: list[str]) -> None:
    """Record that ``actor`` is about to see ``minor``; the page renders only if this commits."""
    audit_record(
        actor=actor,
        action=AuditEvent.Action.VIEW,
        object_type="people.minor",
        object_id=minor.pk,
        minor_id=minor.pk,
        fields=fields,
    )


@transaction.atomic
def minors_listed(*, actor: Any, minor_ids: list[int]) -> None:
    """Record one batch entry for a page of identified children (SECURITY.md §7.7)."""
    if not minor_ids:
        return
    audit_record(
        actor=actor,
        action=AuditEvent.Action.LIST,
        object_type="people.minor",
        details={"ids": minor_ids[:200]},
    )


@transaction.atomic
def minor_reveal_id(*, actor: Any, minor: Minor) -> str:
    """The full ID number, for one showing; audited without the value (SECURITY.md §6).

    The caller has already re-verified the actor's second factor (step-up).
    """
    if not can_change_minor(actor, minor):
        raise PermissionDenied(_("Your roles do not allow revealing this child's ID number."))
    audit_record(
        actor=actor,
        action=AuditEvent.Action.REVEAL,
        object_type="people.minor",
        object_id=minor.pk,
        minor_id=minor.pk,
        fields=["id_number"],
    )
    return minor.id_number


def find_minor_for_emergency(*, id_number: str) -> Minor | None:
    digest = lookup_index(Minor, "id_number_index", id_number)
    return Minor.objects.filter(id_number_index=digest).first() if digest else None


@transaction.atomic
def emergency_access_grant(*, actor: Any, minor: Minor, reason: str) -> EmergencyAccess:
    """Open an out-of-scope child for a limited time; audit it and alert district admins.

    The caller has already re-verified the actor's second factor (step-up).
    """
    if not perms.can_break_glass(actor):
        raise PermissionDenied(_("Your roles do not allow emergency access to child records."))
    reason = reason.strip()
    if len(reason) < 10:
        raise ValidationError(_("Describe the emergency in at least 10 characters."))
    now = timezone.now()
    grant = EmergencyAccess.objects.create(
        user=actor,
        minor=minor,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(minutes=settings.CARECIRCLE_BREAK_GLASS_MINUTES),
    )
    forget_emergency_grants(actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.BREAK_GLASS,
        object_type="people.minor",
        object_id=minor.pk,
        minor_id=minor.pk,
        details={"reason": reason, "expires_at": grant.expires_at.isoformat()},
    )
    admins = RoleAssignment.objects.active().filter(role=Role.DISTRICT_ADMIN).exclude(user=actor)
    watchers = [a.user_id for a in admins if minor.area_code.startswith(a.scope_prefix)]
    notification_send(
        recipients=watchers,
        title=_("Emergency access to a child record by %(user)s") % {"user": actor.display_name},
        body=_("Reason: %(reason)s\nAccess ends at %(until)s.")
        % {"reason": reason, "until": timezone.localtime(grant.expires_at).strftime("%H:%M")},
        link=reverse("audit:log") + f"?minor={minor.pk}",
        level=Notification.Level.URGENT,
    )
    return grant
