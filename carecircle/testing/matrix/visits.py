"""The visits' rows of the table and their objects (issue 5)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carecircle.accounts.models import User
from carecircle.testing.matrix.core import (
    API,
    CHILDREN,
    INVALID,
    OK,
    PUBLIC,
    READS_VISITS,
    RECORDS_VISITS,
    Expect,
    R,
    Route,
    to,
)

_SUPERVISOR = frozenset[str]({R.CHILD_SUPERVISOR})
_DIRECTOR = frozenset[str]({R.CHILD_DIRECTOR})
_ADMIN = frozenset[str]({R.DISTRICT_ADMIN})

VISIT_ROUTES: dict[str, Route] = {
    "api:visit-list": Route(
        CHILDREN,
        Expect("GET", OK, READS_VISITS, **API),
        Expect("POST", "415", RECORDS_VISITS, **API),  # a form-encoded probe: JSON only
    ),
    "api:visit-detail": Route(CHILDREN, Expect("GET", OK, READS_VISITS, objects="visit", **API)),
    # The installable app's files hold no data: browsers fetch the manifest and the
    # worker fetches its cached pages without cookies.
    "visits-offline:sw": Route(PUBLIC, Expect("GET", OK, anonymous=OK)),
    "visits-offline:manifest": Route(PUBLIC, Expect("GET", OK, anonymous=OK)),
    "visits-offline:shell": Route(PUBLIC, Expect("GET", OK, anonymous=OK)),
    "visits-offline:config": Route(PUBLIC, Expect("GET", OK, anonymous=OK)),
    # A fresh CSRF token for sending the queue: only for those who record visits.
    "visits-offline:token": Route(CHILDREN, Expect("GET", OK, RECORDS_VISITS, **API)),
    "visits:home": Route(CHILDREN, Expect("GET", OK, READS_VISITS)),
    "visits:children": Route(CHILDREN, Expect("GET", OK, READS_VISITS)),
    "visits:due": Route(CHILDREN, Expect("GET", OK, READS_VISITS)),
    "visits:overdue": Route(CHILDREN, Expect("GET", OK, READS_VISITS)),
    "visits:coverage": Route(CHILDREN, Expect("GET", OK, READS_VISITS)),
    "visits:task-list": Route(CHILDREN, Expect("GET", OK, READS_VISITS)),
    "visits:visit-create": Route(
        CHILDREN,
        Expect("GET", OK, RECORDS_VISITS),
        Expect("POST", INVALID, RECORDS_VISITS),  # no child named: 400, nothing written
    ),
    # The household picker answers htmx only; a plain GET goes back to the form.
    "visits:visit-children": Route(
        CHILDREN, Expect("GET", to("visits:visit-create"), RECORDS_VISITS)
    ),
    "visits:visit-detail": Route(CHILDREN, Expect("GET", OK, READS_VISITS, objects="visit")),
    "visits:photo": Route(CHILDREN, Expect("GET", OK, READS_VISITS, objects="photo")),
    "visits:task-complete": Route(
        CHILDREN,
        Expect("GET", OK, _SUPERVISOR, objects="task_follow"),
        Expect("GET", OK, _DIRECTOR, objects="task_police"),
        Expect(
            "POST",
            to("visits:task-list"),
            _SUPERVISOR,
            objects="task_follow",
            data={"outcome": "已联系外出务工的父母，约定每周通话。"},
            writes=True,
        ),
        Expect(
            "POST",
            to("visits:task-list"),
            _DIRECTOR,
            objects="task_police",
            data={"police_receipt": "110-2026-001"},
            writes=True,
        ),
    ),
    # The rules are the district's: its administrators, county-wide on both sides.
    "visits:rules": Route(
        CHILDREN,
        Expect("GET", OK, _ADMIN),
        Expect(
            "POST",
            to("visits:rules"),
            _ADMIN,
            data={"orphan": "30", "note": ""},
            writes=True,
        ),
    ),
}


def _jpeg() -> Any:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="JPEG")
    out.seek(0)
    return out


def build_visits(
    minors: dict[str, Any], personas: dict[str, User], other_personas: dict[str, User]
) -> dict[str, Any]:
    """The visits of ``OBJECTS`` through the services, as a phone records them."""
    from django.utils import timezone

    from carecircle.visits.flags import RiskFlag
    from carecircle.visits.models import VisitTask
    from carecircle.visits.photos import photo_add
    from carecircle.visits.services import MinorSeen, VisitInput, visit_record

    recorders = {
        "a": personas[R.CHILD_DIRECTOR],
        "b": other_personas[R.CHILD_DIRECTOR],
        "c": other_personas[R.DISTRICT_ADMIN],
    }
    built: dict[str, Any] = {}
    for label, recorder in recorders.items():
        flagged = label != "c"  # c's visit is a plain one: its county has no supervisor here
        visit, _created = visit_record(
            actor=recorder,
            data=VisitInput(
                kind="home",
                occurred_at=timezone.now() - timedelta(days=1),
                minors=(
                    MinorSeen(minors[label].pk, (RiskFlag.UNDER_16_ALONE,) if flagged else ()),
                ),
                follow_up_needed=flagged,
            ),
            idempotency_key=f"matrix-visit-{label}",
        )
        built[f"visit_{label}"] = visit
        built[f"photo_{label}"] = photo_add(actor=recorder, visit=visit, upload=_jpeg())
        if flagged:
            tasks = VisitTask.objects.filter(visit=visit)
            built[f"task_follow_{label}"] = tasks.get(kind=VisitTask.Kind.FOLLOW_UP)
            built[f"task_police_{label}"] = tasks.get(kind=VisitTask.Kind.REPORT_POLICE)
    return built
