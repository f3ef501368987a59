from __future__ import annotations

from datetime import datetime, time

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from carecircle.accounts.permissions import can_read_audit
from carecircle.audit.forms import AuditFilterForm
from carecircle.audit.models import AuditEvent
from carecircle.audit.selectors import events_visible_to


def _filtered(request: HttpRequest, form: AuditFilterForm) -> QuerySet[AuditEvent]:
    events = events_visible_to(request.user)
    if not form.is_valid():
        return events.none()
    data = form.cleaned_data
    if data.get("id_number"):
        from carecircle.people.services import find_minor_for_emergency

        minor = find_minor_for_emergency(id_number=data["id_number"])
        events = events.filter(minor_id=minor.pk if minor else -1)
    if data.get("minor"):
        events = events.filter(minor_id=data["minor"])
    if data.get("username"):
        events = events.filter(actor_username=data["username"].strip())
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("start"):
        events = events.filter(
            at__gte=timezone.make_aware(datetime.combine(data["start"], time.min))
        )
    if data.get("end"):
        events = events.filter(at__lte=timezone.make_aware(datetime.combine(data["end"], time.max)))
    return events.order_by("-seq")


@login_required
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    """The audit log, and with a child filter, "who viewed this child"."""
    if not can_read_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or {})
    page = Paginator(_filtered(request, form), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/event_list.html", {"form": form, "page": page, "query": query.urlencode()}
    )
