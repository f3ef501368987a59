"""Keeping rule-derived memberships in step with the facts, for one child or many.

``categories_refresh`` is what the services call after each write (audited row
by row); ``categories_refresh_many`` is the batch form for the demo loader, the
importer and a new rule version (read 500 at a time, written in bulk, one
SYSTEM audit event). Both load the facts the same way, with ``_load_facts``, and
decide the same way, with ``_plan``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, record_change
from carecircle.crypto.bulk import bulk_insert
from carecircle.people import rules
from carecircle.people.categories.rulesets import current_ruleset
from carecircle.people.models import CategoryMembership, CategoryRuleSet, Guardian, Minor
from carecircle.regions.models import Division

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
        bulk_insert(plan.create)
