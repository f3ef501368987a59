"""Which audit entries an auditor may read: those about their scope.

An entry is in scope when its child lives in the auditor's divisions, or its
actor holds or held a role there. Entries without an actor (failed logins of
unknown usernames, system jobs) are shown to auditors of a whole county or wider.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from carecircle.accounts.models import RoleAssignment
from carecircle.accounts.permissions import division_prefixes, prefix_q
from carecircle.audit.models import AuditEvent


def events_visible_to(user: Any) -> QuerySet[AuditEvent]:
    prefixes = division_prefixes(user, capability="reads_audit")
    if not prefixes:
        return AuditEvent.objects.none()
    from carecircle.people.models import Minor

    area = prefix_q("area_code", prefixes)
    staff = prefix_q("scope_prefix", prefixes)
    if area is None or staff is None:
        return AuditEvent.objects.none()
    minors = Minor.objects.filter(area).values("pk")
    actors = RoleAssignment.objects.filter(staff, user_id=OuterRef("actor_id"))
    q = Q(minor_id__in=minors) | Q(Exists(actors))
    if any(len(p) <= 6 for p in prefixes):
        q |= Q(actor_id__isnull=True)
    return AuditEvent.objects.filter(q)


def heavy_browsers(*, since: Any, threshold: int) -> list[tuple[int, str, int]]:
    """(user id, username, distinct children opened) for users above ``threshold``."""
    from django.db.models import Count

    rows = (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.VIEW, at__gte=since, actor_id__isnull=False
        )
        .exclude(minor_id__isnull=True)
        .values("actor_id", "actor_username")
        .annotate(children=Count("minor_id", distinct=True))
        .filter(children__gt=threshold)
        .order_by("actor_id")
    )
    return [(r["actor_id"], r["actor_username"], r["children"]) for r in rows]
