"""The screening module's entries on a child's timeline (people.timeline).

Results are shown only to those who may read them (item 7: the school's psychology
teacher and the centre, ``permissions.results_visible_to``): the instrument and the
triage level, with a link to the follow-up when there is one. Everyone who sees the
child sees the key-assistance category itself through the registry's own entries,
with a neutral reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from carecircle.people.models import Minor
from carecircle.people.timeline import TimelineEntry, timeline_provider
from carecircle.screening.models import Response
from carecircle.screening.permissions import results_visible_to

_TONES: dict[str, str] = {
    Response.Triage.RED_CRITICAL: "danger",
    Response.Triage.RED: "danger",
    Response.Triage.YELLOW: "warning",
    Response.Triage.GREEN: "success",
}


@timeline_provider("screening.results")
def screening_results(
    viewer: Any, minor: Minor, *, before: datetime | None, limit: int
) -> Iterator[TimelineEntry]:
    results = results_visible_to(viewer).filter(participant__minor=minor)
    if before is not None:
        results = results.filter(submitted_at__lt=before)
    for result in results.prefetch_related("follow_ups").order_by("-submitted_at")[:limit]:
        if result.submitted_at is None:  # for the type checker: only submitted ones come
            continue
        follow_up = next(iter(result.follow_ups.all()), None)
        yield TimelineEntry(
            at=result.submitted_at,
            kind="screening",
            title=_("Screening questionnaire %(code)s") % {"code": result.code},
            detail=_("Triage: %(level)s") % {"level": result.get_triage_display()},
            url=reverse("screening:follow-up", args=[follow_up.pk]) if follow_up else "",
            tone=_TONES.get(result.triage, "secondary"),
        )
