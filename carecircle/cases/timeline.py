"""The cases module's entries on a child's timeline (people.timeline).

Each case of the child, for a viewer who may read that case
(``permissions.cases_visible_to``: its team and the supervisors over its division):
its number, type, status and risk, on the day it opened. Never its summary, plan or
notes: those are read on the case itself. A viewer who may not read the case sees
nothing of it, not even that it exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from carecircle.cases.models import Risk
from carecircle.cases.permissions import cases_visible_to
from carecircle.people.models import Minor
from carecircle.people.timeline import TimelineEntry, timeline_provider

TONES: dict[str, str] = {
    Risk.GREEN.value: "success",
    Risk.YELLOW.value: "warning",
    Risk.RED.value: "danger",
    Risk.RED_CRITICAL.value: "danger",
}


def _link(pk: int) -> str:
    try:
        return reverse("cases:detail", args=[pk])
    except NoReverseMatch:
        return ""


@timeline_provider("cases.cases")
def cases(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> Iterator[TimelineEntry]:
    rows = cases_visible_to(viewer).filter(minor=minor)
    if before is not None:
        rows = rows.filter(opened_at__lt=before)
    for case in rows.order_by("-opened_at", "-pk")[:limit]:
        yield TimelineEntry(
            at=case.opened_at,
            kind="case",
            title=_("Case %(number)s opened") % {"number": case.number},
            detail=" · ".join(
                [
                    str(case.get_kind_display()),
                    str(case.get_status_display()),
                    _("risk: %(risk)s") % {"risk": case.get_risk_display()},
                ]
            ),
            url=_link(case.pk),
            tone=TONES.get(case.risk, "secondary") if case.is_open else "secondary",
        )
