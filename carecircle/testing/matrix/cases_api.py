"""The cases API's rows of the table (issue 7 item 7), and the sessions of the world.

The sessions API answers like the cases API: the roles past the gate list the
sessions of the cases they read (an empty page for the others) and read one session
of a case in their scope, 404 for any other.
"""

from __future__ import annotations

from typing import Any

from carecircle.testing.matrix.core import API, OK, Expect, R, Route
from carecircle.testing.matrix.core import CHILDREN as AREA

# Who passes the API's gate: the roles that open cases, and the supervisors. A team
# member without such a role (a lawyer added to a case) passes too, but the world's
# personas are on no team but the counselor's.
CASE_GATE = frozenset(
    {R.DISTRICT_ADMIN, R.CENTER_STAFF, R.SOCIAL_WORKER, R.COUNSELOR, R.SCHOOL_PSYCH_TEACHER}
)

CASE_API_ROUTES: dict[str, Route] = {
    "api:case-list": Route(
        AREA,
        Expect("GET", OK, CASE_GATE, **API),
        Expect("POST", "415", CASE_GATE, **API),  # a form-encoded probe: JSON only
    ),
    "api:case-detail": Route(AREA, Expect("GET", OK, CASE_GATE, objects="case", **API)),
    "api:session-list": Route(AREA, Expect("GET", OK, CASE_GATE, **API)),
    "api:session-detail": Route(AREA, Expect("GET", OK, CASE_GATE, objects="case_session", **API)),
}


def build_case_sessions(registry: dict[str, Any]) -> dict[str, Any]:
    """One session on each case of the world, held by its owner, the counselor."""
    from django.utils import timezone

    from carecircle.cases.sessions import session_record

    built: dict[str, Any] = {}
    for label in ("a", "c"):
        case = registry[f"case_{label}"]
        owner = case.members.get(is_owner=True).user
        built[f"case_session_{label}"] = session_record(
            actor=owner,
            case=case,
            kind="individual",
            held_at=timezone.now(),
            duration_minutes=50,
            counselor=owner,
            mode="in_person",
            notes="孩子愿意表达近期的烦恼",
        )
    return built
