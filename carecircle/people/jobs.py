"""Periodic work on the registry: categories ending at 16 and 18 (DOMAIN.md §9.2).

``people.age_out`` runs daily. It

1. marks children who have turned 18 as aged out and closes all their categories;
2. re-derives the children whose birthday ended an age-limited category (the
   left-behind limit when the rules have no cut-off date, the migrant limit);
3. tells the child directors whose village covers a child, ``age_out_notice_days``
   ahead, which of the child's categories end on that birthday: once per child
   and birthday, remembered in the audit log (an outbox key alone would be
   forgotten when delivered messages are purged after 30 days).

Every query is a birth-date range on an indexed column, never a scan of all
children. A missed day is caught up: steps 1 and 2 take every child past the
limit who still has the category, and step 3 every birthday in the window.
The notice names no child (it may go out by e-mail): it links to the record.

The outbox handler ``people.refresh_all`` re-derives every active child when a
new rule version takes effect (queued by ``categories.ruleset_create``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecircle.accounts.models import RoleAssignment
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, record_change
from carecircle.notifications.models import OutboxMessage
from carecircle.notifications.outbox import handler, periodic
from carecircle.notifications.services import notification_send
from carecircle.people import rules
from carecircle.people.categories import (
    REFRESH_TOPIC,
    categories_refresh,
    categories_refresh_many,
    current_ruleset,
)
from carecircle.people.models import Category, CategoryMembership, CategoryRuleSet, Minor

NOTICE_OBJECT = "people.age_out_notice"


@dataclass
class AgeOutResult:
    aged_out: int = 0
    refreshed: int = 0
    notices: int = 0


@periodic("people.age_out", every=timedelta(days=1))
def age_out() -> None:
    age_out_run()


def _open_rule_q(categories: tuple[str, ...]) -> Q:
    return Q(
        Exists(
            CategoryMembership.objects.filter(
                minor=OuterRef("pk"),
                category__in=categories,
                source=CategoryMembership.Source.RULE,
                valid_to__isnull=True,
            )
        )
    )


def _limits(ruleset: CategoryRuleSet) -> dict[int, tuple[str, ...]]:
    """Birthdays before 18 that end rule categories, and which ones."""
    limits: dict[int, tuple[str, ...]] = defaultdict(tuple)
    for category in (*rules.LEFT_BEHIND, Category.MIGRANT):
        limit = rules.age_limit(category, ruleset)
        if limit is not None and limit < rules.ADULT_AGE:
            limits[limit] += (category,)
    return dict(limits)


def age_out_run(*, today: date | None = None) -> AgeOutResult:
    """One run of the job for ``today``; each child in its own transaction."""
    today = today or timezone.localdate()
    result = AgeOutResult()
    ruleset = current_ruleset(today)
    adults = Minor.objects.filter(
        status=Minor.Status.ACTIVE, birth_date__lte=rules.years_before(today, rules.ADULT_AGE)
    )
    for minor in adults.only("pk", "status", "birth_date").iterator():
        with transaction.atomic():
            Minor.objects.filter(pk=minor.pk).update(status=Minor.Status.AGED_OUT)
            minor.status = Minor.Status.AGED_OUT
            record_change(
                actor=None,
                instance=minor,
                action=AuditEvent.Action.UPDATE,
                changed=["status"],
                minor_id=minor.pk,
            )
            categories_refresh(minor=minor, actor=None, today=today)
        result.aged_out += 1
    if ruleset is None:
        return result
    for limit, categories in _limits(ruleset).items():
        due = Minor.objects.filter(
            _open_rule_q(categories),
            status=Minor.Status.ACTIVE,
            birth_date__lte=rules.years_before(today, limit),
        )
        for minor in due.only("pk").iterator():
            categories_refresh(minor=minor, actor=None, today=today)
            result.refreshed += 1
    result.notices = _send_notices(ruleset, today)
    return result


def _ending_soon(ruleset: CategoryRuleSet, today: date) -> dict[tuple[int, int], set[str]]:
    """(minor, age) -> categories ending at that birthday within the notice window."""
    first, last = today + timedelta(days=1), today + timedelta(days=ruleset.age_out_notice_days)
    thresholds: list[tuple[int, tuple[str, ...] | None]] = [
        *_limits(ruleset).items(),
        (rules.ADULT_AGE, None),
    ]
    ending: dict[tuple[int, int], set[str]] = defaultdict(set)
    if last < first:
        return ending
    for age, categories in thresholds:
        # One day wider on each side, then exact: a 29 February birthday moves to 1 March.
        births = (
            rules.years_before(first, age) - timedelta(days=1),
            rules.years_before(last, age) + timedelta(days=1),
        )
        memberships = CategoryMembership.objects.filter(
            valid_to__isnull=True,
            minor__status=Minor.Status.ACTIVE,
            minor__birth_date__range=births,
        )
        if categories is not None:
            memberships = memberships.filter(
                category__in=categories, source=CategoryMembership.Source.RULE
            )
        for minor_id, born, category in memberships.values_list(
            "minor_id", "minor__birth_date", "category"
        ):
            if first <= rules.birthday(born, age) <= last:
                ending[(minor_id, age)].add(category)
    return ending


def _directors() -> list[tuple[int, str]]:
    return list(
        RoleAssignment.objects.active()
        .filter(role=Role.CHILD_DIRECTOR, user__is_active=True)
        .values_list("user_id", "scope_prefix")
    )


def _send_notices(ruleset: CategoryRuleSet, today: date) -> int:
    ending = _ending_soon(ruleset, today)
    if not ending:
        return 0
    minors = {
        m["pk"]: m
        for m in Minor.objects.filter(pk__in={k[0] for k in ending}).values(
            "pk", "area_code", "birth_date"
        )
    }
    told = set(
        AuditEvent.objects.filter(
            minor_id__in=list(minors), action=AuditEvent.Action.SYSTEM, object_type=NOTICE_OBJECT
        ).values_list("minor_id", "object_id")
    )
    directors = _directors()
    sent = 0
    for (minor_id, age), categories in sorted(ending.items()):
        minor = minors[minor_id]
        day = rules.birthday(minor["birth_date"], age)
        key = f"{age}:{day.isoformat()}"
        if (minor_id, key) in told:
            continue
        recipients = [uid for uid, prefix in directors if minor["area_code"].startswith(prefix)]
        if not recipients:
            continue  # tried again tomorrow: a director may be appointed meanwhile
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            labels = "、".join(str(Category(c).label) for c in Category.values if c in categories)
            notification_send(
                recipients=recipients,
                title=_("A child's categories end on %(day)s") % {"day": day.isoformat()},
                body=_(
                    "The child turns %(age)d on %(day)s. These categories end then: "
                    "%(categories)s. Plan the follow-up before that day."
                )
                % {"age": age, "day": day.isoformat(), "categories": labels},
                link=reverse("people:minor-detail", args=[minor_id]),
                dedupe_key=f"{NOTICE_OBJECT}:{minor_id}:{key}",
            )
            audit_record(
                actor=None,
                action=AuditEvent.Action.SYSTEM,
                object_type=NOTICE_OBJECT,
                object_id=key,
                minor_id=minor_id,
                details={"categories": sorted(categories), "recipients": recipients},
            )
        sent += 1
    return sent


@handler(REFRESH_TOPIC)
def refresh_all(message: OutboxMessage) -> None:
    """Re-derive every active child under the rule version named in the message."""
    version = message.payload["version"]
    ruleset = current_ruleset()
    if ruleset is None or ruleset.version < version:
        # Not in effect yet: fail, and the outbox tries again later.
        raise RuntimeError(f"rule version {version} is not in effect yet")
    if ruleset.version > version:
        return  # a later version superseded it and has its own message
    categories_refresh_many(Minor.objects.filter(status=Minor.Status.ACTIVE))
