"""Staff pages of screening campaigns (issue 4 items 4 and 7): the list, a new
campaign, a campaign's live progress, a class's pupils with consent and results, and
the printable code sheets.

Who: the people ``permissions.can_run_campaigns`` names — the school's psychology
teacher and the centre's staff and counselors whose scope covers the school. Anyone
else is refused before any lookup (403, no existence oracle); a campaign outside the
user's scope is 404 (``get_campaign_for_user``). These are also the only people who
see results by pupil name (item 7): class teachers and school administrators never
reach these pages; they get aggregates with the reports (item 8).

Pupils' names with results, and the printed codes, are audited reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, note_denial
from carecircle.people.models import SchoolClass
from carecircle.screening import services, sheets
from carecircle.screening.forms import (
    BaseInstrumentFormSet,
    CampaignForm,
    ClassConsentForm,
    ConsentForm,
    InstrumentFormSet,
    default_instrument_rows,
    default_window,
)
from carecircle.screening.instruments import InstrumentError, get_instrument
from carecircle.screening.instruments.model import localize
from carecircle.screening.models import Campaign, Participant, Response
from carecircle.screening.permissions import (
    campaign_schools_for,
    campaigns_visible_to,
    require_runner,
)
from carecircle.screening.services import (
    OPEN_STATUSES,
    campaign_close,
    class_consent_record,
    participant_consent_record,
)

P = Participant
# Pupils whose guardian's answer can still change: not yet submitted, not withdrawn.
NO_CLASS = 0  # the class number in URLs of pupils enrolled without a class
PROGRESS_POLL_SECONDS = 10


# --- Access ----------------------------------------------------------------------------


def get_campaign_for_user(user: Any, pk: int) -> Campaign:
    campaign = campaigns_visible_to(user).select_related("school").filter(pk=pk).first()
    if campaign is None:
        note_denial(actor=user, object_type="screening.campaign", object_id=pk, reason="scope")
        raise Http404
    return campaign


def get_class_for_campaign(campaign: Campaign, class_pk: int) -> SchoolClass | None:
    """The campaign school's class, or None for the pupils without a class (``NO_CLASS``)."""
    if class_pk == NO_CLASS:
        return None
    school_class = campaign.school.classes.filter(pk=class_pk).first()
    if school_class is None:
        raise Http404
    return school_class


def _class_participants(campaign: Campaign, school_class: SchoolClass | None) -> Any:
    return campaign.participants.filter(school_class=school_class).exclude(status=P.Status.VOID)


# --- Reads -----------------------------------------------------------------------------


def window_state(campaign: Campaign, now: datetime) -> tuple[str, str]:
    """(key, label) of where the campaign stands now."""
    # Context: a bare "Open" is already translated as the verb (查看) elsewhere.
    if campaign.status == Campaign.Status.CLOSED or now >= campaign.closes_at:
        return "closed", pgettext("campaign state", "Closed")
    if now < campaign.opens_at:
        return "scheduled", pgettext("campaign state", "Not open yet")
    return "open", pgettext("campaign state", "Open")


def _counts(via: str = "") -> dict[str, Count]:
    """Annotations counting participants by progress; ``via`` is the relation from the
    queryset's model to them ("participants__" from campaigns, "" from participants)."""

    def term(**terms: Any) -> Q:
        return Q(**{via + key: value for key, value in terms.items()})

    target = via.removesuffix("__") or "pk"
    may_answer = term(consent__in=(P.Consent.GIVEN, P.Consent.NOT_NEEDED))
    return {
        "pupils": Count(target, filter=~term(status=P.Status.VOID)),
        "answered": Count(target, filter=term(status=P.Status.SUBMITTED)),
        "started": Count(target, filter=term(status=P.Status.STARTED)),
        "missing": Count(target, filter=term(status=P.Status.ISSUED) & may_answer),
        "pending": Count(target, filter=term(consent=P.Consent.PENDING, status__in=OPEN_STATUSES)),
        "refused": Count(
            target, filter=term(consent=P.Consent.REFUSED) & ~term(status=P.Status.VOID)
        ),
    }


def class_progress(campaign: Campaign) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Per class (by grade and name, pupils without a class last): answered, started,
    missing (may answer, has not begun), awaiting consent, refused; and the totals."""
    rows: list[dict[str, Any]] = [
        dict(r) for r in campaign.participants.values("school_class").annotate(**_counts())
    ]
    names = {c.pk: c for c in SchoolClass.objects.filter(pk__in=[r["school_class"] for r in rows])}
    for row in rows:
        row["class"] = names.get(row["school_class"])
        row["class_pk"] = row["school_class"] or NO_CLASS
    rows = [r for r in rows if r["pupils"]]
    rows.sort(
        key=lambda r: (r["class"] is None, r["class"] and (r["class"].grade, r["class"].name))
    )
    keys = ("pupils", "answered", "started", "missing", "pending", "refused")
    totals = {key: sum(r[key] for r in rows) for key in keys}
    return rows, totals


def _instrument_rows(campaign: Campaign) -> list[dict[str, Any]]:
    rows = []
    for chosen in campaign.instruments.all():
        try:
            name = localize(get_instrument(chosen.code).name)
        except InstrumentError:
            name = chosen.code
        rows.append({"chosen": chosen, "name": name})
    return rows


def _result(response: Response) -> dict[str, Any]:
    """One submitted questionnaire as the class page shows it, labels in the user's language."""
    band, positive = response.band, list(response.positive)
    name = response.code
    try:
        instrument = get_instrument(response.code)
    except InstrumentError:
        instrument = None
    if instrument is not None and instrument.version == response.version:
        name = localize(instrument.name)
        band = next((localize(b.label) for b in instrument.bands if b.key == response.band), band)
        labels = {s.key: localize(s.label) for s in instrument.positive}
        positive = [labels.get(key, key) for key in positive]
    return {"response": response, "name": name, "band": band, "positive": positive}


# --- Pages -----------------------------------------------------------------------------


@login_required
@require_safe
def campaign_list(request: HttpRequest) -> HttpResponse:
    require_runner(request.user)
    campaigns = (
        campaigns_visible_to(request.user)
        .select_related("school")
        .annotate(**_counts("participants__"))
        .order_by("-opens_at", "-pk")
    )
    page = Paginator(campaigns, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    context = {
        "page": page,
        "states": {c.pk: window_state(c, now) for c in page},
        "can_create": campaign_schools_for(request.user).exists(),
    }
    return render(request, "screening/campaign_list.html", context)


def _apply_service_errors(form: CampaignForm, exc: ValidationError) -> list[str]:
    """The service's errors on the form's fields; those about instruments returned."""
    instrument_errors: list[str] = []
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return instrument_errors
    for field, errors in exc.message_dict.items():
        if field == "instruments":
            instrument_errors.extend(errors)
        else:
            form.add_error(field if field in form.fields else None, errors)
    return instrument_errors


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    require_runner(request.user)
    schools = campaign_schools_for(request.user)
    instrument_errors: list[str] = []
    if request.method == "POST":
        form = CampaignForm(request.POST, schools=schools)
        rows = cast(BaseInstrumentFormSet, InstrumentFormSet(request.POST, prefix="instruments"))
        if form.is_valid() and rows.is_valid():
            data = form.cleaned_data
            try:
                campaign = services.campaign_create(
                    actor=request.user,
                    school=data["school"],
                    name=data["name"],
                    opens_at=data["opens_at"],
                    closes_at=data["closes_at"],
                    basis=data["basis"],
                    instruments=rows.rows(),
                    grades=data["grades"],
                    classes=data["classes"],
                    statutory_basis=data["statutory_basis"],
                    notice_sent_on=data["notice_sent_on"],
                )
            except ValidationError as exc:
                instrument_errors = _apply_service_errors(form, exc)
            else:
                messages.success(request, _("The campaign was created. Issue the codes next."))
                return redirect("screening:campaign-detail", pk=campaign.pk)
        instrument_errors += [str(e) for e in rows.non_form_errors()]
    else:
        opens, closes = default_window()
        only = schools.first() if schools.count() == 1 else None
        school = request.GET.get("school", "") or (only.pk if only else "")
        initial = {
            "school": school,
            "opens_at": opens,
            "closes_at": closes,
            "basis": Campaign.Basis.GUARDIAN_CONSENT,
        }
        form = CampaignForm(initial=initial, schools=schools)
        rows = cast(
            BaseInstrumentFormSet,
            InstrumentFormSet(initial=default_instrument_rows(), prefix="instruments"),
        )
    context = {"form": form, "rows": rows, "instrument_errors": instrument_errors}
    return render(request, "screening/campaign_form.html", context)


@login_required
@require_safe
def campaign_scope(request: HttpRequest) -> HttpResponse:
    """The grades and classes of the chosen school (htmx, for the new-campaign form)."""
    require_runner(request.user)
    form = CampaignForm(
        initial={"school": request.GET.get("school", "")},
        schools=campaign_schools_for(request.user),
    )
    return render(request, "screening/_campaign_scope.html", {"form": form})


def _progress_context(campaign: Campaign) -> dict[str, Any]:
    rows, totals = class_progress(campaign)
    state, label = window_state(campaign, timezone.now())
    return {
        "campaign": campaign,
        "rows": rows,
        "totals": totals,
        "state": state,
        "state_label": label,
        "poll": PROGRESS_POLL_SECONDS if state != "closed" else 0,
    }


@login_required
@require_safe
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_runner(request.user)
    campaign = get_campaign_for_user(request.user, pk)
    labels = dict(SchoolClass.Grade.choices)
    context = {
        **_progress_context(campaign),
        "instruments": _instrument_rows(campaign),
        "grades": [labels.get(g, g) for g in campaign.grades],
        "classes": list(campaign.classes.order_by("grade", "name")),
    }
    return render(request, "screening/campaign_detail.html", context)


@login_required
@require_safe
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress table alone: the detail page polls it (htmx) while the campaign runs."""
    require_runner(request.user)
    campaign = get_campaign_for_user(request.user, pk)
    return render(request, "screening/_progress.html", _progress_context(campaign))


@login_required
@require_POST
def campaign_issue(request: HttpRequest, pk: int) -> HttpResponse:
    require_runner(request.user)
    campaign = get_campaign_for_user(request.user, pk)
    if window_state(campaign, timezone.now())[0] == "closed":
        messages.error(request, _("The campaign is closed: no more codes can be issued."))
        return redirect("screening:campaign-detail", pk=campaign.pk)
    added = services.participants_issue(actor=request.user, campaign=campaign)
    if added:
        messages.success(
            request,
            ngettext("%(n)d code was issued.", "%(n)d codes were issued.", added) % {"n": added},
        )
    else:
        messages.info(request, _("No new pupil needs a code."))
    return redirect("screening:campaign-detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_runner(request.user)
    campaign = get_campaign_for_user(request.user, pk)
    if campaign.status != Campaign.Status.CLOSED:
        campaign_close(actor=request.user, campaign=campaign)
        messages.success(request, _("The campaign was closed. The codes no longer work."))
    return redirect("screening:campaign-detail", pk=campaign.pk)


@login_required
@require_safe
def class_detail(request: HttpRequest, pk: int, class_pk: int) -> HttpResponse:
    """A class's pupils: consent, progress and, once submitted, their results."""
    require_runner(request.user)
    campaign = get_campaign_for_user(request.user, pk)
    school_class = get_class_for_campaign(campaign, class_pk)
    participants = list(
        _class_participants(campaign, school_class)
        .select_related("minor")
        .prefetch_related("responses")
        .order_by("minor__name", "pk")
    )
    results = {
        p.pk: [_result(r) for r in p.responses.all() if r.submitted_at is not None]
        for p in participants
    }
    if participants:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.LIST,
            object_type="screening.participant",
            object_id=campaign.pk,
            details={"class": class_pk, "ids": [p.minor_id for p in participants][:200]},
        )
    context = {
        "campaign": campaign,
        "school_class": school_class,
        "class_pk": class_pk,
        "participants": participants,
        "results": results,
        "waiting": sum(
            p.consent == P.Consent.PENDING and p.status in OPEN_STATUSES for p in participants
        ),
        "today": timezone.localdate(),
        "open_statuses": OPEN_STATUSES,
    }
    return render(request, "screening/class_detail.html", context)


@login_required
@require_safe
@never_cache
def class_sheet(request: HttpRequest, pk: int, class_pk: int) -> HttpResponse:
    """The printable code sheet of one class; printing the codes is an audited reveal."""
    require_runner(request.user)
    campaign = get_campaign_for_user(request.user, pk)
    school_class = get_class_for_campaign(campaign, class_pk)
    participants = list(
        _class_participants(campaign, school_class)
        .exclude(consent=P.Consent.REFUSED)
        .exclude(status=P.Status.SUBMITTED)
        .select_related("minor", "school_class")
        .order_by("minor__name", "pk")
    )
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.REVEAL,
        object_type="screening.code",
        object_id=campaign.pk,
        details={"class": class_pk, "ids": [p.minor_id for p in participants][:200]},
    )
    context = {
        "campaign": campaign,
        "school_class": school_class,
        "class_pk": class_pk,
        "cards": sheets.cards(participants, base_url=sheets.questionnaire_url(request)),
        "address": sheets.questionnaire_url(request),
    }
    return render(request, "screening/class_sheet.html", context)


def _back_to_class(participant_or_class: Participant | tuple[int, int]) -> HttpResponse:
    if isinstance(participant_or_class, Participant):
        p = participant_or_class
        pk, class_pk = p.campaign_id, p.school_class_id or NO_CLASS
        response = redirect("screening:class-detail", pk=pk, class_pk=class_pk)
        response["Location"] += f"#p{p.pk}"
        return response
    pk, class_pk = participant_or_class
    return redirect("screening:class-detail", pk=pk, class_pk=class_pk)


@login_required
@require_POST
def class_consent(request: HttpRequest, pk: int, class_pk: int) -> HttpResponse:
    require_runner(request.user)
    campaign = get_campaign_for_user(request.user, pk)
    school_class = get_class_for_campaign(campaign, class_pk)
    form = ClassConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors["on"]))
    else:
        changed = class_consent_record(
            actor=request.user,
            campaign=campaign,
            school_class=school_class,
            on=form.cleaned_data["on"],
        )
        messages.success(
            request,
            ngettext(
                "Consent recorded for %(n)d pupil.", "Consent recorded for %(n)d pupils.", changed
            )
            % {"n": changed},
        )
    return _back_to_class((campaign.pk, class_pk))


@login_required
@require_POST
def participant_consent(request: HttpRequest, pk: int) -> HttpResponse:
    require_runner(request.user)
    participant = (
        P.objects.filter(campaign__in=campaigns_visible_to(request.user), pk=pk)
        .select_related("campaign")
        .first()
    )
    if participant is None:
        note_denial(
            actor=request.user, object_type="screening.participant", object_id=pk, reason="scope"
        )
        raise Http404
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back_to_class(participant)
    try:
        participant_consent_record(
            actor=request.user,
            participant=participant,
            consent=form.cleaned_data["consent"],
            on=form.cleaned_data["on"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The guardian's answer was recorded."))
    return _back_to_class(participant)
