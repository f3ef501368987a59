"""Category memberships of a child, kept in step with the facts by the rules in ``rules``.

Rule-derived memberships (``source=rule``) are owned by ``categories_refresh``:
the registry's services call it after every write to a child, a guardian or a
household, and it opens what the rules now derive, closes what they no longer
derive and leaves manual memberships alone. Manual memberships are opened and
ended by a person (``category_add_manual``, ``membership_end``) with a reason.

Conventions
    - ``valid_to`` is the last day a membership applied, inclusive (as
      ``filters.open_category_q`` reads it). A category that stops applying
      because the facts changed today applied until yesterday; one that ends at a
      birthday applied until the day before. A rule membership opened today and
      no longer derived today never applied for a whole day: it is deleted, the
      audit log keeping the trace, so that a corrected typo leaves no history.
    - While a category keeps applying, its membership stays open: a new wording
      of the reason or a new rule version is written onto it (audited); a change
      of statistical bucket (an orphan's ID number recorded: B to A) closes it and
      opens another, because the bucket is counted per period.
    - A manual membership of the same category and sub-type takes precedence: the
      rules open no second one next to it.
    - A child no longer active (moved away, aged out, deceased, merged) or aged 18
      is in no category: every open membership closes, manual ones included.
    - Reasons are stored in the site language (``settings.LANGUAGE_CODE``): they
      are data, written once, whatever the language of the person who saved.
    - A new rule version is not applied synchronously: ``ruleset_create`` queues
      one re-derivation of every active child for the day the version takes
      effect (outbox topic ``people.refresh_all``, handled in ``people.jobs``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, record_change
from carecircle.notifications.models import OutboxMessage
from carecircle.notifications.outbox import enqueue
from carecircle.people import rules
from carecircle.people.models import (
    Category,
    CategoryMembership,
    CategoryRuleSet,
    Guardian,
    Minor,
)
from carecircle.people.permissions import can_change_minor
from carecircle.regions.models import Division

RECENTLY_ENDED_DAYS = 90
REFRESH_TOPIC = "people.refresh_all"
_CHUNK = 500
_MINOR_VALUES = (
    "pk",
    "birth_date",
    "status",
    "id_number_index",
    "hukou_type",
    "hukou_code",
    "area_code",
    "health",
    "disability_type",
    "disability_grade",
    "guardianship_concern",
    "resident_since",
    "created_at",
    "household__assistance",
)
_PARENT_VALUES = (
    "minor_id",
    "relation",
    "state",
    "state_since",
    "work_place",
    "cross_county",
    "police_report_on",
    "disability_type",
    "disability_grade",
)
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


# --- Facts --------------------------------------------------------------------------------


def _facts(
    row: Mapping[str, Any], parents: Iterable[Mapping[str, Any]], urban_rural: str, tz: Any
) -> rules.Facts:
    by_relation = {
        p["relation"]: rules.ParentFacts(
            relation=p["relation"],
            state=p["state"],
            state_since=p["state_since"],
            work_place=p["work_place"] or "",
            cross_county=p["cross_county"],
            police_report_on=p["police_report_on"],
            disability_type=p["disability_type"] or "",
            disability_grade=p["disability_grade"],
        )
        for p in parents
    }
    created: datetime | None = row["created_at"]
    return rules.Facts(
        birth_date=row["birth_date"],
        status=row["status"],
        has_id_number=bool(row["id_number_index"]),
        hukou_type=row["hukou_type"] or "",
        hukou_code=row["hukou_code"] or "",
        area_code=row["area_code"] or "",
        urban_rural=urban_rural,
        # Without a recorded move-in date, the day of registration is the earliest
        # day the registry knows the child lived here.
        resident_since=row["resident_since"]
        or (created.astimezone(tz).date() if created else None),
        health=row["health"] or "",
        disability_type=row["disability_type"] or "",
        disability_grade=row["disability_grade"],
        guardianship_concern=row["guardianship_concern"],
        assistance=row["household__assistance"] or "",
        father=by_relation.get(Guardian.Relation.FATHER),
        mother=by_relation.get(Guardian.Relation.MOTHER),
    )


def _load_facts(ids: list[int], urban_rural: dict[str, str]) -> dict[int, rules.Facts]:
    """Facts of the given minors in three queries; ``urban_rural`` is a cache to fill."""
    rows = list(Minor.objects.filter(pk__in=ids).values(*_MINOR_VALUES))
    parents: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for parent in Guardian.objects.filter(minor_id__in=ids, relation__in=Guardian.PARENTS).values(
        *_PARENT_VALUES
    ):
        parents[parent["minor_id"]].append(parent)
    unknown = {row["area_code"] for row in rows} - set(urban_rural)
    if unknown:
        urban_rural.update(dict.fromkeys(unknown, ""))
        urban_rural.update(
            Division.objects.filter(code__in=unknown).values_list("code", "urban_rural")
        )
    tz = timezone.get_current_timezone()
    return {
        row["pk"]: _facts(row, parents[row["pk"]], urban_rural.get(row["area_code"], ""), tz)
        for row in rows
    }


def facts_for(minor: Minor) -> rules.Facts:
    """What the rules read about ``minor``, as saved."""
    return _load_facts([minor.pk], {})[minor.pk]


# --- Keeping memberships in step ------------------------------------------------------------


@dataclass
class _Plan:
    create: list[CategoryMembership] = field(default_factory=list)
    close: list[CategoryMembership] = field(default_factory=list)
    delete: list[CategoryMembership] = field(default_factory=list)
    update: list[CategoryMembership] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.create or self.close or self.delete or self.update)


def _new(minor_id: int, derived: rules.Derived, today: date, actor: Any) -> CategoryMembership:
    return CategoryMembership(
        minor_id=minor_id,
        category=derived.category,
        subtype=derived.subtype,
        bucket=derived.bucket,
        source=CategoryMembership.Source.RULE,
        rule_version=derived.rule_version,
        reason=derived.reason,
        valid_from=today,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _plan(
    plan: _Plan,
    minor_id: int,
    facts: rules.Facts,
    open_rows: list[CategoryMembership],
    ruleset: CategoryRuleSet,
    today: date,
    actor: Any,
) -> None:
    """Add to ``plan`` what brings ``open_rows`` in step with the rules on ``today``."""
    derived_list = rules.evaluate(facts, ruleset, today)
    derived = {d.key: d for d in derived_list}
    for row in open_rows:
        key = (row.category, row.subtype)
        wanted = derived.pop(key, None)
        if row.source == CategoryMembership.Source.MANUAL:
            if not _in_any_category(facts, today):
                _close(plan, row, *rules.ending(row.category, row.subtype, facts, ruleset, today))
            continue
        if wanted is None:
            reason, last_day = rules.ending(
                row.category, row.subtype, facts, ruleset, today, derived=derived_list
            )
            _close(plan, row, reason, last_day)
        elif wanted.bucket != row.bucket:
            _close(
                plan,
                row,
                _("Statistical bucket changed from %(old)s to %(new)s")
                % {"old": row.bucket or "-", "new": wanted.bucket or "-"},
                today - timedelta(days=1),
            )
            plan.create.append(_new(minor_id, wanted, today, actor))
        elif wanted.reason != row.reason or wanted.rule_version != row.rule_version:
            row.reason, row.rule_version = wanted.reason, wanted.rule_version
            plan.update.append(row)
    plan.create.extend(_new(minor_id, d, today, actor) for d in derived.values())


def _in_any_category(facts: rules.Facts, today: date) -> bool:
    """Whether the child may be in a category at all (active and under 18)."""
    return facts.status == Minor.Status.ACTIVE and (
        facts.birth_date > today or rules.age_on(facts.birth_date, today) < rules.ADULT_AGE
    )


def _close(plan: _Plan, row: CategoryMembership, reason: str, last_day: date) -> None:
    if row.source == CategoryMembership.Source.RULE and last_day < row.valid_from:
        plan.delete.append(row)
        return
    row.valid_to = max(last_day, row.valid_from)
    row.end_reason = reason[:200]
    plan.close.append(row)


def _open_memberships(ids: list[int]) -> dict[int, list[CategoryMembership]]:
    found: dict[int, list[CategoryMembership]] = defaultdict(list)
    for row in CategoryMembership.objects.filter(minor_id__in=ids, valid_to__isnull=True):
        found[row.minor_id].append(row)
    return found


@transaction.atomic
def categories_refresh(*, minor: Minor, actor: Any, today: date | None = None) -> None:
    """Re-derive ``minor``'s rule-based categories; every change is audited.

    Called by the services after each write to the child, a guardian or the
    household: a handful of indexed queries, and writes only when something changed.
    """
    if minor.pk is None:
        return
    today = today or timezone.localdate()
    ruleset = current_ruleset(today)
    if ruleset is None:
        return
    # Serialise refreshes of one child: two at once would both open the same category.
    list(Minor.objects.select_for_update().filter(pk=minor.pk).values_list("pk", flat=True))
    with translation.override(settings.LANGUAGE_CODE), rules.one_language():
        facts = _load_facts([minor.pk], {})
        if minor.pk not in facts:
            return
        plan = _Plan()
        _plan(
            plan,
            minor.pk,
            facts[minor.pk],
            _open_memberships([minor.pk])[minor.pk],
            ruleset,
            today,
            actor,
        )
    for row in plan.delete:
        record_change(
            actor=actor,
            instance=row,
            action=AuditEvent.Action.DELETE,
            changed=["category", "subtype", "valid_from"],
            minor_id=minor.pk,
        )
        row.delete()
    for row in plan.close:
        row.save(update_fields=["valid_to", "end_reason"])
        record_change(
            actor=actor,
            instance=row,
            action=AuditEvent.Action.UPDATE,
            changed=["category", "subtype", "valid_to", "end_reason"],
            minor_id=minor.pk,
        )
    for row in plan.update:
        row.save(update_fields=["reason", "rule_version"])
        record_change(
            actor=actor,
            instance=row,
            action=AuditEvent.Action.UPDATE,
            changed=["category", "subtype", "reason", "rule_version"],
            minor_id=minor.pk,
        )
    for row in plan.create:
        row.save()
        record_change(
            actor=actor,
            instance=row,
            action=AuditEvent.Action.CREATE,
            changed=[
                "category",
                "subtype",
                "bucket",
                "source",
                "rule_version",
                "valid_from",
                "reason",
            ],
            minor_id=minor.pk,
        )


@transaction.atomic
def categories_refresh_many(
    minors: QuerySet[Minor], *, today: date | None = None, actor: Any = None
) -> int:
    """Re-derive the categories of many minors at once; returns how many were examined.

    For the demo loader, the importer and a new rule version: facts, parents and
    open memberships are read 500 minors at a time, changes are written in bulk,
    and one SYSTEM audit event records the counts (not one event per row).
    """
    today = today or timezone.localdate()
    ruleset = current_ruleset(today)
    if ruleset is None:
        return 0
    ids = list(minors.order_by("pk").values_list("pk", flat=True))
    urban_rural: dict[str, str] = {}
    counts = {"minors": len(ids), "opened": 0, "closed": 0, "deleted": 0, "updated": 0}
    with translation.override(settings.LANGUAGE_CODE), rules.one_language():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            facts = _load_facts(chunk, urban_rural)
            open_rows = _open_memberships(chunk)
            plan = _Plan()
            for minor_id, minor_facts in facts.items():
                _plan(
                    plan, minor_id, minor_facts, open_rows.get(minor_id, []), ruleset, today, actor
                )
            if plan.empty:
                continue
            _apply_bulk(plan)
            counts["opened"] += len(plan.create)
            counts["closed"] += len(plan.close)
            counts["deleted"] += len(plan.delete)
            counts["updated"] += len(plan.update)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SYSTEM,
        object_type="people.categorymembership",
        details={"refresh": counts, "rule_version": ruleset.version, "on": today.isoformat()},
    )
    return len(ids)


def _apply_bulk(plan: _Plan) -> None:
    if plan.delete:
        CategoryMembership.objects.filter(pk__in=[row.pk for row in plan.delete]).delete()
    # Closings share a handful of (last day, reason) pairs: one UPDATE per pair.
    closings: dict[tuple[date | None, str], list[int]] = defaultdict(list)
    for row in plan.close:
        closings[(row.valid_to, row.end_reason)].append(row.pk)
    for (valid_to, end_reason), pks in closings.items():
        CategoryMembership.objects.filter(pk__in=pks).update(
            valid_to=valid_to, end_reason=end_reason
        )
    if plan.update:
        CategoryMembership.objects.bulk_update(
            plan.update, ["reason", "rule_version"], batch_size=200
        )
    if plan.create:
        CategoryMembership.objects.bulk_create(plan.create, batch_size=500)


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


# --- Rule versions -----------------------------------------------------------------------------


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
