"""The queue: the reports the user reads, filtered, most urgent and soonest due first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from carecircle.tips.forms import QueueFilterForm
from carecircle.tips.permissions import (
    can_enter_hotline,
    can_log_box,
    can_report_mandatory,
    is_desk,
    require_reader,
)
from carecircle.tips.selectors import QueueFilters, next_clock, receives_dispatches, tip_queue
from carecircle.visits.views.common import PAGE_SIZE, place_names


@login_required
@require_safe
@never_cache
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_reader(user)
    form = QueueFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    filters = QueueFilters(
        status=data.get("status") or "open",
        urgency=data.get("urgency"),
        channel=data.get("channel", ""),
        category=data.get("category", ""),
        overdue=bool(data.get("overdue")),
        mine=bool(data.get("mine")),
        dispatched=bool(data.get("dispatched")),
    )
    now = timezone.now()
    page = Paginator(tip_queue(user, filters, now=now), PAGE_SIZE).get_page(request.GET.get("page"))
    places = place_names({tip.area_code for tip in page})
    rows = [(tip, next_clock(tip, now), places[tip.area_code]) for tip in page]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "is_desk": is_desk(user),
        "receives_dispatches": receives_dispatches(user),
        "can_hotline": can_enter_hotline(user),
        "can_box": can_log_box(user),
        "can_mandatory": can_report_mandatory(user),
    }
    return render(request, "tips/tip_queue.html", context)
