"""Pages of the follow-ups that triaged results open (issue 4, item 5).

- ``follow_up_list``: open follow-ups first, overdue marked, for the school's
  psychology teacher and the centre (``permissions.follow_ups_visible_to``);
- ``follow_up_detail``: why the result was triaged (level, band, positive screens,
  reasons), and the two actions: acknowledge, and record what was done.

Viewing a follow-up shows a child's screening result: it is an audited read.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, note_denial
from carecircle.screening.followups import (
    followup_acknowledge,
    followup_complete,
)
from carecircle.screening.instruments import InstrumentError, get_instrument
from carecircle.screening.instruments.model import localize
from carecircle.screening.models import FollowUp, Response
from carecircle.screening.permissions import follow_ups_visible_to, require_runner


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label=gettext_lazy("What was done"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=gettext_lazy("Who saw the pupil, when, and what was agreed (referral, plan, …)."),
    )


def _get_follow_up_for_user(user: Any, pk: int) -> FollowUp:
    found = (
        follow_ups_visible_to(user)
        .select_related("minor", "school", "response", "acknowledged_by", "done_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        note_denial(
            actor=user, object_type="screening.followup", object_id=pk, reason="out of scope"
        )
        raise Http404
    return found


def _screen_labels(response: Response) -> list[str]:
    """The positive screens' names in the viewer's language (their keys if the file is gone)."""
    try:
        screens = {s.key: localize(s.label) for s in get_instrument(response.code).positive}
    except InstrumentError:
        screens = {}
    return [screens.get(key, key) for key in response.positive]


@login_required
@require_safe
def follow_up_list(request: HttpRequest) -> HttpResponse:
    require_runner(request.user)
    rank = Case(
        When(status=FollowUp.Status.OPEN, then=Value(0)),
        When(status=FollowUp.Status.ACKNOWLEDGED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    show_done = request.GET.get("done") == "1"
    rows = follow_ups_visible_to(request.user).select_related("minor", "school")
    if not show_done:
        rows = rows.exclude(status=FollowUp.Status.DONE)
    page = Paginator(rows.annotate(rank=rank).order_by("rank", "due_at", "pk"), 50).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    return render(
        request,
        "screening/follow_up_list.html",
        {
            "rows": [(row, row.is_overdue(now)) for row in page],
            "page": page,
            "query": "done=1" if show_done else "",
            "show_done": show_done,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def follow_up_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_runner(request.user)
    follow_up = _get_follow_up_for_user(request.user, pk)
    form = OutcomeForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "acknowledge":
                followup_acknowledge(actor=request.user, follow_up=follow_up)
                messages.success(request, _("Acknowledged. See the pupil as the level requires."))
                return redirect("screening:follow-up", pk=follow_up.pk)
            if action == "complete":
                form = OutcomeForm(request.POST)
                if form.is_valid():
                    followup_complete(
                        actor=request.user,
                        follow_up=follow_up,
                        outcome=form.cleaned_data["outcome"],
                    )
                    messages.success(request, _("The follow-up is recorded as done."))
                    return redirect("screening:follow-ups")
            else:
                return HttpResponse(_("Unknown action."), status=400)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("screening:follow-up", pk=follow_up.pk)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        object_type="screening.followup",
        object_id=follow_up.pk,
        minor_id=follow_up.minor_id,
    )
    return render(
        request,
        "screening/follow_up_detail.html",
        {
            "follow_up": follow_up,
            "response": follow_up.response,
            "positive": _screen_labels(follow_up.response),
            "overdue": follow_up.is_overdue(timezone.now()),
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )
