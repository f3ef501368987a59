"""One POST-only view per step of handling a report.

Each authorises (a role that reaches no report: 403; a report out of scope: 404;
in scope but not the user's to act on: 403), validates its form, calls its service
in ``handling``, and answers with a redirect to the report and a message, or the
form again with its errors and a 400. A step sent twice is refused the second time
by the service, which checks the report's state under a row lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from carecircle.accounts.errors import add_service_errors
from carecircle.tips import handling
from carecircle.tips.forms import (
    AssignForm,
    CloseForm,
    ContactForm,
    DispatchForm,
    ExtensionDecideForm,
    FollowupForm,
    HandoffForm,
    MergeForm,
    MinorForm,
    NoteForm,
    PlainForm,
    PoliceForm,
    ReasonForm,
    ResultForm,
    UrgencyForm,
)
from carecircle.tips.models import Tip
from carecircle.tips.permissions import (
    LIVE_DISPATCH,
    can_decide_extension,
    can_handle,
    desk_covers,
    get_tip_for_user,
    live_dispatch_for,
    require_reader,
)

Data = dict[str, Any]


@dataclass(frozen=True)
class Action:
    title: Promise
    form: type[forms.Form]
    may: Callable[[Any, Tip], bool]
    run: Callable[[Any, Tip, Data], object]
    done: Promise


def _answers(user: Any, tip: Tip) -> bool:
    return live_dispatch_for(user, tip) is not None


def _perform(request: HttpRequest, pk: int, action: Action) -> HttpResponse:
    user = request.user
    require_reader(user)
    tip = get_tip_for_user(user, pk)
    if not action.may(user, tip):
        raise PermissionDenied(_("This step is not yours to take on this report."))
    form = action.form(request.POST, user=user, tip=tip)  # type: ignore[call-arg]
    if form.is_valid():
        try:
            action.run(user, tip, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, str(action.done))
            return redirect("tips:detail", pk=tip.pk)
    context = {"tip": tip, "form": form, "title": action.title, "url": request.path}
    return render(request, "tips/tip_action.html", context, status=400)


def _redispatch_or_dispatch(user: Any, tip: Tip, data: Data) -> object:
    target = {
        "organisation": data.get("organisation"),
        "township": data.get("township", ""),
        "instructions": data.get("instructions", ""),
    }
    if tip.dispatches.filter(status__in=LIVE_DISPATCH).exists():
        return handling.tip_redispatch(actor=user, tip=tip, reason=data.get("reason", ""), **target)
    return handling.tip_dispatch(actor=user, tip=tip, **target)


ACKNOWLEDGE = Action(
    _("Acknowledge"),
    PlainForm,
    can_handle,
    lambda user, tip, data: handling.tip_acknowledge(actor=user, tip=tip),
    _("The report is acknowledged."),
)
CONTACT = Action(
    _("Record the first contact"),
    ContactForm,
    can_handle,
    lambda user, tip, data: handling.tip_record_contact(actor=user, tip=tip, note=data["note"]),
    _("The first contact is recorded."),
)
ASSIGN = Action(
    _("Assign a handler"),
    AssignForm,
    desk_covers,
    lambda user, tip, data: handling.tip_assign(actor=user, tip=tip, handler=data["handler"]),
    _("The handler is assigned and told."),
)
URGENCY = Action(
    _("Change the urgency"),
    UrgencyForm,
    can_handle,
    lambda user, tip, data: handling.tip_set_urgency(
        actor=user, tip=tip, urgency=data["urgency"], reason=data["reason"]
    ),
    _("The urgency is changed and the clocks recomputed."),
)
DISPATCH = Action(
    _("Dispatch"),
    DispatchForm,
    desk_covers,
    _redispatch_or_dispatch,
    _("The report is dispatched."),
)
DISPATCH_WITHDRAW = Action(
    _("Withdraw the dispatch"),
    ReasonForm,
    desk_covers,
    lambda user, tip, data: handling.tip_dispatch_withdraw(
        actor=user, tip=tip, reason=data["reason"]
    ),
    _("The dispatch is withdrawn."),
)
DISPATCH_ACKNOWLEDGE = Action(
    _("Acknowledge the dispatch"),
    PlainForm,
    _answers,
    lambda user, tip, data: handling.tip_dispatch_acknowledge(actor=user, tip=tip),
    _("The dispatch is acknowledged."),
)
DISPATCH_RETURN = Action(
    _("Send the dispatch back"),
    ReasonForm,
    _answers,
    lambda user, tip, data: handling.tip_dispatch_return(
        actor=user, tip=tip, reason=data["reason"]
    ),
    _("The report is sent back to the desk."),
)
DISPATCH_REPORT = Action(
    _("Report the result"),
    ResultForm,
    _answers,
    lambda user, tip, data: handling.tip_dispatch_report(
        actor=user, tip=tip, result=data["result"]
    ),
    _("The result is reported to the desk."),
)
EXTENSION_REQUEST = Action(
    _("Request an extension"),
    ReasonForm,
    can_handle,
    lambda user, tip, data: handling.tip_request_extension(
        actor=user, tip=tip, reason=data["reason"]
    ),
    _("The extension is requested."),
)
EXTENSION_DECIDE = Action(
    _("Decide the extension"),
    ExtensionDecideForm,
    can_decide_extension,
    lambda user, tip, data: handling.tip_decide_extension(
        actor=user, tip=tip, approve=data["decision"] == "approve"
    ),
    _("The extension is decided."),
)
MERGE = Action(
    _("Merge as a duplicate"),
    MergeForm,
    desk_covers,
    lambda user, tip, data: handling.tip_merge(actor=user, tip=tip, into=data["into"]),
    _("The report is merged."),
)
LINK_MINOR = Action(
    _("Link a child"),
    MinorForm,
    can_handle,
    lambda user, tip, data: handling.tip_link_minor(actor=user, tip=tip, minor=data["minor"]),
    _("The child is linked."),
)
UNLINK_MINOR = Action(
    _("Unlink a child"),
    MinorForm,
    can_handle,
    lambda user, tip, data: handling.tip_unlink_minor(actor=user, tip=tip, minor=data["minor"]),
    _("The child is unlinked."),
)
NOTE = Action(
    _("Add a note"),
    NoteForm,
    can_handle,
    lambda user, tip, data: handling.tip_add_note(actor=user, tip=tip, text=data["text"]),
    _("The note is added."),
)
HANDOFF = Action(
    _("Hand to 110, 120 or another line"),
    HandoffForm,
    can_handle,
    lambda user, tip, data: handling.tip_record_handoff(
        actor=user, tip=tip, line=data["line"], note=data["note"]
    ),
    _("The hand-off is recorded."),
)
POLICE = Action(
    _("Report to the police"),
    PoliceForm,
    can_handle,
    lambda user, tip, data: handling.tip_record_police(
        actor=user,
        tip=tip,
        unit=data["unit"],
        receipt=data["receipt"],
        reported_at=data["reported_at"],
        reason=data["reason"],
    ),
    _("The police report is recorded."),
)
CLOSE = Action(
    _("Close"),
    CloseForm,
    can_handle,
    lambda user, tip, data: handling.tip_close(
        actor=user, tip=tip, outcome=data["outcome"], note=data["note"]
    ),
    _("The report is closed."),
)
FOLLOWUP = Action(
    _("Record the follow-up call"),
    FollowupForm,
    can_handle,
    lambda user, tip, data: handling.tip_record_followup(
        actor=user, tip=tip, satisfaction=data["satisfaction"], note=data["note"]
    ),
    _("The follow-up call is recorded."),
)
REOPEN = Action(
    _("Reopen"),
    ReasonForm,
    desk_covers,
    lambda user, tip, data: handling.tip_reopen(actor=user, tip=tip, reason=data["reason"]),
    _("The report is reopened."),
)

# By URL name: the report's page lists the forms of the steps the viewer may take.
ACTIONS: dict[str, Action] = {
    "acknowledge": ACKNOWLEDGE,
    "contact": CONTACT,
    "assign": ASSIGN,
    "urgency": URGENCY,
    "dispatch": DISPATCH,
    "dispatch-withdraw": DISPATCH_WITHDRAW,
    "dispatch-acknowledge": DISPATCH_ACKNOWLEDGE,
    "dispatch-return": DISPATCH_RETURN,
    "dispatch-report": DISPATCH_REPORT,
    "extension-request": EXTENSION_REQUEST,
    "extension-decide": EXTENSION_DECIDE,
    "merge": MERGE,
    "link-minor": LINK_MINOR,
    "unlink-minor": UNLINK_MINOR,
    "note": NOTE,
    "handoff": HANDOFF,
    "police": POLICE,
    "close": CLOSE,
    "followup": FOLLOWUP,
    "reopen": REOPEN,
}


def _view(action: Action, name: str) -> Callable[[HttpRequest, int], HttpResponse]:
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        return _perform(request, pk, action)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = f"POST only: {action.title}."
    return login_required(require_POST(view))


acknowledge = _view(ACKNOWLEDGE, "acknowledge")
contact = _view(CONTACT, "contact")
assign = _view(ASSIGN, "assign")
urgency = _view(URGENCY, "urgency")
dispatch = _view(DISPATCH, "dispatch")
dispatch_withdraw = _view(DISPATCH_WITHDRAW, "dispatch_withdraw")
dispatch_acknowledge = _view(DISPATCH_ACKNOWLEDGE, "dispatch_acknowledge")
dispatch_return = _view(DISPATCH_RETURN, "dispatch_return")
dispatch_report = _view(DISPATCH_REPORT, "dispatch_report")
extension_request = _view(EXTENSION_REQUEST, "extension_request")
extension_decide = _view(EXTENSION_DECIDE, "extension_decide")
merge = _view(MERGE, "merge")
link_minor = _view(LINK_MINOR, "link_minor")
unlink_minor = _view(UNLINK_MINOR, "unlink_minor")
note = _view(NOTE, "note")
handoff = _view(HANDOFF, "handoff")
police = _view(POLICE, "police")
close = _view(CLOSE, "close")
followup = _view(FOLLOWUP, "followup")
reopen = _view(REOPEN, "reopen")
