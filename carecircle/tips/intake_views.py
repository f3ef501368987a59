"""The staff intake pages (issue 6 item 2): a 12345 ticket, a report-box note, a
mandatory report. Each goes through ``services.tip_receive`` like the public page.

A wrong role is a 403 before anything else; bad input is a 400 that writes nothing.
A ticket or box log number entered again makes no second tip: the page goes to the
tip first made, or, when the user may not read it (another operator entered it),
says so with its work-order number and a 409.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from carecircle.people.services import minors_listed
from carecircle.tips import permissions
from carecircle.tips.intake_forms import BoxForm, HotlineForm, MandatoryForm, receive
from carecircle.tips.models import Tip
from carecircle.tips.services import Received

METHODS = ["GET", "HEAD", "POST"]


def _bound(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _answer(
    request: HttpRequest, got: Received, form: Any, template: str, context: dict[str, Any]
) -> HttpResponse:
    tip: Tip = got.tip
    if got.created:
        messages.success(request, _("Report %(number)s is in the queue.") % {"number": tip.number})
        return redirect("tips:detail", pk=tip.pk)
    if permissions.tips_visible_to(request.user).filter(pk=tip.pk).exists():
        messages.info(
            request,
            _("This number was entered before, as report %(number)s. Nothing was added.")
            % {"number": tip.number},
        )
        return redirect("tips:detail", pk=tip.pk)
    form.add_error(
        None,
        _(
            "This number was entered before by someone else, as report %(number)s. Nothing "
            "was added; ask the protection centre to add what is new to that report."
        )
        % {"number": tip.number},
    )
    return render(request, template, {"form": form, **context}, status=409)


@login_required
@require_http_methods(METHODS)
def hotline(request: HttpRequest) -> HttpResponse:
    if not permissions.can_enter_hotline(request.user):
        raise PermissionDenied(_("Only 12345 operators and the protection centre enter tickets."))
    form = HotlineForm(_bound(request), user=request.user)
    template = "tips/intake/hotline.html"
    if form.is_valid():
        got = receive(form.intake(), actor=request.user, details=form.details())
        return _answer(request, got, form, template, {})
    return render(request, template, {"form": form}, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(METHODS)
def box(request: HttpRequest) -> HttpResponse:
    if not permissions.can_log_box(request.user):
        raise PermissionDenied(_("Only a school's staff and the protection centre log box notes."))
    form = BoxForm(_bound(request), user=request.user)
    template = "tips/intake/box.html"
    if form.is_valid():
        return _answer(request, receive(form.intake(), actor=request.user), form, template, {})
    return render(request, template, {"form": form}, status=400 if form.is_bound else 200)


def _unit(user: Any) -> str:
    for assignment in permissions.perms.assignments(user):
        if assignment.organisation is not None:
            return assignment.organisation.name
    return ""


@login_required
@require_http_methods(METHODS)
def mandatory(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not permissions.can_report_mandatory(user):
        raise PermissionDenied(_("Your roles do not file mandatory reports."))
    initial = {"reporter_unit": _unit(user), "minor": request.GET.get("minor", "")}
    form = MandatoryForm(_bound(request), user=user, initial=initial)
    template = "tips/intake/mandatory.html"
    if form.is_valid():
        got = receive(
            form.intake(),
            actor=user,
            police_reason=form.cleaned_data["police_reason"],
            minor=form.cleaned_data["minor"],
        )
        if got.created and not got.tip.police_receipt:
            messages.warning(
                request,
                _(
                    "Report it to the police now if you have not, and add the receipt number: "
                    "the report cannot be closed without it or a written reason."
                ),
            )
        return _answer(request, got, form, template, {})
    child = form.picked()
    if child is not None:
        minors_listed(actor=user, minor_ids=[child.pk])
    context = {"form": form, "child": child}
    return render(request, template, context, status=400 if form.is_bound else 200)
