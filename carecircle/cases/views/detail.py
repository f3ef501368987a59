"""One case's page: the child, the workflow, the risk, the plan, the crisis panel,
the team, the tasks, the counseling sessions (to the team and the supervisors only,
notes included) and the history, with the forms of the steps the viewer may take.

Every read is audited (a view of the case, with its child) before the page renders.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.cases import forms as case_forms
from carecircle.cases.models import Case, CaseTask, Risk, Status
from carecircle.cases.permissions import (
    can_work,
    get_case_for_user,
    is_member,
    require_reader,
    supervises,
)
from carecircle.cases.referrals.selectors import case_panel as referral_panel
from carecircle.cases.selectors import STEPS, tasks_of, team_of
from carecircle.cases.services import SUPERVISOR, TEAM, TRANSITIONS
from carecircle.cases.sessions import sessions_of
from carecircle.cases.views.actions import ACTIONS, changes_team

EVENT_LABELS = {
    "opened": gettext_lazy("Opened"),
    "transition": gettext_lazy("Status changed"),
    "plan": gettext_lazy("Assessment or plan recorded"),
    "risk": gettext_lazy("Risk level changed"),
    "crisis": gettext_lazy("Crisis protocol recorded"),
    "member_added": gettext_lazy("Member added"),
    "member_removed": gettext_lazy("Member removed"),
    "task_added": gettext_lazy("Task added"),
    "task_done": gettext_lazy("Task done"),
    "session": gettext_lazy("Session recorded"),
}


def _label(choices: Any, value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def _steps(case: Case) -> list[dict[str, Any]]:
    here = STEPS.index(case.status) if case.status in STEPS else 0
    return [
        {
            "label": Status(step).label,
            "state": "done" if i < here else "current" if i == here else "todo",
        }
        for i, step in enumerate(STEPS)
    ]


def _history(case: Case) -> list[dict[str, Any]]:
    rows = []
    for ev in case.events.select_related("actor").order_by("at", "pk"):
        d = ev.details or {}
        summary = ""
        if ev.kind == "transition":
            summary = f"{_label(Status, d.get('from'))} → {_label(Status, d.get('to'))}"
        elif ev.kind == "risk":
            summary = f"{_label(Risk, d.get('from'))} → {_label(Risk, d.get('to'))}"
        rows.append(
            {
                "event": ev,
                "label": EVENT_LABELS.get(ev.kind, ev.kind),
                "summary": summary,
            }
        )
    return rows


def _transitions(user: Any, case: Case, works: bool) -> list[dict[str, Any]]:
    """One button per next state the viewer may take the case to."""
    shown = []
    for to, who in TRANSITIONS.get(case.status, {}).items():
        if (who == TEAM and not works) or (who == SUPERVISOR and not supervises(user, case)):
            continue
        if to == Status.CLOSED and case.closure_requested_by_id == user.pk:
            continue  # someone else approves
        needs_note = case.status == Status.CLOSED or (
            case.status == Status.CLOSURE_PENDING and to == Status.REVIEW
        )
        shown.append(
            {
                "to": to,
                "label": Status(to).label,
                "needs_note": needs_note,
                "form": case_forms.TransitionForm(
                    initial={"to": to}, auto_id=f"id_transition_{to}_%s"
                ),
            }
        )
    return shown


def _forms(user: Any, case: Case, works: bool, open_tasks: bool) -> list[dict[str, Any]]:
    """The action forms the viewer may use on the case as it stands, in order."""
    team = changes_team(user, case)
    has_others = case.members.filter(left_at__isnull=True, is_owner=False).exists()
    wanted: list[tuple[str, bool, Any, dict[str, Any]]] = [
        (
            "session",
            is_member(user, case) and case.is_open,
            case_forms.SessionForm,
            {"counselor": user.pk, "kind": "individual", "mode": "in_person"},
        ),
        (
            "plan",
            works and case.is_open,
            case_forms.PlanForm,
            {
                "assessment": case.assessment,
                "goals": case.goals,
                "services": case.services,
                "review_on": case.review_on,
                "closure_note": case.closure_note,
            },
        ),
        ("risk", works and case.is_open, case_forms.RiskForm, {}),
        (
            "crisis",
            works and case.in_crisis,
            case_forms.CrisisForm,
            {"safety_plan": case.safety_plan},
        ),
        ("task-add", works and case.is_open, case_forms.TaskForm, {}),
        ("task-complete", works and open_tasks, case_forms.CompleteTaskForm, {}),
        ("member-add", team and case.is_open, case_forms.MemberForm, {}),
        ("member-remove", team and has_others, case_forms.RemoveMemberForm, {}),
    ]
    shown = []
    for name, allowed, form_class, initial in wanted:
        if allowed:
            form = form_class(initial=initial, auto_id=f"id_{name}_%s", user=user, case=case)
            shown.append(
                {
                    "name": name,
                    "url": reverse(f"cases:{name}", args=[case.pk]),
                    "title": ACTIONS[name].title,
                    "form": form,
                }
            )
    return shown


@login_required
@require_safe
@never_cache
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    require_reader(user)
    case = get_case_for_user(
        user,
        pk,
        related=(
            "minor", "opened_by", "closure_requested_by", "closed_by", "source_tip",
            "source_visit",
        ),
    )  # fmt: skip
    works = can_work(user, case)
    tasks = list(tasks_of(case))
    open_tasks = [t for t in tasks if t.status == CaseTask.Status.OPEN]
    follow_up = next((t for t in open_tasks if t.kind == CaseTask.Kind.CRISIS_FOLLOW_UP), None)
    with transaction.atomic():
        audit_record(
            actor=user,
            action=AuditEvent.Action.VIEW,
            object_type="cases.case",
            object_id=case.pk,
            minor_id=case.minor_id,
        )
    context = {
        "case": case,
        "steps": _steps(case),
        "team": list(team_of(case)),
        "tasks": tasks,
        "follow_up": follow_up,
        "history": _history(case),
        "transitions": _transitions(user, case, works) if works or supervises(user, case) else [],
        "transition_url": reverse("cases:transition", args=[case.pk]),
        "forms": _forms(user, case, works, bool(open_tasks)),
        "reads_notes": works,
        "sessions": sessions_of(case) if works else [],
        "referrals": referral_panel(user, case),
    }
    return render(request, "cases/case_detail.html", context)
