"""The tips module's entries on a child's timeline (people.timeline).

Each tip the desk linked to the child (``TipMinor``), for a viewer who may read that
tip (``tips_visible_to``): its work-order number, category, status and the day it
came in. Never the reporter, nor the content: those are read on the tip itself.
A viewer who may not read the tip sees nothing of it, not even that it exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from carecircle.people.models import Minor
from carecircle.people.timeline import TimelineEntry, timeline_provider
from carecircle.tips.models import Status, TipMinor, Urgency
from carecircle.tips.permissions import tips_visible_to


def _link(pk: int) -> str:
    try:
        return reverse("tips:detail", args=[pk])
    except NoReverseMatch:
        return ""


@timeline_provider("tips.tips")
def tips(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> Iterator[TimelineEntry]:
    rows = TipMinor.objects.filter(minor=minor, tip__in=tips_visible_to(viewer))
    if before is not None:
        rows = rows.filter(tip__received_at__lt=before)
    rows = rows.select_related("tip").order_by("-tip__received_at", "-pk")
    for row in rows[:limit]:
        tip = row.tip
        if tip.is_open:
            tone = "danger" if tip.urgency == Urgency.EMERGENCY else "warning"
        else:
            tone = "secondary" if tip.status == Status.MERGED else "success"
        yield TimelineEntry(
            at=tip.received_at,
            kind="tip",
            title=_("Report %(number)s") % {"number": tip.number},
            detail=" · ".join([str(tip.get_category_display()), str(tip.get_status_display())]),
            url=_link(tip.pk),
            tone=tone,
        )
