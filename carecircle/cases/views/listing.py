"""The list: the user's cases and, for a supervisor, every case of their division."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from carecircle.cases import selectors
from carecircle.cases.forms import CaseFilterForm
from carecircle.cases.permissions import can_open_cases, require_reader, supervisor_prefixes
from carecircle.visits.views.common import PAGE_SIZE


@login_required
@require_safe
@never_cache
def case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_reader(user)
    form = CaseFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.CaseFilters(
        status=data.get("status") or selectors.OPEN,
        kind=data.get("kind", ""),
        risk=data.get("risk", ""),
        awaiting=bool(data.get("awaiting")),
    )
    page = Paginator(selectors.case_list(user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "supervises": bool(supervisor_prefixes(user)),
        "can_open": can_open_cases(user),
    }
    return render(request, "cases/case_list.html", context)
