"""One report's page, and its attachments' cleaned copies.

Every read is audited (SECURITY.md §6.5): the page records a view of the report
(one record per linked child) before it renders, an attachment a view before its
bytes are sent. The reporter's identity is shown only to those
``permissions.sees_reporter`` allows; the full history, with the staff's words, only
to those who handle the report. Only the copy without metadata is ever served.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import note_denial
from carecircle.cases.permissions import can_open_cases
from carecircle.people.permissions import minors_visible_to
from carecircle.people.selectors import minors_search
from carecircle.people.services import minors_listed
from carecircle.tips import forms as tip_forms
from carecircle.tips.attachments import read_cleaned
from carecircle.tips.models import (
    Dispatch,
    Extension,
    Outcome,
    Satisfaction,
    Status,
    Tip,
    TipAttachment,
    TipEvent,
    TipMinor,
    Trigger,
    Urgency,
)
from carecircle.tips.permissions import (
    MAX_ID,
    can_decide_extension,
    can_handle,
    desk_covers,
    get_tip_for_user,
    live_dispatch_for,
    require_reader,
    sees_reporter,
    tips_visible_to,
)
from carecircle.tips.selectors import PRIVATE_TEXT, clocks_of, dispatches_of
from carecircle.tips.services import audit
from carecircle.tips.views.actions import ACTIONS
from carecircle.visits.views.common import place_names

MAX_CHAIN = 20


def _summary(ev: TipEvent) -> str:
    """A step's details in words, where they say something."""
    d = ev.details or {}
    if ev.kind == TipEvent.Kind.URGENCY and "to" in d:
        return f"{Urgency(d.get('from', 1)).label} → {Urgency(d['to']).label}"
    if ev.kind == TipEvent.Kind.EXTENSION_DECIDED and "approved" in d:
        return _("Approved") if d["approved"] else _("Refused")
    if ev.kind == TipEvent.Kind.CLOSED and d.get("outcome") in Outcome.values:
        return str(Outcome(d["outcome"]).label)
    if ev.kind == TipEvent.Kind.FOLLOWED_UP and d.get("satisfaction") in Satisfaction.values:
        return str(Satisfaction(d["satisfaction"]).label)
    if d.get("withdrawn"):
        return _("Withdrawn by the desk")
    if d.get("unlinked"):
        return _("Unlinked")
    return ""


def _history(tip: Tip, handles: bool) -> list[dict[str, Any]]:
    events = tip.events.select_related("actor").order_by("at", "pk")
    rows = []
    for ev in events:
        rows.append(
            {
                "event": ev,
                "text": ev.text if handles or ev.kind not in PRIVATE_TEXT else "",
                "summary": _summary(ev),
            }
        )
    return rows


def _forms(
    user: Any, tip: Tip, live: Dispatch | None, pending: Extension | None
) -> list[dict[str, Any]]:
    """The action forms the viewer may use on the report as it stands, in order."""
    handles, desk = can_handle(user, tip), desk_covers(user, tip)
    is_open, acknowledged = tip.is_open, tip.status != Status.RECEIVED
    answering = live_dispatch_for(user, tip)
    kw = {"user": user, "tip": tip}
    emergency = tip.urgency == Urgency.EMERGENCY and is_open
    wanted: list[tuple[str, bool, Any]] = [
        ("handoff", handles and emergency, tip_forms.HandoffForm),
        ("acknowledge", handles and not acknowledged, tip_forms.PlainForm),
        (
            "contact",
            handles and is_open and tip.first_contact_at is None and tip.reachable,
            tip_forms.ContactForm,
        ),
        ("dispatch-acknowledge", answering is not None and answering.status == "pending",
         tip_forms.PlainForm),
        ("dispatch-report", answering is not None, tip_forms.ResultForm),
        ("dispatch-return", answering is not None, tip_forms.ReasonForm),
        ("assign", desk and is_open, tip_forms.AssignForm),
        ("dispatch", desk and is_open and acknowledged, tip_forms.DispatchForm),
        ("dispatch-withdraw", desk and live is not None, tip_forms.ReasonForm),
        ("urgency", handles and is_open, tip_forms.UrgencyForm),
        ("police", handles and tip.status != Status.MERGED, tip_forms.PoliceForm),
        ("note", handles, tip_forms.NoteForm),
        ("handoff", handles and not emergency and tip.status != Status.MERGED,
         tip_forms.HandoffForm),
        (
            "extension-request",
            handles and is_open and not tip.extended and pending is None,
            tip_forms.ReasonForm,
        ),
        (
            "extension-decide",
            pending is not None
            and can_decide_extension(user, tip)
            and pending.requested_by_id != user.pk,
            tip_forms.ExtensionDecideForm,
        ),
        ("close", handles and is_open and acknowledged, tip_forms.CloseForm),
        ("followup", handles and tip.status == Status.CLOSED, tip_forms.FollowupForm),
        ("reopen", desk and tip.status == Status.CLOSED, tip_forms.ReasonForm),
        ("merge", desk and is_open and live is None, tip_forms.MergeForm),
    ]  # fmt: skip
    shown = []
    for name, allowed, form_class in wanted:
        if allowed:
            form = form_class(initial={"urgency": tip.urgency}, auto_id=f"id_{name}_%s", **kw)
            shown.append(
                {
                    "name": name,
                    "url": reverse(f"tips:{name}", args=[tip.pk]),
                    "title": ACTIONS[name].title,
                    "form": form,
                }
            )
    return shown


def _reasons(tip: Tip) -> list[dict[str, Any]]:
    rows = []
    for reason in tip.urgency_reasons:
        if not isinstance(reason, dict):
            continue
        term = str(reason.get("term", ""))
        if reason.get("kind") == "trigger" and term in Trigger.values:
            term = str(Trigger(term).label)
        rows.append({**reason, "term": term, "label": Urgency(reason.get("urgency", 1)).label})
    return rows


@login_required
@require_safe
@never_cache
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    require_reader(user)
    tip = get_tip_for_user(user, pk)
    handles = can_handle(user, tip)
    duplicates = list(tip.duplicates.order_by("pk"))
    related_ids = [tip.pk, *(d.pk for d in duplicates)]
    links = list(
        TipMinor.objects.filter(tip_id__in=related_ids).select_related("minor").order_by("pk")
    )
    dispatches = list(dispatches_of(tip))
    live = next((d for d in dispatches if d.status in ("pending", "acknowledged")), None)
    extensions = list(tip.extensions.select_related("requested_by", "decided_by"))
    pending = next((e for e in extensions if e.decision == Extension.Decision.PENDING), None)
    with transaction.atomic():
        audit(user, AuditEvent.Action.VIEW, tip, page="detail", reporter=sees_reporter(user, tip))
        if handles:
            minors_listed(actor=user, minor_ids=[link.minor_id for link in links])
    places = place_names([tip.area_code, *(d.area_code for d in dispatches if d.area_code)])
    context = {
        "tip": tip,
        "place": places[tip.area_code],
        "dispatch_places": places,
        "handles": handles,
        "shows_reporter": sees_reporter(user, tip),
        "reasons": _reasons(tip),
        "clocks": clocks_of(tip, timezone.now()),
        "attachments": list(
            TipAttachment.objects.filter(tip_id__in=related_ids).order_by("tip_id", "pk")
        ),
        "history": _history(tip, handles),
        "dispatches": dispatches,
        "extensions": extensions,
        "links": links if handles else [],
        "link_count": len(links),
        "own_links": {link.minor_id for link in links if link.tip_id == tip.pk},
        "duplicates": duplicates,
        "forms": _forms(user, tip, live, pending),
        "can_link": handles and tip.status != Status.MERGED,
        "can_open_cases": handles and can_open_cases(user),
        "notified": tip.notified,
    }
    return render(request, "tips/tip_detail.html", context)


SEARCH_LIMIT = 10


@login_required
@require_safe
@never_cache
def minor_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Children of the registry the handler may link: by name, pinyin or ID number.

    Only children the user may read (``minors_visible_to``), at most ``SEARCH_LIMIT``;
    the list names them as the children's list does and is recorded the same way.
    htmx asks for the results alone; without JavaScript the page shows them whole.
    """
    user = request.user
    require_reader(user)
    tip = get_tip_for_user(user, pk)
    if not can_handle(user, tip) or tip.status == Status.MERGED:
        raise PermissionDenied(_("You do not handle this report."))
    query = request.GET.get("q", "").strip()[:50]
    found = (
        list(minors_search(minors_visible_to(user), query).order_by("name", "pk")[:SEARCH_LIMIT])
        if query
        else []
    )
    if found:
        with transaction.atomic():
            minors_listed(actor=user, minor_ids=[m.pk for m in found])
    linked = set(tip.minors.values_list("pk", flat=True))
    context = {
        "tip": tip,
        "query": query,
        "found": found,
        "linked": linked,
        "places": place_names([m.area_code for m in found]) if found else {},
    }
    template = (
        "tips/_minor_results.html"
        if request.headers.get("HX-Request") == "true"
        else "tips/minor_search.html"
    )
    return render(request, template, context)


def _reads(user: Any, attachment: TipAttachment) -> bool:
    """Whether the user reads the attachment's report or a report it was merged into."""
    chain: list[int] = []
    step: Tip | None = attachment.tip
    while step is not None and step.pk not in chain and len(chain) < MAX_CHAIN:
        chain.append(step.pk)
        step = step.merged_into
    return tips_visible_to(user).filter(pk__in=chain).exists()


@login_required
@require_safe
@never_cache
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """The cleaned copy of an attachment, audited; never the original."""
    user = request.user
    require_reader(user)
    found = (
        TipAttachment.objects.select_related("tip").filter(pk=pk).first()
        if 0 < pk <= MAX_ID
        else None
    )
    if found is None or not _reads(user, found):
        note_denial(actor=user, object_type="tips.attachment", object_id=pk, reason="out of scope")
        raise Http404
    try:
        data = read_cleaned(found)
    except OSError:  # the file is gone: nothing was shown, nothing recorded
        raise Http404 from None
    with transaction.atomic():
        audit(user, AuditEvent.Action.VIEW, found.tip, attachment=found.pk)
    response = HttpResponse(data, content_type=found.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="report-file-{found.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
