"""The tasks visits open, for the people who are to do them.

``task_list`` shows the user's open tasks (``permissions.my_tasks_q``): follow-ups
and referrals for the role over the visit's division, police reports for the
visitor who found the danger; soonest due first, late ones marked. ``task_complete``
closes one with what was done; a police report needs the police's receipt number or
a written reason (``tasks.task_complete``). A task out of the user's divisions is a
404; one in them but for someone else is a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from carecircle.audit.services import note_denial
from carecircle.people.services import minors_listed
from carecircle.visits.flags import RiskFlag
from carecircle.visits.forms import TaskCompleteForm
from carecircle.visits.models import VisitMinor, VisitTask
from carecircle.visits.permissions import (
    MAX_ID,
    can_complete_task,
    my_tasks_q,
    require_reader,
    tasks_visible_to,
)
from carecircle.visits.tasks import task_complete as complete
from carecircle.visits.views.common import PAGE_SIZE, place_name, place_names


def _children(task: VisitTask) -> list[Any]:
    """The child the task is about, or the visit's children for a follow-up."""
    if task.minor_id is not None:
        return [task.minor]
    return [row.minor for row in task.visit.seen.all()]


def _with_visit(tasks: Any) -> Any:
    seen = VisitMinor.objects.select_related("minor").only(
        "pk", "visit_id", "minor_id", "minor__name"
    )
    return tasks.select_related("visit", "minor").prefetch_related(
        Prefetch("visit__seen", queryset=seen.order_by("pk"))
    )


@login_required
@require_safe
def task_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_reader(user)
    tasks = _with_visit(tasks_visible_to(user).filter(my_tasks_q(user))).order_by("due_at", "pk")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(task, _children(task)) for task in page]
    minors_listed(actor=user, minor_ids=[m.pk for _t, children in rows for m in children])
    context = {
        "page": page,
        "rows": rows,
        "places": place_names(task.area_code for task in page),
        "now": timezone.now(),
        "query": "",
    }
    return render(request, "visits/task_list.html", context)


def _get_task_for_user(user: Any, pk: int) -> VisitTask:
    found = (
        _with_visit(tasks_visible_to(user)).select_related("done_by").filter(pk=pk).first()
        if 0 < pk <= MAX_ID
        else None
    )
    if found is None:
        note_denial(actor=user, object_type="visits.task", object_id=pk, reason="out of scope")
        raise Http404
    return found


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    require_reader(user)
    task = _get_task_for_user(user, pk)
    if not can_complete_task(user, task):
        raise PermissionDenied(_("This task is not yours to close."))
    police = task.kind == VisitTask.Kind.REPORT_POLICE
    form = TaskCompleteForm(request.POST if request.method == "POST" else None, police=police)
    if form.is_bound and form.is_valid():
        try:
            complete(
                actor=user,
                task=task,
                outcome=form.cleaned_data["outcome"],
                police_receipt=form.cleaned_data.get("police_receipt", ""),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, errors in exc.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The task is done."))
            return redirect("visits:task-list")
    minors_listed(actor=user, minor_ids=[m.pk for m in _children(task)])
    context = {
        "task": task,
        "form": form,
        "children": _children(task),
        "place": place_name(task.area_code),
        "flags": [str(RiskFlag(f).label) for f in task.flags if f in RiskFlag.values],
        "late": task.status == VisitTask.Status.OPEN and task.due_at < timezone.now(),
    }
    return render(request, "visits/task_form.html", context, status=400 if form.is_bound else 200)
