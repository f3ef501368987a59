"""The intake tips routes of the table (issue 6): the staff intake pages and the tips API.

Each intake page answers its form to the roles that enter that channel and 403 to
the others; an empty form is a 400 that writes nothing. The API answers a caller
without a token 401; a form-encoded body is a 415 (JSON only) once past the role
gate; the public status lookup answers everyone alike, without an account.
"""

from __future__ import annotations

from carecircle.testing.matrix.core import (
    API,
    CHILDREN,
    INVALID,
    OK,
    PUBLIC,
    SEES_CHILDREN,
    WRONG_METHOD,
    Expect,
    R,
    Route,
)

# ``tips/permissions.py``: the desk and 12345 operators enter tickets; the desk and a
# school's staff log its report box; every professional who meets children at work
# files a mandatory report, and reaches some tips (``reaches_tips``).
ENTERS_HOTLINE = frozenset[str]({R.DISTRICT_ADMIN, R.CENTER_STAFF, R.HOTLINE_OPERATOR})
LOGS_BOX = frozenset[str](
    {R.DISTRICT_ADMIN, R.CENTER_STAFF, R.SCHOOL_ADMIN, R.SCHOOL_PSYCH_TEACHER}
)
REPORTS_MANDATORY = SEES_CHILDREN
READS_TIPS = SEES_CHILDREN
UNSUPPORTED = "415"  # the matrix posts form-encoded bodies; the API reads JSON only


def _intake(allowed: frozenset[str]) -> Route:
    return Route(
        CHILDREN,
        Expect("GET", OK, allowed),
        Expect("POST", INVALID, allowed),  # an empty form: 400, nothing written
    )


TIPS_INTAKE_ROUTES: dict[str, Route] = {
    "tips-intake:hotline": _intake(ENTERS_HOTLINE),
    "tips-intake:box": _intake(LOGS_BOX),
    "tips-intake:mandatory": _intake(REPORTS_MANDATORY),
    "api:tip-list": Route(
        CHILDREN,
        Expect("GET", OK, READS_TIPS, **API),
        Expect("POST", UNSUPPORTED, ENTERS_HOTLINE, **API),
    ),
    "api:tip-detail": Route(
        CHILDREN,
        Expect("GET", OK, READS_TIPS, objects="tip", **API),
        Expect("GET", OK, READS_TIPS, objects="tip_own", **API),
    ),
    "api:tip-status": Route(
        PUBLIC,
        Expect("GET", WRONG_METHOD, anonymous=WRONG_METHOD),
        Expect("POST", UNSUPPORTED, anonymous=UNSUPPORTED),
    ),
}
