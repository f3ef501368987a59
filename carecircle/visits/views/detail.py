"""One visit, as its readers see it, and its photos.

The page is an audited read (``services.visit_view``, one entry per child seen),
written before the page renders. Each photo is fetched through its own URL, checked
against the reader's scope and audited (``photos.photo_read``); it is never cached
by the browser or a proxy.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from carecircle.audit.services import note_denial
from carecircle.cases.permissions import can_open_cases
from carecircle.visits import services
from carecircle.visits.flags import RiskFlag
from carecircle.visits.models import OBSERVATIONS, Finding, Visit, VisitMinor, VisitTask
from carecircle.visits.permissions import (
    MAX_ID,
    can_complete_task,
    get_visit_for_user,
    photos_visible_to,
    require_reader,
)
from carecircle.visits.photos import photo_read
from carecircle.visits.serializers import DETAIL_FIELDS
from carecircle.visits.views.common import place_name


def _flag_labels(flags: list[str]) -> list[str]:
    return [str(RiskFlag(f).label) for f in flags if f in RiskFlag.values]


def _finding(visit: Visit, name: str) -> str:
    return str(Finding(getattr(visit, name)).label) if getattr(visit, name) in Finding else ""


@login_required
@require_safe
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    require_reader(user)
    visit = get_visit_for_user(user, pk)
    prefetch_related_objects(
        [visit],
        Prefetch("seen", queryset=VisitMinor.objects.select_related("minor").order_by("pk")),
        "visitors",
        "photos",
        Prefetch("tasks", queryset=VisitTask.objects.select_related("minor", "done_by")),
    )
    services.visit_view(actor=user, visit=visit, fields=DETAIL_FIELDS)
    now = timezone.now()
    context = {
        "visit": visit,
        "place": place_name(visit.area_code),
        "seen": [(row, _flag_labels(row.risk_flags)) for row in visit.seen.all()],
        "observations": [
            (
                getattr(Visit._meta.get_field(name), "verbose_name", name),
                getattr(visit, name),
                _finding(visit, name),
            )
            for name in OBSERVATIONS
        ],
        "tasks": [
            (
                task,
                task.status == VisitTask.Status.OPEN and can_complete_task(user, task),
                task.status == VisitTask.Status.OPEN and task.due_at < now,
                _flag_labels(task.flags),
            )
            for task in visit.tasks.all()
        ],
        "photos": list(visit.photos.all()),
        "can_open_cases": can_open_cases(user),
    }
    return render(request, "visits/visit_detail.html", context)


@login_required
@require_safe
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A photo's bytes, for a reader of its visit; 404 outside the reader's scope."""
    user = request.user
    require_reader(user)
    found = (
        photos_visible_to(user).select_related("visit").filter(pk=pk).first()
        if 0 < pk <= MAX_ID
        else None
    )
    if found is None:
        note_denial(actor=user, object_type="visits.photo", object_id=pk, reason="out of scope")
        raise Http404
    try:
        data = photo_read(actor=user, photo=found)
    except OSError:  # the file is gone: the read was not recorded either
        raise Http404 from None
    response = HttpResponse(data, content_type=found.content_type or "image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="visit-photo-{found.pk}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
