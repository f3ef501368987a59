"""The cases API's rows of the table (issue 7 item 7)."""

from __future__ import annotations

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
}
