"""The visits module's entries on a child's timeline (people.timeline).

Each visit that saw the child, as its reader may see it (``visits_visible_to``): the
kind, who recorded it, the risk flags set for this child and whether a follow-up
was asked for. Never the notes: those are read on the visit itself, audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from carecircle.people.models import Minor
from carecircle.people.timeline import TimelineEntry, timeline_provider
from carecircle.visits.flags import RiskFlag
from carecircle.visits.models import VisitMinor
from carecircle.visits.permissions import visits_visible_to
from carecircle.visits.tasks import link


@timeline_provider("visits.visits")
def visits(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> Iterator[TimelineEntry]:
    rows = VisitMinor.objects.filter(minor=minor, visit__in=visits_visible_to(viewer))
    if before is not None:
        rows = rows.filter(visit__occurred_at__lt=before)
    rows = rows.select_related("visit__recorded_by").order_by("-visit__occurred_at", "-pk")
    for row in rows[:limit]:
        visit = row.visit
        parts = [_("by %(name)s") % {"name": visit.recorded_by.display_name}]
        if row.risk_flags:
            labels = "、".join(str(RiskFlag(f).label) for f in row.risk_flags if f in RiskFlag)
            parts.append(_("Risks: %(flags)s") % {"flags": labels})
        if visit.follow_up_needed:
            parts.append(_("Follow-up needed"))
        yield TimelineEntry(
            at=visit.occurred_at,
            kind="visit",
            title=visit.get_kind_display(),
            detail=" · ".join(parts),
            url=link("visits:visit-detail", visit.pk),
            tone="danger" if row.risk_flags else ("warning" if visit.follow_up_needed else "info"),
        )
