"""Periodic checks on the audit log."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts.models import RoleAssignment
from carecircle.accounts.roles import Role
from carecircle.audit.selectors import heavy_browsers
from carecircle.notifications.models import Notification
from carecircle.notifications.outbox import periodic
from carecircle.notifications.services import notification_send


@periodic("audit.browsing_alert", every=timedelta(minutes=10))
def alert_heavy_browsing() -> None:
    """Someone opening many children's records in an hour may be copying them out.

    The auditors and district administrators whose scope covers one of that user's
    scopes are told once per user and hour.
    """
    now = timezone.now()
    threshold = settings.CARECIRCLE_BROWSING_ALERT
    for user_id, username, children in heavy_browsers(
        since=now - timedelta(hours=1), threshold=threshold
    ):
        prefixes = list(
            RoleAssignment.objects.active()
            .filter(user_id=user_id)
            .values_list("scope_prefix", flat=True)
        )
        watchers = {
            a.user_id
            for a in RoleAssignment.objects.active().filter(
                role__in=[Role.AUDITOR, Role.DISTRICT_ADMIN]
            )
            if a.user_id != user_id and any(p.startswith(a.scope_prefix) for p in prefixes)
        }
        notification_send(
            recipients=watchers,
            title=_("%(user)s opened %(n)d children's records within an hour")
            % {"user": username, "n": children},
            body=_("The alert threshold is %(threshold)d. Check the audit log for this user.")
            % {"threshold": threshold},
            link=f"/audit/?username={username}&action=view",
            level=Notification.Level.WARNING,
            dedupe_key=f"browsing:{user_id}:{now:%Y%m%d%H}",
        )
