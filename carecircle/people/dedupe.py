"""Duplicate records of one child: finding them, and merging one into the other.

Two live records cannot share an ID number (a unique blind index), so duplicates
are records of the same name, birth date and village, typically one entered
without an ID number. A person decides: ``minor_merge`` keeps the survivor,
completes it from the duplicate, and leaves the duplicate readable with status
``merged`` and a link to the survivor, so that its history stays where it was
written. Later modules re-point their own rows (visits, cases) with
``register_merge_hook``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.people.categories import categories_refresh
from carecircle.people.models import CategoryMembership, Minor
from carecircle.people.permissions import can_change_minor, minor_scope_q

MergeHook = Callable[..., None]  # hook(*, survivor, duplicate, actor)
_HOOKS: list[MergeHook] = []

# Facts copied from the duplicate where the survivor has none.
FILLABLE = (
    "id_number",
    "ethnicity",
    "hukou_type",
    "hukou_code",
    "address",
    "household",
    "schooling",
    "school",
    "school_class",
    "illness",
    "disability_type",
    "disability_grade",
)
GUARDIAN_FILLABLE = (
    "name",
    "phone",
    "id_number",
    "state_since",
    "work_place",
    "work_area_code",
    "cross_county",
    "police_report_on",
    "disability_type",
    "disability_grade",
    "evidence",
    "entrustment_signed_on",
    "last_contact_on",
)
MAX_GROUPS = 200


def register_merge_hook(hook: MergeHook) -> MergeHook:
    """``hook(survivor=, duplicate=, actor=)`` runs inside the merge's transaction."""
    _HOOKS.append(hook)
    return hook


@dataclass
class DuplicateGroup:
    name: str
    members: list[Minor]


def duplicate_groups(user: Any) -> list[DuplicateGroup]:
    """Live records sharing name, birth date and village, among those ``user`` may change.

    Only editable records: someone who cannot merge them has nothing to do with them.
    """
    scope = minor_scope_q(user, edit=True)
    if scope is None:
        return []
    live = Minor.objects.filter(scope).exclude(status=Minor.Status.MERGED)
    keys = list(
        live.values("name", "birth_date", "area_code")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("area_code", "name", "birth_date")[:MAX_GROUPS]
    )
    if not keys:
        return []
    match = Q()
    for key in keys:
        match |= Q(name=key["name"], birth_date=key["birth_date"], area_code=key["area_code"])
    groups: dict[tuple[str, Any, str], DuplicateGroup] = {}
    for minor in live.filter(match).select_related("school").order_by("pk"):
        group_key = (minor.name, minor.birth_date, minor.area_code)
        groups.setdefault(group_key, DuplicateGroup(minor.name, [])).members.append(minor)
    return [groups[k] for k in sorted(groups, key=lambda k: (k[2], k[0], k[1]))]


def _empty(value: object) -> bool:
    return value is None or value == ""


def check_merge(*, actor: Any, survivor: Minor, duplicate: Minor) -> None:
    """Raise ValidationError or PermissionDenied unless the merge may go ahead."""
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("A record cannot be merged into itself."))
    if Minor.Status.MERGED in (survivor.status, duplicate.status):
        raise ValidationError(_("One of these records has already been merged."))
    if actor is not None and not (
        can_change_minor(actor, survivor) and can_change_minor(actor, duplicate)
    ):
        raise PermissionDenied(_("You cannot change both records."))
    if survivor.id_number and duplicate.id_number and survivor.id_number != duplicate.id_number:
        raise ValidationError(
            _("The two records have different ID numbers: they are two children, not one.")
        )


@transaction.atomic
def minor_merge(*, actor: Any, survivor: Minor, duplicate: Minor, reason: str) -> Minor:
    """Merge ``duplicate`` into ``survivor``; the duplicate stays, marked merged."""
    reason = reason.strip()
    if len(reason) < 4:
        raise ValidationError(_("Say in a few words why these are the same child."))
    # Re-read under lock: the pair must not change between the check and the merge.
    locked = {
        m.pk: m
        for m in Minor.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
    }
    survivor, duplicate = locked.get(survivor.pk, survivor), locked.get(duplicate.pk, duplicate)
    check_merge(actor=actor, survivor=survivor, duplicate=duplicate)
    filled = [
        name
        for name in FILLABLE
        if _empty(getattr(survivor, name)) and not _empty(getattr(duplicate, name))
    ]
    values = {name: getattr(duplicate, name) for name in filled}
    duplicate.status = Minor.Status.MERGED
    duplicate.merged_into = survivor
    if "household" in filled:
        duplicate.household = None  # the survivor takes the household; no phantom sibling
    duplicate.save()
    for name, value in values.items():
        setattr(survivor, name, value)
    survivor.save()
    moved = _merge_guardians(survivor, duplicate)
    categories_moved = _merge_categories(survivor, duplicate, actor=actor)
    for hook in _HOOKS:
        hook(survivor=survivor, duplicate=duplicate, actor=actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.MERGE,
        object_type="people.minor",
        object_id=survivor.pk,
        minor_id=survivor.pk,
        fields=filled,
        details={
            "survivor": survivor.pk,
            "duplicate": duplicate.pk,
            "reason": reason,
            "guardians_moved": moved,
            "categories_moved": categories_moved,
        },
    )
    categories_refresh(minor=survivor, actor=actor)
    return survivor


def _merge_guardians(survivor: Minor, duplicate: Minor) -> int:
    """Move the duplicate's guardians; a parent or entrusted guardian the survivor
    already has is completed from the duplicate's instead of doubled."""
    kept = list(survivor.guardians.all())
    moved = 0
    for guardian in duplicate.guardians.all():
        twin = next(
            (
                g
                for g in kept
                if (guardian.is_parent and g.relation == guardian.relation)
                or (guardian.is_entrusted and g.is_entrusted)
                or (guardian.name and g.name == guardian.name and g.relation == guardian.relation)
            ),
            None,
        )
        if twin is None:
            guardian.minor = survivor
            guardian.save(update_fields=["minor", "updated_at"])
            kept.append(guardian)
            moved += 1
            continue
        gaps = [
            name
            for name in GUARDIAN_FILLABLE
            if _empty(getattr(twin, name)) and not _empty(getattr(guardian, name))
        ]
        for name in gaps:
            setattr(twin, name, getattr(guardian, name))
        if gaps:
            twin.save()
    return moved


def _merge_categories(survivor: Minor, duplicate: Minor, *, actor: Any) -> int:
    """Manual categories move to the survivor; the duplicate's open ones end today."""
    today = timezone.localdate()
    open_on_survivor = set(
        survivor.categories.filter(valid_to__isnull=True).values_list("category", "subtype")
    )
    moved = 0
    for membership in duplicate.categories.filter(valid_to__isnull=True):
        key = (membership.category, membership.subtype)
        if membership.source == CategoryMembership.Source.MANUAL and key not in open_on_survivor:
            membership.minor = survivor
            membership.save(update_fields=["minor"])
            open_on_survivor.add(key)
            moved += 1
        else:
            membership.valid_to = max(today, membership.valid_from)
            membership.end_reason = _("Record merged into #%(pk)d") % {"pk": survivor.pk}
            membership.save(update_fields=["valid_to", "end_reason"])
    return moved
