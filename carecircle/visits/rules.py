"""How often each child is visited: the versioned intervals (DOMAIN.md §2, §9.3, §9.7 item 1).

There is no national visit frequency (34号文 says only "定期随访"), so the days
between visits are configuration, per key:

- a registry category (``people.models.Category``: ``orphan``, ``rural_left_behind`` …),
  by a membership in force on the day;
- ``key_target``: a key assistance target confirmed by a counselor and not ended
  (``screening.KeyTarget``);
- ``risk_red`` / ``risk_yellow``: a screening result of that level (red includes
  red-critical) submitted within the last ``CARECIRCLE_VISIT_RISK_DAYS`` (180).

A child's interval is the shortest among the keys that apply; a child to whom none
applies has no due date. The defaults are monthly for orphans, de-facto unsupported
children, key assistance targets and red or yellow results, and quarterly for the
other left-behind children and children in difficulty. Migrant children have no
default: a deployment adds them if its local rule visits them.

Each change is a new version (``visit_rules_create``), the only active one; the
previous versions stay for the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import record_change
from carecircle.people.categories.rulesets import can_manage_rules
from carecircle.people.models import Category
from carecircle.visits.models import VisitRuleSet

KEY_TARGET = "key_target"
RISK_RED = "risk_red"
RISK_YELLOW = "risk_yellow"
RULE_KEYS = (*Category.values, KEY_TARGET, RISK_RED, RISK_YELLOW)
MONTHLY, QUARTERLY = 30, 90
MAX_DAYS = 366

DEFAULT_INTERVALS: dict[str, int] = {
    Category.ORPHAN: MONTHLY,
    Category.DE_FACTO_UNSUPPORTED: MONTHLY,
    Category.KEY_ASSISTANCE: MONTHLY,
    KEY_TARGET: MONTHLY,
    RISK_RED: MONTHLY,
    RISK_YELLOW: MONTHLY,
    Category.RURAL_LEFT_BEHIND: QUARTERLY,
    Category.URBAN_LEFT_BEHIND: QUARTERLY,
    Category.IN_DIFFICULTY: QUARTERLY,
}


def active_ruleset() -> VisitRuleSet | None:
    return VisitRuleSet.objects.filter(is_active=True).first()


def active_intervals() -> dict[str, int]:
    """The days between visits per key: the active version's, or the defaults."""
    ruleset = active_ruleset()
    if ruleset is None:
        return dict(DEFAULT_INTERVALS)
    return {str(key): int(days) for key, days in ruleset.intervals.items()}


def validate_intervals(intervals: Mapping[str, Any]) -> dict[str, int]:
    """Known keys only, each a whole number of days from 1 to 366."""
    errors: list[str] = []
    cleaned: dict[str, int] = {}
    for key, days in intervals.items():
        if key not in RULE_KEYS:
            errors.append(
                _("%(key)s is not a category or a risk a visit rule can name.") % {"key": key}
            )
            continue
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            errors.append(
                _("The days between visits for %(key)s must be a whole number from 1 to 366.")
                % {"key": key}
            )
            continue
        cleaned[key] = days
    if errors:
        raise ValidationError({"intervals": errors})
    return cleaned


@transaction.atomic
def visit_rules_create(*, actor: Any, intervals: Mapping[str, Any], note: str = "") -> VisitRuleSet:
    """Make a new version of the visit intervals the active one.

    ``intervals`` is the whole rule (keys left out have no interval), not a change
    to the previous version. Only a county-wide district administrator sets rules,
    as for the category rules.
    """
    if actor is None or not can_manage_rules(actor):
        raise PermissionDenied(_("Only a district administrator can change the visit rules."))
    cleaned = validate_intervals(intervals)
    # Locked: two administrators saving at once get versions n+1 and n+2, in turn.
    latest = VisitRuleSet.objects.select_for_update().order_by("-version").first()
    VisitRuleSet.objects.filter(is_active=True).update(is_active=False)
    ruleset = VisitRuleSet.objects.create(
        version=(latest.version + 1) if latest is not None else 1,
        is_active=True,
        intervals=cleaned,
        note=note.strip(),
        created_by=actor,
    )
    record_change(
        actor=actor,
        instance=ruleset,
        action=AuditEvent.Action.CREATE,
        changed=["version", "is_active", "intervals", "note"],
        details={"intervals": cleaned},
    )
    return ruleset
