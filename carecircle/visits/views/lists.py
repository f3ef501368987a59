"""The visits home and the due lists.

- ``home``: what the user's level needs first, with counts: a village's director
  the overdue and due children, a township's supervisor the tasks and the coverage
  of its villages, the district the coverage of its townships;
- ``my_children`` / ``due`` / ``overdue``: the children the user follows with their
  next due day and last visit (``due``), 50 to a page in a constant number of
  queries, each page an audited list; ``?area=`` narrows to one division in scope;
- ``coverage``: per village (a township or narrower) or per township (wider): the
  children under a visit rule, the share visited on time, the overdue count.

Only the due day is shown, never the interval's reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from carecircle.accounts import permissions as perms
from carecircle.people.categories.rulesets import can_manage_rules
from carecircle.people.services import minors_listed
from carecircle.regions.codes import prefix_term
from carecircle.regions.selectors import division_names
from carecircle.visits import due as due_lists
from carecircle.visits import services
from carecircle.visits.models import VisitMinor
from carecircle.visits.permissions import (
    can_record_visits,
    minors_tracked_by,
    my_tasks_q,
    reading_prefixes,
    recording_prefixes,
    require_reader,
    tasks_visible_to,
    visits_for_listing,
)
from carecircle.visits.views.common import PAGE_SIZE, BadAreaError, area_param, bad_area, place_name

RECENT = 5
MINOR_FIELDS = ("pk", "name", "sex", "birth_date", "area_code", "household_id")
VILLAGE, TOWNSHIP, DISTRICT = "village", "township", "district"


def level_of(user: Any) -> str:
    """The widest division the user follows visits in: village, township or district."""
    widest = min((len(p) for p in reading_prefixes(user)), default=12)
    return VILLAGE if widest >= 12 else (TOWNSHIP if widest >= 9 else DISTRICT)


# --- Home -------------------------------------------------------------------------------


def _recent_visits(user: Any) -> list[Any]:
    seen = VisitMinor.objects.select_related("minor").only(
        "pk", "visit_id", "minor_id", "risk_flags", "minor__name"
    )
    visits = list(
        visits_for_listing(user)
        .select_related("recorded_by")
        .prefetch_related(Prefetch("seen", queryset=seen.order_by("pk")))
        .order_by("-occurred_at", "-pk")[:RECENT]
    )
    services.visits_listed(
        actor=user,
        visits=visits,
        minor_ids=[row.minor_id for visit in visits for row in visit.seen.all()],
    )
    return visits


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_reader(user)
    level = level_of(user)
    counts = due_lists.due_counts(user)
    tasks = (
        tasks_visible_to(user)
        .filter(my_tasks_q(user))
        .aggregate(open=Count("pk"), late=Count("pk", filter=Q(due_at__lt=timezone.now())))
    )
    cards = {
        "overdue": (_("Overdue visits"), counts["overdue"], "visits:overdue", "danger"),
        "due": (_("Due this week"), counts["due"], "visits:due", "warning"),
        "children": (_("My children"), counts["children"], "visits:children", "secondary"),
        "tasks": (_("My open tasks"), tasks["open"], "visits:task-list", "primary"),
    }
    order = {
        VILLAGE: ("overdue", "due", "tasks", "children"),
        TOWNSHIP: ("tasks", "overdue", "due", "children"),
        DISTRICT: ("tasks", "overdue", "children", "due"),
    }[level]
    context = {
        "level": level,
        "cards": [cards[key] for key in order],
        "late_tasks": tasks["late"],
        "can_record": can_record_visits(user),
        "show_coverage": level != VILLAGE,
        "can_manage_rules": can_manage_rules(user),
        "recent": _recent_visits(user),
    }
    return render(request, "visits/home.html", context)


# --- The due lists ----------------------------------------------------------------------


def _due_page(
    request: HttpRequest,
    rows_for: Callable[[Any], Any],
    *,
    which: str,
    title: str,
    empty: str,
) -> HttpResponse:
    user = request.user
    require_reader(user)
    try:
        area = area_param(request)
    except BadAreaError:
        return bad_area()
    rows = rows_for(user)
    if area:
        rows = rows.filter(prefix_term("area_code", area))
    page = Paginator(rows.only(*MINOR_FIELDS), PAGE_SIZE).get_page(request.GET.get("page"))
    minors_listed(actor=user, minor_ids=[m.pk for m in page])
    today = timezone.localdate()
    recording = recording_prefixes(user)
    context = {
        "which": which,
        "title": title,
        "empty": empty,
        "area": area,
        "area_name": place_name(area) if area else "",
        "page": page,
        "query": f"area={area}" if area else "",
        "rows": [
            (m, m.age_on(today), perms.covers(recording, m.area_code) if recording else False)
            for m in page
        ],
        "area_names": division_names({m.area_code for m in page}),
        "show_place": level_of(user) != VILLAGE,
        "today": today,
    }
    return render(request, "visits/due_list.html", context)


@login_required
@require_safe
def my_children(request: HttpRequest) -> HttpResponse:
    return _due_page(
        request,
        due_lists.my_children,
        which="children",
        title=_("My children"),
        empty=_("No child in your area is registered."),
    )


@login_required
@require_safe
def due(request: HttpRequest) -> HttpResponse:
    return _due_page(
        request,
        due_lists.due_this_week,
        which="due",
        title=_("Due this week"),
        empty=_("No visit falls due this week."),
    )


@login_required
@require_safe
def overdue(request: HttpRequest) -> HttpResponse:
    return _due_page(
        request,
        due_lists.overdue,
        which="overdue",
        title=_("Overdue visits"),
        empty=_("No visit is overdue."),
    )


# --- Coverage ---------------------------------------------------------------------------


@login_required
@require_safe
def coverage(request: HttpRequest) -> HttpResponse:
    """Per village within a township (or a village), per township above that."""
    user = request.user
    require_reader(user)
    try:
        area = area_param(request)
    except BadAreaError:
        return bad_area()
    children = minors_tracked_by(user)
    if area:
        children = children.filter(prefix_term("area_code", area))
        widest = len(area)
    else:
        widest = min((len(p) for p in reading_prefixes(user)), default=12)
    length = due_lists.VILLAGE if widest >= 9 else due_lists.TOWNSHIP
    rows = due_lists.coverage_rows(children, length=length)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    tracked = sum(r.tracked for r in rows)
    late = sum(r.overdue for r in rows)
    context = {
        "area": area,
        "area_name": place_name(area) if area else "",
        "by_village": length == due_lists.VILLAGE,
        "page": page,
        "query": f"area={area}" if area else "",
        "total": due_lists.CoverageRow(area=area, name="", tracked=tracked, overdue=late),
    }
    return render(request, "visits/coverage.html", context)
