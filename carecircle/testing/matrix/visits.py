"""The visits' rows of the table and their objects (issue 5)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carecircle.accounts.models import User
from carecircle.testing.matrix.core import (
    CHILDREN,
    OK,
    READS_VISITS,
    RECORDS_VISITS,
    UNAUTH,
    Expect,
    Route,
)

_API: dict[str, Any] = {"anonymous": UNAUTH}

VISIT_ROUTES: dict[str, Route] = {
    "api:visit-list": Route(
        CHILDREN,
        Expect("GET", OK, READS_VISITS, **_API),
        Expect("POST", "415", RECORDS_VISITS, **_API),  # a form-encoded probe: JSON only
    ),
    "api:visit-detail": Route(CHILDREN, Expect("GET", OK, READS_VISITS, objects="visit", **_API)),
}


def build_visits(minors: dict[str, Any], recorder: User) -> dict[str, Any]:
    """A home visit to each of minors a, b and c, in the child's own village."""
    from django.utils import timezone

    from carecircle.visits.models import Visit, VisitMinor

    when = timezone.now() - timedelta(days=1)
    built: dict[str, Any] = {}
    for label, minor in minors.items():
        visit = Visit.objects.create(
            kind=Visit.Kind.HOME,
            occurred_at=when,
            recorded_by=recorder,
            area_code=minor.area_code,
            idempotency_key=f"matrix-{label}",
        )
        VisitMinor.objects.create(
            visit=visit,
            minor=minor,
            visited_on=timezone.localdate(when),
            area_code=minor.area_code,
        )
        built[f"visit_{label}"] = visit
    return built
