"""Rule versions: the one in effect, who may read and set them, and adding the next one.

A rule version is global (one deployment serves one district) and never edited:
``ruleset_create`` copies the latest version's settings, applies the changes,
validates them (``rules.validate_subtypes`` for the sub-types, ``_BOUNDS`` for
the numbers) and queues the re-derivation of every child for the day it takes
effect.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import record_change
from carecircle.notifications.models import OutboxMessage
from carecircle.notifications.outbox import enqueue
from carecircle.people import rules
from carecircle.people.models import CategoryRuleSet

REFRESH_TOPIC = "people.refresh_all"
# The settings of a rule version a person may choose (``version`` and the author are set here).
RULESET_FIELDS = (
    "effective_from",
    "left_behind_age_limit",
    "left_behind_cutoff",
    "left_behind_min_months",
    "left_behind_cross_county",
    "migrant_age_limit",
    "migrant_min_months",
    "incapacity_min_months",
    "out_of_contact_min_months",
    "age_out_notice_days",
    "difficulty_subtypes",
    "note",
)


def current_ruleset(on: date | None = None) -> CategoryRuleSet | None:
    """The latest rule version in effect on ``on`` (today by default)."""
    on = on or timezone.localdate()
    return CategoryRuleSet.objects.filter(effective_from__lte=on).order_by("-version").first()


def can_manage_rules(user: Any) -> bool:
    """District administrators with a county-wide (or wider) scope set the rules.

    A rule version is global (one deployment serves one district), so a township
    administrator's scope is not enough.
    """
    return any(
        a.role == Role.DISTRICT_ADMIN and len(a.scope_prefix) <= 6 for a in perms.assignments(user)
    )


def can_view_rules(user: Any) -> bool:
    """District administrators and the protection centre's staff read the rules."""
    return bool(perms.roles_of(user) & {Role.DISTRICT_ADMIN, Role.CENTER_STAFF})


@transaction.atomic
def ruleset_create(*, actor: Any, **fields: Any) -> CategoryRuleSet:
    """Add the next rule version; unset settings are copied from the latest version.

    The new version applies from ``effective_from`` (today or later, never before
    the latest version's). Its re-derivation of every active child is queued for
    that day rather than run here: with 100 000 children it is a batch job.
    """
    if actor is None or not can_manage_rules(actor):
        raise PermissionDenied(_("Only a district administrator can change the category rules."))
    unknown = set(fields) - set(RULESET_FIELDS)
    if unknown:
        raise TypeError(f"not rule settings: {sorted(unknown)}")
    latest = CategoryRuleSet.objects.select_for_update().order_by("-version").first()
    values: dict[str, Any] = {
        name: getattr(latest, name) for name in RULESET_FIELDS if latest is not None
    }
    values["note"] = ""
    values.update(fields)
    today = timezone.localdate()
    errors: dict[str, Any] = {}
    effective = values.get("effective_from")
    if not isinstance(effective, date):
        errors["effective_from"] = _("Give the day from which the rules apply.")
    elif effective < today:
        errors["effective_from"] = _("New rules cannot apply to the past.")
    elif latest is not None and effective < latest.effective_from:
        errors["effective_from"] = _(
            "The rules cannot apply before version %(version)d does (%(day)s)."
        ) % {"version": latest.version, "day": latest.effective_from.isoformat()}
    try:
        values["difficulty_subtypes"] = rules.validate_subtypes(
            values.get("difficulty_subtypes", [])
        )
    except ValidationError as exc:
        errors["difficulty_subtypes"] = exc.messages
    ruleset = CategoryRuleSet(
        version=(latest.version + 1) if latest is not None else 1, created_by=actor, **values
    )
    try:
        ruleset.full_clean(exclude=list(errors))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    errors.update(_bounds(ruleset, exclude=errors))
    if errors:
        raise ValidationError(errors)
    ruleset.save()
    record_change(
        actor=actor,
        instance=ruleset,
        action=AuditEvent.Action.CREATE,
        changed=["version", *RULESET_FIELDS],
    )
    _queue_refresh(ruleset)
    return ruleset


_BOUNDS = {
    "left_behind_age_limit": (1, 18),
    "migrant_age_limit": (1, 18),
    "left_behind_min_months": (0, 60),
    "migrant_min_months": (0, 60),
    "incapacity_min_months": (0, 60),
    "out_of_contact_min_months": (0, 60),
    "age_out_notice_days": (0, 365),
}


def _bounds(ruleset: CategoryRuleSet, *, exclude: Iterable[str]) -> dict[str, str]:
    errors = {}
    for name, (low, high) in _BOUNDS.items():
        value = getattr(ruleset, name)
        if name in exclude:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors[name] = _("Enter a whole number from %(low)d to %(high)d.") % {
                "low": low,
                "high": high,
            }
    return errors


def _queue_refresh(ruleset: CategoryRuleSet) -> None:
    message = enqueue(
        REFRESH_TOPIC,
        {"version": ruleset.version},
        dedupe_key=f"{REFRESH_TOPIC}:{ruleset.version}",
    )
    start = timezone.make_aware(datetime.combine(ruleset.effective_from, time.min))
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=max(start, timezone.now()))
