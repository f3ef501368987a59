"""The staff pages of cases (issue 7 item 1), under /cases/.

- ``listing``: the user's cases (team) and a supervisor's division, filtered;
- ``opening``: open a case for a child the user may read, from a key assistance
  target, a report of harm or a visit when one is given;
- ``detail``: one case, its read audited, with the forms of the steps the viewer
  may take;
- ``actions``: one POST-only view per step, answering with a redirect to the case
  and a message, or the form with its errors and a 400.

Every page refuses roles that reach no case (403) before any lookup, fetches the case
only through ``permissions.get_case_for_user`` (out of scope is a 404 recorded as a
denial), and writes only through ``services``.
"""

from carecircle.cases.views.actions import (
    crisis,
    member_add,
    member_remove,
    plan,
    risk,
    session,
    task_add,
    task_complete,
    transition,
)
from carecircle.cases.views.detail import detail
from carecircle.cases.views.listing import case_list
from carecircle.cases.views.opening import case_open

__all__ = [
    "case_list",
    "case_open",
    "crisis",
    "detail",
    "member_add",
    "member_remove",
    "plan",
    "risk",
    "session",
    "task_add",
    "task_complete",
    "transition",
]
