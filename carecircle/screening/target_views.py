"""Pages of the key assistance targets (issue 4, item 6).

``key_target_list`` shows the children the list offers the viewer, each with its
reasons and a confirm form for counselors, then the confirmed targets; the other
two views are the confirm and end actions (POST only). Who reads the list: those
who run screening (``permissions.require_runner``); who confirms: counselors
(``targets.CONFIRMERS``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from carecircle.accounts.models import Organisation
from carecircle.audit.services import note_denial
from carecircle.cases.permissions import can_open_cases
from carecircle.people.models import Minor
from carecircle.screening.permissions import require_runner, results_visible_to, school_scope_q
from carecircle.screening.targets import (
    can_confirm,
    candidates_for,
    key_target_confirm,
    key_target_end,
    key_targets_visible_to,
)


def _gate(request: HttpRequest, *, confirm: bool = False) -> None:
    require_runner(request.user)
    if confirm and not can_confirm(request.user):
        raise PermissionDenied(_("Only a counselor confirms key assistance targets."))


@login_required
@require_safe
def key_target_list(request: HttpRequest) -> HttpResponse:
    _gate(request)
    confirmed = (
        key_targets_visible_to(request.user)
        .filter(ended_at__isnull=True)
        .select_related("minor", "confirmed_by")
    )
    scope = school_scope_q(request.user, "")
    readable = set(Organisation.objects.filter(scope).values_list("pk", flat=True) if scope else [])
    return render(
        request,
        "screening/key_targets.html",
        {
            "candidates": candidates_for(request.user),
            # The stored reasons quote results: shown where the viewer reads them.
            "confirmed": [(t, t.school_id in readable) for t in confirmed],
            "can_confirm": can_confirm(request.user),
            "can_open_cases": can_open_cases(request.user),
        },
    )


@login_required
@require_POST
def key_target_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    _gate(request, confirm=True)
    visible = results_visible_to(request.user).filter(participant__minor_id=pk)
    minor = Minor.objects.filter(pk=pk, pk__in=visible.values("participant__minor_id")).first()
    if minor is None:
        note_denial(
            actor=request.user,
            object_type="people.minor",
            object_id=pk,
            reason="out of scope",
        )
        raise Http404
    try:
        key_target_confirm(actor=request.user, minor=minor, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("key-targets:list")
    messages.success(request, _("%(name)s is now a key assistance target.") % {"name": minor.name})
    return redirect("key-targets:list")


@login_required
@require_POST
def key_target_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    _gate(request, confirm=True)
    target = key_targets_visible_to(request.user).filter(pk=pk).first()
    if target is None:
        note_denial(
            actor=request.user,
            object_type="screening.keytarget",
            object_id=pk,
            reason="out of scope",
        )
        raise Http404
    try:
        key_target_end(actor=request.user, target=target, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    messages.success(request, _("The key assistance has ended."))
    return redirect("key-targets:list")
