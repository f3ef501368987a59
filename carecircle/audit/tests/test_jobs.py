from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from carecircle.accounts.models import User
from carecircle.audit.jobs import alert_heavy_browsing
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.notifications import outbox
from carecircle.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _views(user: User, children: int, *, repeat: int = 1) -> None:
    for minor_id in range(1, children + 1):
        for _ in range(repeat):
            audit_record(
                actor=user,
                action=AuditEvent.Action.VIEW,
                object_type="people.minor",
                object_id=minor_id,
                minor_id=minor_id,
            )


@override_settings(CARECIRCLE_BROWSING_ALERT=3)
def test_it_alerts_the_auditor_and_admin_over_a_heavy_browser_once(
    personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    _views(personas["child_director"], 4)
    alert_heavy_browsing()
    alert_heavy_browsing()  # the same hour: no second alert
    outbox.drain()
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"auditor_a", "district_admin_a"}
    note = Notification.objects.filter(recipient=personas["auditor"]).get()
    assert "child_director_a" in note.title and "4" in note.title
    assert note.link == "/audit/?username=child_director_a&action=view"


@override_settings(CARECIRCLE_BROWSING_ALERT=3)
def test_it_counts_distinct_children_not_page_views(personas: dict[str, User]) -> None:
    _views(personas["child_director"], 3, repeat=5)
    alert_heavy_browsing()
    outbox.drain()
    assert not Notification.objects.exists()


@override_settings(CARECIRCLE_BROWSING_ALERT=3)
def test_it_is_registered_as_a_periodic_job(db: Any) -> None:
    assert "audit.browsing_alert" in outbox.PERIODIC
