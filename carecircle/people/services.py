"""Writes to the registry that cross models, each audited in its own transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
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
from carecircle.people.categories import categories_refresh
from carecircle.people.idnumbers import parse_id_number
from carecircle.people.models import EmergencyAccess, Guardian, Household, Minor, SchoolClass
from carecircle.people.names import name_keys
from carecircle.people.permissions import can_change_minor, forget_emergency_grants
from carecircle.regions.codes import parse_code

# The facts of a child a form, an import or the API may set, in form order.
MINOR_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "id_number",
    "ethnicity",
    "hukou_type",
    "hukou_code",
    "area_code",
    "address",
    "resident_since",
    "household",
    "schooling",
    "school",
    "school_class",
    "boarding",
    "health",
    "illness",
    "disability_type",
    "disability_grade",
    "guardianship_concern",
    "status",
)
GUARDIAN_FIELDS = (
    "relation",
    "name",
    "phone",
    "id_number",
    "state",
    "state_since",
    "work_place",
    "work_area_code",
    "cross_county",
    "police_report_on",
    "disability_type",
    "disability_grade",
    "evidence",
    "is_entrusted",
    "entrustment_signed_on",
    "last_contact_on",
)


def _check_area(actor: Any, code: str, school: Organisation | None) -> None:
    """Refuse a residence or school outside the scopes in which ``actor`` edits minors.

    Only scopes of roles that edit minors count: a read-only role held more widely
    must not let the user register children there. ``actor`` None is the system
    (a migration, the demo loader).
    """
    if actor is None:
        return
    areas = perms.minor_prefixes(actor, MinorAccess.JURISDICTION, edit=True)
    schools = perms.minor_schools(actor, edit=True)
    if not areas and not schools:
        raise PermissionDenied(_("You cannot register children."))
    if perms.covers(areas, code) or (school is not None and school.pk in schools):
        return
    raise PermissionDenied(_("That village is outside your scope."))


def _apply_minor_fields(minor: Minor, fields: dict[str, Any]) -> list[str]:
    """Set ``fields`` on ``minor`` after normalising them; return the names that changed."""
    unknown = set(fields) - set(MINOR_FIELDS)
    if unknown:
        raise TypeError(f"not minor fields: {sorted(unknown)}")
    if "id_number" in fields:
        raw = (fields["id_number"] or "").strip()
        if raw:
            try:
                raw = parse_id_number(raw).value
            except ValidationError as exc:
                raise ValidationError({"id_number": exc.error_list}) from None
        fields["id_number"] = raw
    if "area_code" in fields:
        try:
            fields["area_code"] = parse_code(fields["area_code"])[0]
        except ValidationError as exc:
            raise ValidationError({"area_code": exc.error_list}) from None
    for text in ("name", "address", "hukou_code", "illness"):
        if text in fields:
            fields[text] = (fields[text] or "").strip()
    changed = []
    for name, value in fields.items():
        if name == "id_number":
            if value != (minor.id_number or ""):
                changed.append(name)
        elif getattr(minor, name) != value:
            changed.append(name)
        setattr(minor, name, value)
    if "name" in changed:
        minor.name_pinyin, minor.name_initials = name_keys(minor.name)
    school_class = minor.school_class
    if school_class is not None and school_class.school_id != minor.school_id:
        raise ValidationError(
            {"school_class": _("That class belongs to another school.")}, code="class_school"
        )
    return changed


def _save_minor(minor: Minor) -> None:
    try:
        minor.full_clean()
    except ValidationError as exc:
        if "id_number_index" in getattr(exc, "error_dict", {}) or any(
            "minor_unique_id_number" in m for m in exc.messages
        ):
            raise ValidationError(
                {"id_number": _("A child with this ID number is already registered.")},
                code="duplicate_id",
            ) from None
        raise
    with transaction.atomic():
        try:
            minor.save()
        except IntegrityError:
            # A concurrent registration of the same ID number won the race.
            raise ValidationError(
                {"id_number": _("A child with this ID number is already registered.")},
                code="duplicate_id",
            ) from None


@transaction.atomic
def minor_create(*, actor: Any, **fields: Any) -> Minor:
    """Register a child within the actor's editable scope; derive its categories."""
    minor = Minor()
    _apply_minor_fields(minor, dict(fields))
    _check_area(actor, minor.area_code, minor.school)
    if minor.id_number and _id_taken(minor.id_number):
        raise ValidationError(
            {"id_number": _("A child with this ID number is already registered.")},
            code="duplicate_id",
        )
    _save_minor(minor)
    record_change(
        actor=actor,
        instance=minor,
        action=AuditEvent.Action.CREATE,
        changed=[name for name in MINOR_FIELDS if name in fields],
        minor_id=minor.pk,
    )
    categories_refresh(minor=minor, actor=actor)
    return minor


@transaction.atomic
def minor_update(*, actor: Any, minor: Minor, **fields: Any) -> list[str]:
    """Change a child's facts; both the old and the new place must be in the actor's scope.

    Returns the names of the fields that changed (none: nothing is written).
    """
    if actor is not None and not can_change_minor(actor, minor):
        raise PermissionDenied(_("You cannot change this child's record."))
    changed = _apply_minor_fields(minor, dict(fields))
    if not changed:
        return []
    if {"area_code", "school"} & set(changed):
        _check_area(actor, minor.area_code, minor.school)
    if "id_number" in changed and minor.id_number and _id_taken(minor.id_number, exclude=minor):
        raise ValidationError(
            {"id_number": _("A child with this ID number is already registered.")},
            code="duplicate_id",
        )
    _save_minor(minor)
    record_change(
        actor=actor,
        instance=minor,
        action=AuditEvent.Action.UPDATE,
        changed=changed,
        minor_id=minor.pk,
    )
    categories_refresh(minor=minor, actor=actor)
    return changed


def _id_taken(id_number: str, *, exclude: Minor | None = None) -> bool:
    digest = lookup_index(Minor, "id_number_index", id_number)
    taken = Minor.objects.filter(id_number_index=digest).exclude(status=Minor.Status.MERGED)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    return taken.exists()


@transaction.atomic
def guardian_save(
    *, actor: Any, minor: Minor, guardian: Guardian | None = None, **fields: Any
) -> Guardian:
    """Add or change a guardian of ``minor``; the child's categories follow the new facts."""
    if actor is not None and not can_change_minor(actor, minor):
        raise PermissionDenied(_("You cannot change this child's record."))
    unknown = set(fields) - set(GUARDIAN_FIELDS)
    if unknown:
        raise TypeError(f"not guardian fields: {sorted(unknown)}")
    creating = guardian is None
    if guardian is None:
        guardian = Guardian(minor=minor)
    elif guardian.minor_id != minor.pk:
        raise PermissionDenied(_("That guardian belongs to another child."))
    if (fields.get("id_number") or "").strip():
        try:
            fields["id_number"] = parse_id_number(fields["id_number"]).value
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.error_list}) from None
    changed = [name for name, value in fields.items() if getattr(guardian, name) != value]
    for name, value in fields.items():
        setattr(guardian, name, value)
    if not creating and not changed:
        return guardian
    if guardian.is_parent:
        clash = Guardian.objects.filter(minor=minor, relation=guardian.relation)
        if guardian.pk:
            clash = clash.exclude(pk=guardian.pk)
        if clash.exists():
            raise ValidationError(
                {
                    "relation": _("This child already has a %(relation)s on record.")
                    % {"relation": guardian.get_relation_display()}
                },
                code="duplicate_parent",
            )
    guardian.full_clean()
    guardian.save()
    record_change(
        actor=actor,
        instance=guardian,
        action=AuditEvent.Action.CREATE if creating else AuditEvent.Action.UPDATE,
        changed=list(fields) if creating else changed,
        minor_id=minor.pk,
    )
    categories_refresh(minor=minor, actor=actor)
    return guardian


@transaction.atomic
def guardian_delete(*, actor: Any, guardian: Guardian) -> None:
    minor = guardian.minor
    if actor is not None and not can_change_minor(actor, minor):
        raise PermissionDenied(_("You cannot change this child's record."))
    record_change(
        actor=actor,
        instance=guardian,
        action=AuditEvent.Action.DELETE,
        changed=["relation"],
        minor_id=minor.pk,
    )
    guardian.delete()
    categories_refresh(minor=minor, actor=actor)


@transaction.atomic
def household_create(*, actor: Any, minor: Minor, **fields: Any) -> Household:
    """Open a household for ``minor`` at the child's address; siblings join it later."""
    if actor is not None and not can_change_minor(actor, minor):
        raise PermissionDenied(_("You cannot change this child's record."))
    household = Household(area_code=minor.area_code, address=minor.address, **fields)
    household.full_clean()
    household.save()
    record_change(
        actor=actor,
        instance=household,
        action=AuditEvent.Action.CREATE,
        changed=["area_code", "address", *fields],
        minor_id=minor.pk,
    )
    minor_update(actor=actor, minor=minor, household=household)
    return household


@transaction.atomic
def household_update(*, actor: Any, household: Household, **fields: Any) -> list[str]:
    """Change a household; every member must be within the actor's editable scope."""
    if actor is not None and any(not can_change_minor(actor, m) for m in household.members.all()):
        raise PermissionDenied(_("You cannot change this household."))
    changed = [name for name, value in fields.items() if getattr(household, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(household, name, fields[name])
    household.full_clean()
    household.save()
    members: list[Minor | None] = list(household.members.all())
    # One entry per child, so that each child's timeline (read by ``minor_id``) shows it.
    for member in members or [None]:
        record_change(
            actor=actor,
            instance=household,
            action=AuditEvent.Action.UPDATE,
            changed=changed,
            minor_id=member.pk if member else None,
        )
    for member in members:
        if member is not None:
            categories_refresh(minor=member, actor=actor)
    return changed


@transaction.atomic
def school_class_save(
    *,
    actor: Any,
    school: Organisation,
    school_class: SchoolClass | None = None,
    grade: int,
    name: str,
    head_teacher: str = "",
    is_active: bool = True,
) -> SchoolClass:
    """Add or change a class of ``school``; the actor must edit that school's pupils."""
    if actor is not None and not perms.can_manage_school(actor, school):
        raise PermissionDenied(_("You cannot manage the classes of this school."))
    creating = school_class is None
    if school_class is None:
        school_class = SchoolClass(school=school)
    elif school_class.school_id != school.pk:
        raise PermissionDenied(_("That class belongs to another school."))
    fields = {
        "grade": grade,
        "name": name.strip(),
        "head_teacher": head_teacher.strip(),
        "is_active": is_active,
    }
    changed = [k for k, v in fields.items() if getattr(school_class, k) != v]
    if not creating and not changed:
        return school_class
    for k, v in fields.items():
        setattr(school_class, k, v)
    try:
        school_class.full_clean()
    except ValidationError as exc:
        if "__all__" in getattr(exc, "error_dict", {}):
            raise ValidationError(
                {"name": _("This school already has a class of that name in that grade.")},
                code="duplicate_class",
            ) from None
        raise
    school_class.save()
    record_change(
        actor=actor,
        instance=school_class,
        action=AuditEvent.Action.CREATE if creating else AuditEvent.Action.UPDATE,
        changed=list(fields) if creating else changed,
    )
    return school_class


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
