"""Recording a visit from a phone.

The page offers the children picked (from a search or a link such as "record a
visit" on a due list) together with the other children of their households, each
with the risk flags meant for its age. Picking another child replaces the list of
offered children through htmx (``visit_children``), or reloads the page without
JavaScript. The form carries an idempotency key made when it is shown: a double
submit finds the visit the first one made (``visit_record`` returns it, nothing is
added), and the same key with other details is a conflict shown with a link to the
visit first recorded.

Photos are checked before anything is written and added in the visit's own
transaction: a refused photo leaves neither a visit nor a stray file.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from carecircle.people.models import Minor
from carecircle.people.selectors import minors_search
from carecircle.people.services import minors_listed
from carecircle.regions.selectors import division_names
from carecircle.visits import services
from carecircle.visits.due import with_due
from carecircle.visits.forms import (
    ChildSearchForm,
    VisitForm,
    flag_field,
    ids_from,
    new_key,
)
from carecircle.visits.models import Visit, VisitTask
from carecircle.visits.permissions import (
    minors_recordable_by,
    recording_prefixes,
    require_recorder,
)
from carecircle.visits.photos import _max_per_visit, photo_add
from carecircle.visits.storage import photo_storage

SUGGESTIONS = 10
RESULTS = 20
# Suggesting the children due first costs a due date per child of the scope: done for
# a village's or a township's children, not a county's.
SUGGEST_WITHIN = 9
# The service's keys that are not a field of the form.
ERROR_FIELDS = {"photo": "photos"}


def offered_children(user: Any, ids: list[int]) -> list[Minor]:
    """The children picked (those the user may record) and the rest of their households,
    each picked child followed by its household's others, youngest last."""
    recordable = minors_recordable_by(user)
    picked = {m.pk: m for m in recordable.filter(pk__in=ids)} if ids else {}
    households = {m.household_id for m in picked.values() if m.household_id is not None}
    mates: dict[int, list[Minor]] = {}
    if households:
        rows = recordable.filter(household_id__in=households).order_by("birth_date", "pk")
        for mate in rows:
            mates.setdefault(mate.household_id or 0, []).append(mate)
    offered: dict[int, Minor] = {}
    for pk in ids:
        minor = picked.get(pk)
        if minor is None or pk in offered:
            continue
        offered[pk] = minor
        for mate in mates.get(minor.household_id or -1, []):
            offered.setdefault(mate.pk, mate)
    return list(offered.values())


def _apply_errors(form: VisitForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        name = ERROR_FIELDS.get(key, key)
        form.add_error(name if name in form.fields else None, errors)


def _record(user: Any, form: VisitForm) -> tuple[Visit, bool]:
    """The visit and its photos in one transaction; a photo's file is removed if the
    transaction does not commit (the file is written before its row)."""
    written: list[str] = []
    try:
        with transaction.atomic():
            visit, created = services.visit_record(
                actor=user,
                data=form.to_input(),
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
            if created:
                for upload in form.cleaned_data["photos"]:
                    upload.seek(0)
                    added = photo_add(actor=user, visit=visit, upload=upload)
                    written.append(added.image.name or "")
    except BaseException:
        for name in written:
            photo_storage().delete(name)
        raise
    return visit, created


def _after_recording(request: HttpRequest, visit: Visit, created: bool) -> HttpResponse:
    if not created:
        messages.info(request, _("This visit was already recorded. Nothing was added."))
        return redirect("visits:visit-detail", pk=visit.pk)
    messages.success(request, _("The visit is recorded."))
    tasks = list(visit.tasks.values_list("kind", flat=True))
    if VisitTask.Kind.REPORT_POLICE in tasks:
        messages.warning(
            request,
            _("Report this to the police now, then close the task with the receipt number."),
        )
    if VisitTask.Kind.REFERRAL in tasks:
        messages.info(request, _("The protection centre was asked to follow up."))
    elif VisitTask.Kind.FOLLOW_UP in tasks:
        messages.info(request, _("The child supervisor was asked to follow up."))
    return redirect("visits:visit-detail", pk=visit.pk)


def _pick_list(user: Any, q: str, exclude: list[int]) -> tuple[list[Minor], bool]:
    """Children to pick from: those matching ``q``, or without a search the ones due
    first (narrow scopes only). Returns (children, whether they are search results)."""
    recordable = minors_recordable_by(user).exclude(pk__in=exclude)
    fields = ("pk", "name", "sex", "birth_date", "area_code", "household_id")
    if q:
        found = minors_search(recordable, q).only(*fields).order_by("name", "pk")
        return list(found[:RESULTS]), True
    prefixes = recording_prefixes(user)
    if not prefixes or min(len(p) for p in prefixes) < SUGGEST_WITHIN:
        return [], False
    due_first = with_due(recordable.only(*fields)).order_by("next_due_on", "name", "pk")
    return [m for m in due_first[:SUGGESTIONS] if m.next_due_on is not None], False


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def visit_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_recorder(user)
    conflict: Visit | None = None
    if request.method == "POST":
        picked = ids_from(request.POST.getlist("offered") + request.POST.getlist("minors"))
        offered = offered_children(user, picked)
        form = VisitForm(request.POST, request.FILES, user=user, offered=offered)
        if form.is_valid():
            try:
                visit, created = _record(user, form)
            except ValidationError as exc:
                _apply_errors(form, exc)
            except services.VisitConflictError as exc:
                conflict = exc.visit
                # A new key: sending these details again records them as a new visit.
                data = request.POST.copy()
                data["idempotency_key"] = new_key()
                form = VisitForm(data, user=user, offered=offered)
            else:
                return _after_recording(request, visit, created)
        elif "idempotency_key" in form.errors:
            # A form without a usable key (an old page): the next try gets a fresh one.
            data = request.POST.copy()
            data["idempotency_key"] = new_key()
            form.data = data
        search = ChildSearchForm()
        picks: list[int] = []
    else:
        picks = ids_from(request.GET.getlist("minor"))
        offered = offered_children(user, picks)
        form = VisitForm(user=user, offered=offered, initial={"minors": picks})
        search = ChildSearchForm(request.GET)
    q = search.cleaned_data.get("q", "") if search.is_valid() else ""
    choices, searched = _pick_list(user, q, [m.pk for m in offered])
    minors_listed(actor=user, minor_ids=[m.pk for m in [*offered, *choices]])
    context = {
        "form": form,
        "search": search,
        "q": q,
        "choices": choices,
        "searched": searched,
        "picks": picks,
        "pick_links": {m.pk: _pick_url(picks, m.pk) for m in choices},
        "area_names": division_names({m.area_code for m in [*offered, *choices]}),
        "conflict": conflict,
        "max_photos": _max_per_visit(),
    }
    if request.headers.get("HX-Request") == "true" and request.method != "POST":
        return render(request, "visits/_pick_results.html", context)
    status = 200 if not form.is_bound else (409 if conflict else 400)
    return render(request, "visits/visit_form.html", context, status=status)


def _pick_url(picks: list[int], pk: int) -> str:
    query = urlencode([("minor", i) for i in [*picks, pk]])
    return f"{reverse('visits:visit-create')}?{query}"


@login_required
@require_safe
def visit_children(request: HttpRequest) -> HttpResponse:
    """The offered children after picking one more (htmx); without htmx, the record page
    with the children ticked so far and the one picked."""
    user = request.user
    require_recorder(user)
    added = ids_from(request.GET.getlist("minor"))
    ticked = ids_from(request.GET.getlist("minors") + [str(i) for i in added])
    if request.headers.get("HX-Request") != "true":
        query = urlencode([("minor", i) for i in ticked])
        return redirect(f"{reverse('visits:visit-create')}?{query}")
    offered = offered_children(user, ids_from(request.GET.getlist("offered")) + added)
    initial: dict[str, Any] = {"minors": ticked}
    for minor in offered:
        initial[flag_field(minor.pk)] = request.GET.getlist(flag_field(minor.pk))
    form = VisitForm(user=user, offered=offered, initial=initial)
    minors_listed(actor=user, minor_ids=[m.pk for m in offered])
    context = {"form": form, "area_names": division_names({m.area_code for m in offered})}
    return render(request, "visits/_visit_children.html", context)
