"""One POST-only view per step on a case.

Each authorises (a role that reaches no case: 403; a case out of scope: 404; in
scope but not the user's to act on: 403), validates its form, calls its service in
``services``, and answers with a redirect to the case and a message, or the form
again with its errors and a 400. A step sent twice is refused the second time by the
service, which checks the case's state under a row lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from carecircle.accounts.errors import add_service_errors
from carecircle.cases import services, sessions
from carecircle.cases.forms import (
    CaseForm,
    CompleteTaskForm,
    CrisisForm,
    MemberForm,
    PlanForm,
    RemoveMemberForm,
    RiskForm,
    SessionForm,
    TaskForm,
    TransitionForm,
)
from carecircle.cases.models import Case
from carecircle.cases.permissions import (
    can_work,
    get_case_for_user,
    is_member,
    require_reader,
    supervises,
)

Data = dict[str, Any]


@dataclass(frozen=True)
class Action:
    title: Promise
    form: type[CaseForm]
    may: Callable[[Any, Case], bool]
    run: Callable[[Any, Case, Data], object]
    done: Promise


def changes_team(user: Any, case: Case) -> bool:
    """The owner and the supervisors change the team."""
    owner = case.members.filter(
        user_id=getattr(user, "pk", 0) or 0, is_owner=True, left_at__isnull=True
    ).exists()
    return owner or supervises(user, case)


def _perform(request: HttpRequest, pk: int, action: Action) -> HttpResponse:
    user = request.user
    require_reader(user)
    case = get_case_for_user(user, pk)
    if not action.may(user, case):
        raise PermissionDenied(_("This step is not yours to take on this case."))
    form = action.form(request.POST, user=user, case=case)
    if form.is_valid():
        try:
            action.run(user, case, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, str(action.done))
            return redirect("cases:detail", pk=case.pk)
    context = {"case": case, "form": form, "title": action.title, "url": request.path}
    return render(request, "cases/case_action.html", context, status=400)


TRANSITION = Action(
    _("Change the status"),
    TransitionForm,
    can_work,
    lambda user, case, data: services.case_transition(
        actor=user, case=case, to=data["to"], note=data["note"]
    ),
    _("The case's status is changed."),
)
PLAN = Action(
    _("Record the assessment and plan"),
    PlanForm,
    can_work,
    lambda user, case, data: services.case_record_plan(actor=user, case=case, **data),
    _("The assessment and plan are recorded."),
)
RISK = Action(
    _("Change the risk level"),
    RiskForm,
    can_work,
    lambda user, case, data: services.case_set_risk(
        actor=user, case=case, risk=data["risk"], reasons=data["reasons"]
    ),
    _("The risk level is changed."),
)
CRISIS = Action(
    _("Record the crisis protocol"),
    CrisisForm,
    can_work,
    lambda user, case, data: services.case_record_crisis(
        actor=user,
        case=case,
        safety_plan=data["safety_plan"],
        guardian_told=data["guardian_told"],
    ),
    _("The crisis protocol is recorded."),
)
MEMBER_ADD = Action(
    _("Add to the team"),
    MemberForm,
    changes_team,
    lambda user, case, data: services.case_add_member(
        actor=user, case=case, user=data["user"], role=data["role"]
    ),
    _("The member is added and told."),
)
MEMBER_REMOVE = Action(
    _("Remove from the team"),
    RemoveMemberForm,
    changes_team,
    lambda user, case, data: services.case_remove_member(
        actor=user, case=case, member=data["member"]
    ),
    _("The member is removed from the team."),
)
TASK_ADD = Action(
    _("Add a task"),
    TaskForm,
    can_work,
    lambda user, case, data: services.case_add_task(
        actor=user,
        case=case,
        title=data["title"],
        assigned_to=data["assigned_to"],
        due_on=data["due_on"],
    ),
    _("The task is added."),
)
TASK_COMPLETE = Action(
    _("Complete a task"),
    CompleteTaskForm,
    can_work,
    lambda user, case, data: services.case_complete_task(
        actor=user, task=data["task"], note=data["note"]
    ),
    _("The task is done."),
)
SESSION = Action(
    _("Record a session"),
    SessionForm,
    is_member,  # the team holds sessions; a supervisor reads them
    lambda user, case, data: sessions.session_record(actor=user, case=case, **data),
    _("The session is recorded."),
)

# By URL name: the case's page lists the forms of the steps the viewer may take.
ACTIONS: dict[str, Action] = {
    "transition": TRANSITION,
    "plan": PLAN,
    "risk": RISK,
    "crisis": CRISIS,
    "member-add": MEMBER_ADD,
    "member-remove": MEMBER_REMOVE,
    "task-add": TASK_ADD,
    "task-complete": TASK_COMPLETE,
    "session": SESSION,
}


def _view(action: Action, name: str) -> Callable[[HttpRequest, int], HttpResponse]:
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        return _perform(request, pk, action)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = f"POST only: {action.title}."
    return login_required(require_POST(view))


transition = _view(TRANSITION, "transition")
plan = _view(PLAN, "plan")
risk = _view(RISK, "risk")
crisis = _view(CRISIS, "crisis")
member_add = _view(MEMBER_ADD, "member_add")
member_remove = _view(MEMBER_REMOVE, "member_remove")
task_add = _view(TASK_ADD, "task_add")
task_complete = _view(TASK_COMPLETE, "task_complete")
session = _view(SESSION, "session")
