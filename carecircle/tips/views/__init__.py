"""The staff pages of reports (issue 6 items 4 and 5), under /tips/.

- ``queue``: the user's queue (desk, handler, agency, township, own reports),
  filtered, most urgent and soonest due first, each clock in words and colour;
- ``detail``: one report, its read audited; its attachments' cleaned copies are
  streamed by ``attachment`` (the original is never served);
- ``actions``: one POST-only view per step (acknowledge, assign, dispatch, …),
  answering with a redirect to the report and a message, or the form with its
  errors and a 400.

Every page refuses roles that reach no report (403) before any lookup, fetches the
report only through ``permissions.get_tip_for_user`` (out of scope is a 404 recorded
as a denial), and writes only through ``handling``.
"""

from carecircle.tips.views.actions import (
    acknowledge,
    assign,
    close,
    contact,
    dispatch,
    dispatch_acknowledge,
    dispatch_report,
    dispatch_return,
    dispatch_withdraw,
    extension_decide,
    extension_request,
    followup,
    handoff,
    link_minor,
    merge,
    note,
    police,
    reopen,
    unlink_minor,
    urgency,
)
from carecircle.tips.views.detail import attachment, detail, minor_search
from carecircle.tips.views.queue import queue

__all__ = [
    "acknowledge",
    "assign",
    "attachment",
    "close",
    "contact",
    "detail",
    "dispatch",
    "dispatch_acknowledge",
    "dispatch_report",
    "dispatch_return",
    "dispatch_withdraw",
    "extension_decide",
    "extension_request",
    "followup",
    "handoff",
    "link_minor",
    "merge",
    "minor_search",
    "note",
    "police",
    "queue",
    "reopen",
    "unlink_minor",
    "urgency",
]
