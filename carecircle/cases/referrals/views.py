"""The referral pages (issue 7 item 5), under /referrals/.

- ``new``: the "Refer" form of a case (its team and supervisors, while it is open);
- ``detail``: one referral, for both sides, with the steps the viewer may take; a
  read is audited with the child's id, as a read of the child's record is;
- ``inbox``: the referrals to the user's organisations, filtered by status, the
  overdue ones marked; ``outbox``: the referrals of the cases the user reads;
- one POST-only view per step (accept, decline, feedback, close, withdraw),
  answering with a redirect to the referral and a message, or the page again with
  the form's errors and a 400.

Each page refuses a role that reaches no referral on its side (403) before any
lookup; a referral out of the user's scope is a 404 recorded as a denial.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from carecircle.accounts.errors import add_service_errors
from carecircle.accounts.models import Organisation
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.cases import permissions as case_perms
from carecircle.cases.models import Referral
from carecircle.cases.referrals import permissions as ref_perms
from carecircle.cases.referrals import selectors, services
from carecircle.cases.referrals.forms import (
    ConfirmForm,
    DeclineForm,
    FeedbackForm,
    FilterForm,
    NoteForm,
    ReferralForm,
)
from carecircle.cases.referrals.sharing import shared_rows
from carecircle.visits.views.common import PAGE_SIZE

S = Referral.Status
HOSPITAL = Organisation.Kind.HOSPITAL


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def new(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case_perms.require_reader(user)
    case = case_perms.get_case_for_user(user, pk, related=("minor",))
    if not ref_perms.can_send(user, case):
        raise PermissionDenied(_("Only the team or a supervisor refers an open case."))
    if request.method == "POST":
        form = ReferralForm(request.POST, auto_id="id_referral_%s")
        if form.is_valid():
            data = form.cleaned_data
            try:
                referral = services.referral_send(
                    actor=user,
                    case=case,
                    to_organisation=data["to_organisation"],
                    reason=data["reason"],
                    shared_items=list(data["shared_items"]),
                    basis=data["basis"],
                    consent_by=data["consent_by"],
                    consent_on=data["consent_on"],
                    override_reason=data["override_reason"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("basis", str(exc) or _("You may not override consent."))
            else:
                messages.success(request, str(_("The referral is sent.")))
                return redirect("referrals:detail", pk=referral.pk)
        status = 400
    else:
        form = ReferralForm(auto_id="id_referral_%s", initial={"shared_items": ["name"]})
        status = 200
    may_override = ref_perms.can_override(user, case)
    basis_fields = [
        "basis",
        "consent_by",
        "consent_on",
        *(["override_reason"] if may_override else []),
    ]
    context = {
        "case": case,
        "form": form,
        "basis_fields": [form[name] for name in basis_fields],
        "shareable": ReferralForm.shareable(),
    }
    return render(request, "referrals/referral_new.html", context, status=status)


@dataclass(frozen=True)
class Step:
    name: str
    title: Promise
    form: type[forms.Form]
    shown: Callable[[Any, Referral, frozenset[str]], bool]
    run: Callable[[Any, Referral, dict[str, Any]], object]
    done: Promise
    gate: Callable[[Any], None]


def _receiver(sides: frozenset[str]) -> bool:
    return ref_perms.RECEIVER in sides


def _sender(user: Any, referral: Referral, sides: frozenset[str]) -> bool:
    return ref_perms.SENDER in sides and ref_perms.works_sender_side(user, referral)


STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step(
            "accept",
            _("Accept"),
            ConfirmForm,
            lambda u, r, sides: _receiver(sides) and r.status == S.SENT,
            lambda u, r, d: services.referral_accept(actor=u, referral=r),
            _("The referral is accepted."),
            ref_perms.require_receiver,
        ),
        Step(
            "decline",
            _("Decline"),
            DeclineForm,
            lambda u, r, sides: _receiver(sides) and r.status == S.SENT,
            lambda u, r, d: services.referral_decline(actor=u, referral=r, reason=d["reason"]),
            _("The referral is declined."),
            ref_perms.require_receiver,
        ),
        Step(
            "feedback",
            _("Give feedback"),
            FeedbackForm,
            lambda u, r, sides: _receiver(sides) and r.status == S.ACCEPTED,
            lambda u, r, d: services.referral_feedback(
                actor=u, referral=r, feedback=d["feedback"], diagnosis=d["diagnosis"]
            ),
            _("The feedback is recorded."),
            ref_perms.require_receiver,
        ),
        Step(
            "close",
            _("Close the referral"),
            NoteForm,
            lambda u, r, sides: (
                (_receiver(sides) or _sender(u, r, sides))
                and r.status == S.ACCEPTED
                and r.feedback_at is not None
            ),
            lambda u, r, d: services.referral_close(actor=u, referral=r, note=d["note"]),
            _("The referral is closed."),
            ref_perms.require_reader,
        ),
        Step(
            "withdraw",
            _("Withdraw"),
            NoteForm,
            lambda u, r, sides: _sender(u, r, sides) and r.status == S.SENT,
            lambda u, r, d: services.referral_withdraw(actor=u, referral=r, note=d["note"]),
            _("The referral is withdrawn."),
            ref_perms.require_sender,
        ),
    )
}


def _page(
    request: HttpRequest,
    referral: Referral,
    sides: frozenset[str],
    *,
    failed: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    actions = []
    for step in STEPS.values():
        if not step.shown(user, referral, sides):
            continue
        if failed and failed[0] == step.name:
            form = failed[1]
        else:
            form = step.form(auto_id=f"id_{step.name}_%s")
            if step.name == "feedback" and referral.to_organisation.kind != HOSPITAL:
                form.fields.pop("diagnosis", None)
        actions.append(
            {
                "name": step.name,
                "title": step.title,
                "form": form,
                "url": reverse(f"referrals:{step.name}", args=[referral.pk]),
            }
        )
    if failed and not any(a["name"] == failed[0] for a in actions):
        step = STEPS[failed[0]]
        actions.append(
            {
                "name": step.name,
                "title": step.title,
                "form": failed[1],
                "url": reverse(f"referrals:{step.name}", args=[referral.pk]),
            }
        )
    context = {
        "referral": referral,
        "sender_side": ref_perms.SENDER in sides,
        "receiver_side": ref_perms.RECEIVER in sides,
        "shared": shared_rows(referral.shared),
        "events": selectors.events_of(referral),
        "overdue": selectors.is_overdue(referral),
        "actions": actions,
        "is_hospital": referral.to_organisation.kind == HOSPITAL,
    }
    return render(request, "referrals/referral_detail.html", context, status=status)


@login_required
@require_safe
@never_cache
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    ref_perms.require_reader(user)
    referral = ref_perms.get_referral_for_user(user, pk, related=("case", "sent_by"))
    sides = ref_perms.sides_of(user, referral)
    with transaction.atomic():
        audit_record(
            actor=user,
            action=AuditEvent.Action.VIEW,
            object_type="cases.referral",
            object_id=referral.pk,
            minor_id=referral.minor_id,
            details={"side": sorted(sides)},
        )
    return _page(request, referral, sides)


def _perform(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    step = STEPS[name]
    user = request.user
    step.gate(user)
    referral = ref_perms.get_referral_for_user(user, pk, related=("case", "sent_by"))
    form = step.form(request.POST, auto_id=f"id_{name}_%s")
    if form.is_valid():
        try:
            step.run(user, referral, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, str(step.done))
            return redirect("referrals:detail", pk=referral.pk)
    referral.refresh_from_db()
    return _page(
        request, referral, ref_perms.sides_of(user, referral), failed=(name, form), status=400
    )


def _step_view(name: str) -> Callable[[HttpRequest, int], HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        return _perform(request, pk, name)

    view.__name__ = name
    return view


accept = _step_view("accept")
decline = _step_view("decline")
feedback = _step_view("feedback")
close = _step_view("close")
withdraw = _step_view("withdraw")


def _listing(request: HttpRequest, *, inbox: bool) -> HttpResponse:
    """The receiver's inbox or the sender's list: the same table, filtered by status."""
    user = request.user
    if inbox:
        ref_perms.require_receiver(user)
    else:
        ref_perms.require_sender(user)
    form = FilterForm(request.GET)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    rows = selectors.inbox(user, status) if inbox else selectors.outbox(user, status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    items = list(page.object_list)
    latest = selectors.latest_events(items)
    context = {
        "title": _("Referrals to my organisation") if inbox else _("Referrals of my cases"),
        "inbox": inbox,
        "receives": ref_perms.receives(user),
        "sends": case_perms.reaches_cases(user),
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "rows": [
            {
                "referral": r,
                "overdue": selectors.is_overdue(r),
                "latest": selectors.EVENT_LABELS.get(latest[r.pk].kind, "")
                if r.pk in latest
                else "",
            }
            for r in items
        ],
    }
    return render(request, "referrals/referral_list.html", context)


@login_required
@require_safe
@never_cache
def inbox(request: HttpRequest) -> HttpResponse:
    return _listing(request, inbox=True)


@login_required
@require_safe
@never_cache
def outbox(request: HttpRequest) -> HttpResponse:
    return _listing(request, inbox=False)
