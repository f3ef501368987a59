"""When two registry records of one child are merged, the screening history follows.

The duplicate's participations, follow-ups and key-assistance targets move to the
surviving record (``people.dedupe`` calls this inside the merge's transaction). A
campaign the survivor also took part in keeps the duplicate's participation where it
is (one per pupil and campaign); an open key target the survivor already has ends
the duplicate's, which says so.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.people.dedupe import register_merge_hook
from carecircle.people.models import Minor
from carecircle.screening.models import FollowUp, KeyTarget, Participant


@register_merge_hook
def move_screening(*, survivor: Minor, duplicate: Minor, actor: Any) -> None:
    taken = Participant.objects.filter(minor=survivor).values("campaign_id")
    Participant.objects.filter(minor=duplicate).exclude(campaign_id__in=taken).update(
        minor=survivor
    )
    FollowUp.objects.filter(minor=duplicate).update(minor=survivor)
    if KeyTarget.objects.filter(minor=survivor, ended_at__isnull=True).exists():
        KeyTarget.objects.filter(minor=duplicate, ended_at__isnull=True).update(
            ended_at=timezone.now(),
            ended_by=actor,
            end_reason=_("Merged into another record of the same child."),
        )
    KeyTarget.objects.filter(minor=duplicate).update(minor=survivor)
