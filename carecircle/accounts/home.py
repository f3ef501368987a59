"""The home page: what each of the user's roles needs first, from the user's own scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from carecircle.accounts import permissions as perms
from carecircle.notifications.models import Notification


def _minor_cards(user: Any) -> list[dict[str, Any]]:
    from django.db.models import Count

    from carecircle.people.models import Minor
    from carecircle.people.permissions import minors_visible_to

    counts = dict(minors_visible_to(user).values_list("status").annotate(n=Count("id")).order_by())
    return [
        {"label": label, "value": counts.get(value, 0), "unit": "人"}
        for value, label in Minor.Status.choices
    ]


def _stats_cards(user: Any) -> list[dict[str, Any]]:
    from carecircle.stats.selectors import indicator_rows

    today = timezone.localdate()
    rows = indicator_rows(user=user, start=today.replace(month=1, day=1), end=today)
    return [
        {"label": r["name"], "value": r["value"], "unit": r["unit"], "definition": r["definition"]}
        for r in rows
        if r["id"].startswith("staff.")
    ]


def _admin_cards(user: Any) -> list[dict[str, Any]]:
    from django.utils.translation import gettext as _

    users = perms.users_visible_to(user)
    return [
        {"label": _("Accounts in your scope"), "value": users.count(), "unit": "个"},
        {
            "label": _("Active accounts"),
            "value": users.filter(is_active=True).count(),
            "unit": "个",
        },
        {
            "label": _("Organisations"),
            "value": perms.organisations_visible_to(user).count(),
            "unit": "个",
        },
    ]


def _audit_cards(user: Any) -> list[dict[str, Any]]:
    from django.utils.translation import gettext as _

    from carecircle.audit.models import AuditEvent
    from carecircle.audit.selectors import events_visible_to

    since = timezone.now() - timedelta(days=7)
    events = events_visible_to(user).filter(at__gte=since)
    return [
        {"label": _("Audit events, last 7 days"), "value": events.count(), "unit": "件"},
        {
            "label": _("Emergency accesses, last 7 days"),
            "value": events.filter(action=AuditEvent.Action.BREAK_GLASS).count(),
            "unit": "件",
        },
        {
            "label": _("Access denials, last 7 days"),
            "value": events.filter(action=AuditEvent.Action.DENIED).count(),
            "unit": "件",
        },
    ]


def home_context(user: Any) -> dict[str, Any]:
    sections: dict[str, list[dict[str, Any]]] = {}
    if perms.sees_child_data(user):
        sections["minors"] = _minor_cards(user)
    if perms.can_view_stats(user):
        sections["staff"] = _stats_cards(user)
    if perms.can_manage_accounts(user):
        sections["accounts"] = _admin_cards(user)
    if perms.can_read_audit(user):
        sections["audit"] = _audit_cards(user)
    return {
        "assignments": perms.assignments(user),
        "sections": sections,
        "notifications": Notification.objects.filter(recipient=user)[:10],
        "can_break_glass": perms.can_break_glass(user),
    }
