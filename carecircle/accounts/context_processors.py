from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.cases.permissions import reaches_cases
from carecircle.cases.referrals.permissions import reaches_referrals, receives
from carecircle.counseling.permissions import reaches_rooms
from carecircle.screening.permissions import runs_campaigns
from carecircle.screening.reports import reads_reports
from carecircle.tips.permissions import reaches_tips
from carecircle.visits.permissions import can_read_visits


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Menu entries for what the user's roles allow; the views check again on their own."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [{"url": reverse("accounts:home"), "label": _("Home")}]
    if perms.sees_child_data(user):
        items.append({"url": reverse("people:minor-list"), "label": _("Children")})
    if can_read_visits(user):
        items.append({"url": reverse("visits:home"), "label": _("Visits")})
    if reaches_tips(user):
        items.append({"url": reverse("tips:queue"), "label": _("Reports")})
    if reaches_cases(user):
        items.append({"url": reverse("cases:list"), "label": _("Cases")})
        items.append({"url": reverse("case-dashboards:overdue"), "label": _("Case dashboard")})
    if reaches_referrals(user):
        inbox = "referrals:inbox" if receives(user) else "referrals:outbox"
        items.append({"url": reverse(inbox), "label": _("Referrals")})
    if reaches_rooms(user):
        items.append({"url": reverse("counseling:room-list"), "label": _("Counseling rooms")})
    if runs_campaigns(user):
        items.append({"url": reverse("screening:campaign-list"), "label": _("Screening")})
        items.append({"url": reverse("screening:follow-ups"), "label": _("Follow-ups")})
        items.append({"url": reverse("key-targets:list"), "label": _("Key targets")})
    if reads_reports(user):
        items.append(
            {"url": reverse("screening-reports:school-list"), "label": _("Screening reports")}
        )
    if perms.can_view_stats(user):
        items.append({"url": reverse("stats:indicator-list"), "label": _("Statistics")})
    if perms.can_read_audit(user):
        items.append({"url": reverse("audit:log"), "label": _("Audit log")})
    if perms.can_manage_accounts(user):
        items.append({"url": reverse("accounts:user-list"), "label": _("Accounts")})
        items.append({"url": reverse("accounts:organisation-list"), "label": _("Organisations")})
    return {"nav_items": items}
