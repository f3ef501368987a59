"""The case dashboards (issue 7 item 6): overdue tasks, a counselor's caseload, and
the sessions per counseling room and per organisation.

Every page first refuses the roles that reach no case (403, as the case pages do);
the room and organisation pages are the supervisors' (403 for others). A counselor
asked for by id who is not within the supervisor's divisions is a 404, recorded.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from carecircle.audit.services import note_denial
from carecircle.cases.dashboards import selectors
from carecircle.cases.dashboards.forms import CounselorForm, PeriodForm
from carecircle.cases.models import RISK_ORDER, Risk, Status
from carecircle.cases.permissions import require_reader, supervisor_prefixes

PAGE_SIZE = 50


def _require_supervisor(user: Any) -> None:
    if not supervisor_prefixes(user):
        raise PermissionDenied(_("Only supervisors of cases see these figures."))


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_safe
@never_cache
def overdue(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_reader(user)
    page = Paginator(selectors.overdue_tasks(user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "now": timezone.now(),
        "supervises": bool(supervisor_prefixes(user)),
        "query": _query(request),
    }
    return render(request, "case_dashboards/overdue.html", context)


def _counselor(user: Any, raw: int | None) -> Any:
    """The counselor asked for: oneself by default, else one within the supervisor's
    divisions; anyone else is a 404, recorded."""
    if raw is None or raw == user.pk:
        return user
    found = selectors.counselors_in_scope(user).filter(pk=raw).first()
    if found is None:
        note_denial(actor=user, object_type="accounts.user", object_id=raw, reason="out of scope")
        raise Http404
    return found


@login_required
@require_safe
@never_cache
def counselor(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_reader(user)
    form = CounselorForm(request.GET)
    period = form.period()
    # A wrong period falls back to this month; the counselor asked for stays chosen
    # (cleaned_data keeps each field that was valid on its own).
    raw = form.cleaned_data.get("counselor")
    chosen = _counselor(user, raw)
    load = selectors.caseload(user, chosen, period)
    risks = [Risk(value) for value in reversed(RISK_ORDER)]
    rows = [
        {
            "status": status.label,
            "counts": [load.by_status.get(status.value, {}).get(r.value, 0) for r in risks],
            "total": sum(load.by_status.get(status.value, {}).values()),
        }
        for status in Status
        if status != Status.CLOSED
    ]
    cases = Paginator(selectors.counselor_cases(user, chosen), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "period": period,
        "load": load,
        "risks": risks,
        "rows": rows,
        "cases": cases,
        "own": chosen.pk == user.pk,
        "counselors": list(selectors.counselors_in_scope(user)),
        "query": _query(request),
    }
    return render(request, "case_dashboards/counselor.html", context)


def _served(request: HttpRequest, by: str) -> HttpResponse:
    user = request.user
    require_reader(user)
    _require_supervisor(user)
    form = PeriodForm(request.GET)
    period = form.period()
    rows = selectors.served_by_room(user, period, by=by)
    chart = {
        "names": [row["name"] for row in rows],
        "series": [
            {"name": str(_("Sessions")), "data": [row["sessions"] for row in rows]},
            {"name": str(_("Person-times")), "data": [row["person_times"] for row in rows]},
            {"name": str(_("Children")), "data": [row["persons"] for row in rows]},
        ],
    }
    context = {
        "form": form,
        "period": period,
        "rows": rows,
        "by": by,
        "chart": chart,
        # 人 is not summed: a child seen in two rooms is one child.
        "totals": {key: sum(row[key] for row in rows) for key in ("sessions", "person_times")},
    }
    return render(request, "case_dashboards/served.html", context)


@login_required
@require_safe
@never_cache
def rooms(request: HttpRequest) -> HttpResponse:
    return _served(request, "room")


@login_required
@require_safe
@never_cache
def organisations(request: HttpRequest) -> HttpResponse:
    return _served(request, "organisation")
