"""Key assistance targets (重点帮扶对象; issue 4, item 6): a list, then a person decides.

The list offers children, never marks them: a counselor (the centre's, or the
school's psychology teacher) reads each child's reasons and confirms the child, or
does not. A child is offered when, among the submitted results of the last
``CARECIRCLE_KEY_TARGET_LOOKBACK_DAYS`` (365) the viewer may read:

- a result was red or red-critical;
- a later round came out worse than the one before with the same instrument: a
  higher triage level, or a total higher by ``CARECIRCLE_KEY_TARGET_RISE`` (5) or more;
- a result was yellow and the child is in a registry category of vulnerable
  children (left behind, in difficulty, orphan, de-facto unsupported).

Confirming records the reasons and opens the registry category 关键帮扶对象
(``Category.KEY_ASSISTANCE``) with a neutral reason, so that the child's page and
the registry's statistics show it; the scores stay in the screening module, where
only those who run screening may read them (item 7). The cases module, once it
exists, opens a case from a confirmed target in one step.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import record_change
from carecircle.people.models import Category, CategoryMembership, Minor
from carecircle.screening.models import KeyTarget, Response
from carecircle.screening.permissions import results_visible_to

CONFIRMERS = frozenset({Role.COUNSELOR, Role.SCHOOL_PSYCH_TEACHER})
VULNERABLE = (
    Category.RURAL_LEFT_BEHIND,
    Category.URBAN_LEFT_BEHIND,
    Category.IN_DIFFICULTY,
    Category.ORPHAN,
    Category.DE_FACTO_UNSUPPORTED,
)
_RANK: dict[str, int] = {
    Response.Triage.GREEN: 0,
    Response.Triage.YELLOW: 1,
    Response.Triage.RED: 2,
    Response.Triage.RED_CRITICAL: 3,
}


@dataclass
class Candidate:
    minor: Minor
    reasons: list[str] = field(default_factory=list)
    latest: Response | None = None


def can_confirm(user: Any) -> bool:
    return bool(perms.roles_of(user) & CONFIRMERS)


def _lookback() -> timedelta:
    return timedelta(days=getattr(settings, "CARECIRCLE_KEY_TARGET_LOOKBACK_DAYS", 365))


def _rise() -> int:
    return int(getattr(settings, "CARECIRCLE_KEY_TARGET_RISE", 5))


def _when(response: Response) -> str:
    return timezone.localtime(response.submitted_at).date().isoformat()


def _reasons(results: list[Response], categories: list[str]) -> list[str]:
    reasons: list[str] = []
    for result in results:
        if result.triage in (Response.Triage.RED, Response.Triage.RED_CRITICAL):
            reasons.append(
                _("%(level)s result of %(code)s on %(day)s.")
                % {"level": result.get_triage_display(), "code": result.code, "day": _when(result)}
            )
    by_code: dict[str, list[Response]] = defaultdict(list)
    for result in results:
        by_code[result.code].append(result)
    for code, rounds in by_code.items():
        for before, after in pairwise(rounds):
            if _RANK.get(after.triage, 0) > _RANK.get(before.triage, 0):
                reasons.append(
                    _("%(code)s worse than the round before: %(before)s, then %(after)s.")
                    % {
                        "code": code,
                        "before": before.get_triage_display(),
                        "after": after.get_triage_display(),
                    }
                )
            elif (
                before.total is not None
                and after.total is not None
                and after.total - before.total >= _rise()
            ):
                reasons.append(
                    _("%(code)s total rose from %(before)s to %(after)s.")
                    % {
                        "code": code,
                        "before": f"{before.total.normalize():f}",
                        "after": f"{after.total.normalize():f}",
                    }
                )
    if categories and any(r.triage == Response.Triage.YELLOW for r in results):
        labels = "、".join(str(Category(c).label) for c in categories)
        reasons.append(
            _("A yellow result, and the child is: %(categories)s.") % {"categories": labels}
        )
    return reasons


def candidates_for(
    user: Any, *, today: date | None = None, minor: Minor | None = None
) -> list[Candidate]:
    """Children the list offers the user (or only ``minor``), each with its reasons;
    open targets excluded."""
    today = today or timezone.localdate()
    since = timezone.now() - _lookback()
    visible = results_visible_to(user)
    if minor is not None:
        visible = visible.filter(participant__minor=minor)
    results = list(
        visible.filter(submitted_at__gte=since)
        .exclude(
            participant__minor_id__in=KeyTarget.objects.filter(ended_at__isnull=True).values(
                "minor_id"
            )
        )
        .select_related("participant__minor")
        .order_by("participant__minor_id", "submitted_at", "pk")
    )
    by_minor: dict[int, list[Response]] = defaultdict(list)
    for result in results:
        by_minor[result.participant.minor_id].append(result)
    open_categories: dict[int, list[str]] = defaultdict(list)
    for minor_id, category in CategoryMembership.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today),
        minor_id__in=list(by_minor),
        category__in=VULNERABLE,
        valid_from__lte=today,
    ).values_list("minor_id", "category"):
        if category not in open_categories[minor_id]:
            open_categories[minor_id].append(category)
    offered: list[Candidate] = []
    for minor_id, rows in by_minor.items():
        reasons = _reasons(rows, open_categories.get(minor_id, []))
        if reasons:
            offered.append(Candidate(rows[0].participant.minor, reasons, rows[-1]))
    offered.sort(key=lambda c: (-_RANK.get(c.latest.triage if c.latest else "", 0), c.minor.name))
    return offered


def key_targets_visible_to(user: Any) -> QuerySet[KeyTarget]:
    minors = results_visible_to(user).values("participant__minor_id")
    return KeyTarget.objects.filter(minor_id__in=minors)


@transaction.atomic
def key_target_confirm(*, actor: Any, minor: Minor, note: str = "") -> KeyTarget:
    """Confirm a child the list offers the actor; the reasons are the list's."""
    if not can_confirm(actor):
        raise PermissionDenied(_("Only a counselor confirms key assistance targets."))
    offered = next(iter(candidates_for(actor, minor=minor)), None)
    if offered is None:
        raise ValidationError(_("This child is not on your list of proposed key targets."))
    latest = offered.latest
    target = KeyTarget(
        minor=minor,
        reasons=offered.reasons,
        school_id=latest.participant.campaign.school_id if latest is not None else None,
        note=note.strip(),
        confirmed_by=actor,
        confirmed_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise ValidationError(_("This child is already a key assistance target.")) from None
    if not CategoryMembership.objects.filter(
        minor=minor, category=Category.KEY_ASSISTANCE, valid_to__isnull=True
    ).exists():
        membership = CategoryMembership.objects.create(
            minor=minor,
            category=Category.KEY_ASSISTANCE,
            source=CategoryMembership.Source.MANUAL,
            reason=_("Confirmed by a counselor after mental-health screening."),
            valid_from=timezone.localdate(),
            created_by=actor,
        )
        record_change(
            actor=actor,
            instance=membership,
            action=AuditEvent.Action.CREATE,
            changed=["category", "source", "valid_from", "reason"],
            minor_id=minor.pk,
        )
    record_change(
        actor=actor,
        instance=target,
        action=AuditEvent.Action.CREATE,
        changed=["reasons", "note", "confirmed_by"],
        minor_id=minor.pk,
    )
    return target


@transaction.atomic
def key_target_end(*, actor: Any, target: KeyTarget, reason: str) -> KeyTarget:
    if not can_confirm(actor) or not key_targets_visible_to(actor).filter(pk=target.pk).exists():
        raise PermissionDenied(_("Only a counselor ends key assistance targets."))
    # Locked and read again: a double submit ends it once.
    target = KeyTarget.objects.select_for_update().get(pk=target.pk)
    if target.ended_at is not None:
        raise ValidationError(_("This key target has already ended."))
    reason = reason.strip()
    if len(reason) < 5:
        raise ValidationError({"reason": [_("Give the reason in at least 5 characters.")]})
    target.ended_at, target.ended_by, target.end_reason = timezone.now(), actor, reason
    target.save(update_fields=["ended_at", "ended_by", "end_reason"])
    today = timezone.localdate()
    for membership in CategoryMembership.objects.filter(
        minor=target.minor,
        category=Category.KEY_ASSISTANCE,
        source=CategoryMembership.Source.MANUAL,
        valid_to__isnull=True,
    ):
        membership.valid_to = max(today, membership.valid_from)
        membership.end_reason = _("The counselor ended the key assistance.")
        membership.save(update_fields=["valid_to", "end_reason"])
        record_change(
            actor=actor,
            instance=membership,
            action=AuditEvent.Action.UPDATE,
            changed=["valid_to", "end_reason"],
            minor_id=target.minor_id,
        )
    record_change(
        actor=actor,
        instance=target,
        action=AuditEvent.Action.UPDATE,
        changed=["ended_at", "end_reason"],
        minor_id=target.minor_id,
    )
    return target
