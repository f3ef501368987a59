"""The case dashboards' rows of the authorization table (issue 7 item 6).

The overdue list and the caseload are every case reader's (their own tasks and
cases; a supervisor's divisions); the figures per room and per organisation are the
supervisors'. A role that reaches no case gets the 403 on all of them.
"""

from __future__ import annotations

from carecircle.testing.matrix.cases import CASE_READERS
from carecircle.testing.matrix.core import CASE_SUPERVISORS, CHILDREN, OK, Expect, Route

DASHBOARD_ROUTES: dict[str, Route] = {
    "case-dashboards:overdue": Route(CHILDREN, Expect("GET", OK, CASE_READERS)),
    "case-dashboards:counselor": Route(CHILDREN, Expect("GET", OK, CASE_READERS)),
    "case-dashboards:rooms": Route(CHILDREN, Expect("GET", OK, CASE_SUPERVISORS)),
    "case-dashboards:organisations": Route(CHILDREN, Expect("GET", OK, CASE_SUPERVISORS)),
}
