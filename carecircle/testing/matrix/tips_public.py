"""The public tips routes of the table (issue 6).

The reporting page answers everyone alike, signed in or not: the same form, the
same refusals. An empty POST is refused with 400 and writes nothing (no proof of
work, no receipt code).
"""

from __future__ import annotations

from carecircle.testing.matrix.core import INVALID, OK, PUBLIC, WRONG_METHOD, Expect, Route

TIPS_PUBLIC_ROUTES: dict[str, Route] = {
    "tips-public:form": Route(
        PUBLIC,
        Expect("GET", OK, anonymous=OK),
        Expect("POST", INVALID, anonymous=INVALID, data={}),
    ),
    "tips-public:challenge": Route(PUBLIC, Expect("GET", OK, anonymous=OK)),
    "tips-public:status": Route(
        PUBLIC,
        Expect("GET", OK, anonymous=OK),
        Expect("POST", INVALID, anonymous=INVALID, data={}),
    ),
    "tips-public:add": Route(
        PUBLIC,
        Expect("GET", WRONG_METHOD, anonymous=WRONG_METHOD),
        Expect("POST", INVALID, anonymous=INVALID, data={}),
    ),
}
