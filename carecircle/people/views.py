from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carecircle.accounts import permissions as perms
from carecircle.accounts.forms import OtpTokenForm
from carecircle.accounts.services import second_factor_verify
from carecircle.people import services
from carecircle.people.forms import EmergencyAccessForm
from carecircle.people.models import Minor
from carecircle.people.permissions import (
    can_change_minor,
    get_minor_for_user,
    in_regular_scope,
    minor_scope_q,
    minors_visible_to,
)
from carecircle.people.selectors import minors_search
from carecircle.regions.selectors import division_names

DETAIL_FIELDS = ["name", "sex", "birth_date", "id_number", "area_code", "address", "school"]


@login_required
@require_GET
def minor_list(request: HttpRequest) -> HttpResponse:
    if not perms.sees_child_data(request.user):
        raise PermissionDenied
    minors = minors_visible_to(request.user).select_related("school")
    query = request.GET.get("q", "").strip()[:64]
    minors = minors_search(minors, query)
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
    return _render_detail(request, minor)


def _render_detail(
    request: HttpRequest,
    minor: Minor,
    *,
    revealed_id: str = "",
    reveal_form: OtpTokenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    services.minor_view(actor=request.user, minor=minor, fields=DETAIL_FIELDS)
    context = {
        "minor": minor,
        "area_names": division_names({minor.area_code}),
        "emergency": not in_regular_scope(request.user, minor),
        "can_reveal": not revealed_id and can_change_minor(request.user, minor),
        "revealed_id": revealed_id,
        "reveal_form": reveal_form or OtpTokenForm(auto_id="reveal_%s"),
    }
    return render(request, "people/minor_detail.html", context, status=status)


@login_required
@require_POST
def minor_reveal_id(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full ID number once, after the current authenticator code (ASVS 7.5.3)."""
    if minor_scope_q(request.user, edit=True) is None:
        raise PermissionDenied
    minor = get_minor_for_user(request.user, pk)
    if not can_change_minor(request.user, minor):
        raise PermissionDenied
    form = OtpTokenForm(request.POST, auto_id="reveal_%s")
    if form.is_valid():
        if second_factor_verify(user=request.user, token=form.cleaned_data["otp_token"]):
            revealed = services.minor_reveal_id(actor=request.user, minor=minor)
            return _render_detail(request, minor, revealed_id=revealed)
        form.add_error("otp_token", _("The code is wrong or already used."))
    return _render_detail(request, minor, reveal_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def emergency_access(request: HttpRequest) -> HttpResponse:
    """Break the glass: find an out-of-scope child by ID number, with a reason and step-up."""
    if not perms.can_break_glass(request.user):
        raise PermissionDenied
    form = EmergencyAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not second_factor_verify(user=request.user, token=form.cleaned_data["otp_token"]):
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
