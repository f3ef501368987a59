from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecircle.accounts import permissions as perms
from carecircle.crypto.fields import lookup_index
from carecircle.people import services
from carecircle.people.forms import EmergencyAccessForm
from carecircle.people.models import Minor
from carecircle.people.permissions import get_minor_for_user, in_regular_scope, minors_visible_to
from carecircle.regions.selectors import division_names

DETAIL_FIELDS = ["name", "sex", "birth_date", "id_number", "area_code", "address", "school"]


@login_required
@require_GET
def minor_list(request: HttpRequest) -> HttpResponse:
    if not perms.sees_child_data(request.user):
        raise PermissionDenied
    minors = minors_visible_to(request.user).select_related("school")
    query = request.GET.get("q", "").strip()[:64]
    if query:
        if len(query) in (15, 18) and query[:-1].isdigit():
            minors = minors.filter(id_number_index=lookup_index(Minor, "id_number_index", query))
        else:
            minors = minors.filter(name__contains=query)
    page = Paginator(minors.order_by("area_code", "name", "pk"), 50).get_page(
        request.GET.get("page")
    )
    services.minors_listed(actor=request.user, minor_ids=[m.pk for m in page])
    names = division_names({m.area_code for m in page})
    return render(
        request, "people/minor_list.html", {"page": page, "q": query, "area_names": names}
    )


@login_required
@require_GET
def minor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    minor = get_minor_for_user(request.user, pk)
    services.minor_view(actor=request.user, minor=minor, fields=DETAIL_FIELDS)
    context = {
        "minor": minor,
        "area_names": division_names({minor.area_code}),
        "emergency": not in_regular_scope(request.user, minor),
        "can_change": False,
    }
    return render(request, "people/minor_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def emergency_access(request: HttpRequest) -> HttpResponse:
    """Break the glass: find an out-of-scope child by ID number, with a reason and step-up."""
    if not perms.can_break_glass(request.user):
        raise PermissionDenied
    form = EmergencyAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
        if device is None or not device.verify_token(form.cleaned_data["otp_token"]):
            form.add_error("otp_token", _("The code is wrong or already used."))
        else:
            minor = services.find_minor_for_emergency(id_number=form.cleaned_data["id_number"])
            if minor is None:
                form.add_error("id_number", _("No child with this ID number is registered."))
            else:
                try:
                    services.emergency_access_grant(
                        actor=request.user, minor=minor, reason=form.cleaned_data["reason"]
                    )
                except ValidationError as exc:
                    form.add_error("reason", exc.messages)
                else:
                    messages.warning(
                        request,
                        _(
                            "Emergency access granted for one hour. It is recorded and your "
                            "district administrator has been told."
                        ),
                    )
                    return redirect("people:minor-detail", pk=minor.pk)
    return render(request, "people/emergency_access.html", {"form": form})
