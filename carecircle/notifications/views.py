from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from carecircle.notifications.models import Notification
from carecircle.notifications.services import notifications_mark_read


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.filter(recipient_id=request.user.pk)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    notifications_mark_read(user=request.user, ids=ids or None)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(status=204)
    return redirect("notifications:list")
