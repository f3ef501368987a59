"""A child's memberships as the child's page shows them, and those a person sets by hand.

Manual memberships record a decision the rules cannot take (key assistance, a
category the facts do not show): a person opens one with a reason and ends it
with one. Rule-derived memberships are not ended here: ``refresh`` owns them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import record_change
from carecircle.people import rules
from carecircle.people.categories.refresh import _in_any_category, facts_for
from carecircle.people.categories.rulesets import current_ruleset
from carecircle.people.models import Category, CategoryMembership, Minor
from carecircle.people.permissions import can_change_minor

RECENTLY_ENDED_DAYS = 90


# --- For the child's page ---------------------------------------------------------------------


def categories_for_display(minor: Minor, on: date | None = None) -> list[CategoryMembership]:
    """The child's open memberships, then those ended in the last 90 days, newest first.

    Each row carries ``subtype_name``, the sub-type's name in the current rules.
    """
    on = on or timezone.localdate()
    rows = list(
        CategoryMembership.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on - timedelta(days=RECENTLY_ENDED_DAYS)),
            minor=minor,
        ).select_related("created_by")
    )
    ruleset = current_ruleset(on)
    names = {
        str(s.get("code")): str(s.get("name"))
        for s in (ruleset.difficulty_subtypes if ruleset else []) or []
        if isinstance(s, Mapping)
    }
    for row in rows:
        setattr(row, "subtype_name", names.get(row.subtype, row.subtype))  # noqa: B010
    return sorted(
        rows,
        key=lambda m: (
            m.valid_to is not None,
            -(m.valid_to or on).toordinal(),
            m.category,
            m.subtype,
        ),
    )


def decision_notes(minor: Minor, on: date | None = None) -> list[str]:
    """What the rules could not decide for ``minor``, naming the facts to record."""
    on = on or timezone.localdate()
    ruleset = current_ruleset(on)
    if ruleset is None or minor.pk is None:
        return []
    return rules.evaluate_with_notes(facts_for(minor), ruleset, on).notes


# --- By hand -----------------------------------------------------------------------------------


def _open_duplicate(minor: Minor, category: str, subtype: str) -> CategoryMembership | None:
    return CategoryMembership.objects.filter(
        minor=minor, category=category, subtype=subtype, valid_to__isnull=True
    ).first()


def _duplicate_message(row: CategoryMembership) -> str:
    return _(
        "This child is already in this category (%(source)s, since %(day)s). End that first "
        "if it is wrong."
    ) % {"source": row.get_source_display(), "day": row.valid_from.isoformat()}


@transaction.atomic
def category_add_manual(
    *,
    actor: Any,
    minor: Minor,
    category: str,
    subtype: str = "",
    reason: str,
    valid_from: date | None = None,
    authority: str = "",
    decision_number: str = "",
) -> CategoryMembership:
    """Put a child in a category by hand, where the rules cannot decide or do not apply."""
    if actor is None or not can_change_minor(actor, minor):
        raise PermissionDenied(_("You cannot change this child's categories."))
    today = timezone.localdate()
    ruleset = current_ruleset(today)
    reason, subtype = (reason or "").strip(), (subtype or "").strip()
    valid_from = valid_from or today
    errors: dict[str, str] = {}
    if category not in Category.values:
        errors["category"] = _("Choose a category.")
    elif not _in_any_category(facts_for(minor), today):
        errors["category"] = _("Only an active child under 18 can be put in a category.")
    else:
        limit = rules.age_limit(category, ruleset) if ruleset else None
        if limit is not None and minor.age_on(today) >= limit:
            errors["category"] = _("This category is for children under %(limit)d.") % {
                "limit": limit
            }
    subtypes = {
        str(s.get("code")): s
        for s in (ruleset.difficulty_subtypes if ruleset else []) or []
        if isinstance(s, Mapping)
    }
    bucket = ""
    if subtype and category != Category.IN_DIFFICULTY:
        errors["subtype"] = _("Only children in difficulty have sub-types.")
    elif subtype:
        if subtype not in subtypes:
            errors["subtype"] = _("Choose one of the sub-types of the current rules.")
        else:
            bucket = str(subtypes[subtype].get("bucket", "") or "")
    if category == Category.ORPHAN:
        bucket = "A" if minor.id_number else "B"
    if len(reason) < 5:
        errors["reason"] = _("Give the reason in at least 5 characters.")
    if valid_from > today:
        errors["valid_from"] = _("The start date cannot be in the future.")
    elif valid_from < minor.birth_date:
        errors["valid_from"] = _("The start date cannot be before the child's birth.")
    if "category" not in errors and (duplicate := _open_duplicate(minor, category, subtype)):
        errors["category"] = _duplicate_message(duplicate)
    if errors:
        raise ValidationError(errors)
    list(Minor.objects.select_for_update().filter(pk=minor.pk).values_list("pk", flat=True))
    membership = CategoryMembership(
        minor=minor,
        category=category,
        subtype=subtype,
        bucket=bucket,
        source=CategoryMembership.Source.MANUAL,
        reason=reason,
        valid_from=valid_from,
        authority=authority.strip()[:100],
        decision_number=decision_number.strip()[:64],
        created_by=actor,
    )
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:
        # Another person (or a rule) opened it a moment ago.
        raise ValidationError(
            {"category": _("This child is already in this category.")}, code="duplicate"
        ) from None
    record_change(
        actor=actor,
        instance=membership,
        action=AuditEvent.Action.CREATE,
        changed=[
            "category",
            "subtype",
            "bucket",
            "source",
            "valid_from",
            "reason",
            "authority",
            "decision_number",
        ],
        minor_id=minor.pk,
    )
    return membership


@transaction.atomic
def membership_end(
    *, actor: Any, membership: CategoryMembership, reason: str, on: date | None = None
) -> CategoryMembership:
    """End a manual membership; ``on`` is the last day it applied (today by default)."""
    minor = membership.minor
    if actor is None or not can_change_minor(actor, minor):
        raise PermissionDenied(_("You cannot change this child's categories."))
    today = timezone.localdate()
    on = on or today
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if membership.source == CategoryMembership.Source.RULE:
        errors["membership"] = _(
            "The rules derived this category from the child's facts, so it cannot be ended "
            "by hand: correct the child's or the guardians' details and it ends by itself."
        )
    elif membership.valid_to is not None:
        errors["membership"] = _("This category has already ended.")
    if len(reason) < 5:
        errors["reason"] = _("Give the reason in at least 5 characters.")
    if on > today:
        errors["on"] = _("The last day cannot be in the future.")
    elif on < membership.valid_from:
        errors["on"] = _("The last day cannot be before the category began (%(day)s).") % {
            "day": membership.valid_from.isoformat()
        }
    if errors:
        raise ValidationError(errors)
    membership.valid_to, membership.end_reason = on, reason[:200]
    membership.save(update_fields=["valid_to", "end_reason"])
    record_change(
        actor=actor,
        instance=membership,
        action=AuditEvent.Action.UPDATE,
        changed=["valid_to", "end_reason"],
        minor_id=minor.pk,
    )
    return membership
