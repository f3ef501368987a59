from __future__ import annotations

from itertools import groupby

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from carecircle.accounts.permissions import can_view_stats
from carecircle.people.models import Category
from carecircle.stats.forms import PeriodForm
from carecircle.stats.registry import FILTERS
from carecircle.stats.selectors import indicator_rows


@login_required
@require_GET
def indicator_list(request: HttpRequest) -> HttpResponse:
    if not can_view_stats(request.user):
        raise PermissionDenied
    form = PeriodForm(request.GET or None, initial=PeriodForm.default_initial())
    period = PeriodForm.default_initial() | {"area": None, "category": ""}
    if request.GET and form.is_valid():
        period = form.cleaned_data
    filters = form.filters()
    rows = indicator_rows(
        user=request.user,
        start=period["start"],
        end=period["end"],
        area=period["area"],
        category=period["category"] or None,
        filters=filters,
    )
    groups = [(group, list(items)) for group, items in groupby(rows, key=lambda r: r["group"])]
    return render(
        request,
        "stats/indicator_list.html",
        {
            "form": form,
            "groups": groups,
            "period": period,
            "category": dict(Category.choices).get(period["category"] or ""),
            "filtered": [
                (FILTERS[name].label, dict(FILTERS[name].choices()).get(value, value))
                for name, value in filters.items()
                if value
            ],
            "min_cell": settings.CARECIRCLE_MIN_CELL,
        },
    )
