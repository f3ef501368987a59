"""Handling a tip once it is in the queue (issue 6 items 4 and 5).

Every step is a ``tip_<verb>`` service: keyword-only, ``actor`` first, one
transaction that locks the tip's row (``select_for_update``) and checks the tip's
state *after* taking the lock, so a form sent twice, or two people pressing the same
button at once, changes the tip once and the second gets a clear refusal. Each step
writes a ``TipEvent`` (public only where the reporter should see it, worded for
them: never naming staff or agencies) and an audit record.

Who may do what is ``permissions.py``: the desk and the handler handle
(``can_handle``); the desk alone assigns, dispatches, decides extensions, merges
and reopens; an agency or township answers the dispatch addressed to it
(``live_dispatch_for``). A mandatory report, or any report of a reportable
situation, closes only with the police's receipt or a written reason why there is
none (DOMAIN.md §3).
"""

from carecircle.tips.handling.closure import (
    tip_add_note,
    tip_close,
    tip_record_followup,
    tip_record_handoff,
    tip_record_police,
    tip_reopen,
)
from carecircle.tips.handling.common import (
    DISPATCH_KINDS,
    MIN_REASON,
    TOWNSHIP_LENGTH,
)
from carecircle.tips.handling.dispatch import (
    dispatch_organisations,
    dispatch_townships,
    tip_dispatch,
    tip_dispatch_acknowledge,
    tip_dispatch_report,
    tip_dispatch_return,
    tip_dispatch_withdraw,
    tip_redispatch,
)
from carecircle.tips.handling.reception import (
    handler_candidates,
    tip_acknowledge,
    tip_assign,
    tip_record_contact,
    tip_set_urgency,
)
from carecircle.tips.handling.records import (
    tip_decide_extension,
    tip_link_minor,
    tip_merge,
    tip_request_extension,
    tip_unlink_minor,
)

__all__ = [
    "DISPATCH_KINDS",
    "MIN_REASON",
    "TOWNSHIP_LENGTH",
    "dispatch_organisations",
    "dispatch_townships",
    "handler_candidates",
    "tip_acknowledge",
    "tip_add_note",
    "tip_assign",
    "tip_close",
    "tip_decide_extension",
    "tip_dispatch",
    "tip_dispatch_acknowledge",
    "tip_dispatch_report",
    "tip_dispatch_return",
    "tip_dispatch_withdraw",
    "tip_link_minor",
    "tip_merge",
    "tip_record_contact",
    "tip_record_followup",
    "tip_record_handoff",
    "tip_record_police",
    "tip_redispatch",
    "tip_reopen",
    "tip_request_extension",
    "tip_set_urgency",
    "tip_unlink_minor",
]
