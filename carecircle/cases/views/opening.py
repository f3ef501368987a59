"""Opening a case (``/cases/new/``) for a child the user may read.

``?minor=<id>`` names the child; ``?source=`` says where the case came from, and
``?target=``, ``?tip=`` or ``?visit=`` link it to a key assistance target, a report
of harm or a visit the user may read (each of those sets the source). A child, a
target, a report or a visit out of the user's scope is a 404 recorded as a denial.
Without a child the page is a search box over the children the user may read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from carecircle.accounts.errors import add_service_errors
from carecircle.audit.services import note_denial
from carecircle.cases import services
from carecircle.cases.forms import OpenForm
from carecircle.cases.models import Source
from carecircle.cases.permissions import MAX_ID, can_open_cases
from carecircle.people.permissions import minors_visible_to
from carecircle.people.selectors import minors_search
from carecircle.people.services import minors_listed
from carecircle.screening.targets import key_targets_visible_to
from carecircle.tips.permissions import tips_visible_to
from carecircle.visits.permissions import visits_visible_to
from carecircle.visits.views.common import place_names

SEARCH_LIMIT = 10
LINKS = ("target", "tip", "visit")
LINK_SOURCE = {"target": Source.KEY_TARGET, "tip": Source.TIP, "visit": Source.VISIT}


def _param(request: HttpRequest, name: str) -> str:
    return (request.GET.get(name) or request.POST.get(name) or "").strip()


def _find(user: Any, request: HttpRequest, name: str, qs: QuerySet[Any], kind: str) -> Any:
    """The object named by parameter ``name`` in ``qs`` (the user's scope); absent:
    ``None``; malformed or out of scope: 404, recorded as a denial."""
    raw = _param(request, name)
    if not raw:
        return None
    pk = int(raw) if raw.isdigit() and len(raw) < 20 else 0
    found: Model | None = qs.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        note_denial(actor=user, object_type=kind, object_id=raw[:20], reason="out of scope")
        raise Http404
    return found


def _search(request: HttpRequest, user: Any, keep: dict[str, str], status: int) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:50]
    found = (
        list(minors_search(minors_visible_to(user), query).order_by("name", "pk")[:SEARCH_LIMIT])
        if query
        else []
    )
    if found:
        with transaction.atomic():
            minors_listed(actor=user, minor_ids=[m.pk for m in found])
    rows = [(m, "?" + urlencode({**keep, "minor": m.pk})) for m in found]
    context = {
        "query": query,
        "rows": rows,
        "keep": keep,
        "places": place_names([m.area_code for m in found]) if found else {},
    }
    return render(request, "cases/case_open_search.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def case_open(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can_open_cases(user):
        raise PermissionDenied(_("Your roles do not allow opening cases."))
    links = {
        "target": _find(
            user, request, "target", key_targets_visible_to(user), "screening.keytarget"
        ),
        "tip": _find(user, request, "tip", tips_visible_to(user), "tips.tip"),
        "visit": _find(user, request, "visit", visits_visible_to(user), "visits.visit"),
    }
    given = next((name for name in LINKS if links[name] is not None), "")
    source = str(LINK_SOURCE[given]) if given else _param(request, "source")
    if source not in Source.values:
        source = ""
    keep = {name: str(links[name].pk) for name in LINKS if links[name] is not None}
    if source and not given:
        keep["source"] = source
    minor = _find(user, request, "minor", minors_visible_to(user), "people.minor")
    if minor is None:
        return _search(request, user, keep, 400 if request.method == "POST" else 200)
    form = OpenForm(request.POST if request.method == "POST" else None, source=source)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_open(
                actor=user,
                minor=minor,
                kind=data["kind"],
                source=source or data["source"],
                summary=data["summary"],
                risk=data["risk"],
                risk_reasons=data["risk_reasons"],
                source_target=links["target"],
                source_tip=links["tip"],
                source_visit=links["visit"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("cases:detail", pk=case.pk)
    context = {
        "form": form,
        "minor": minor,
        "source": Source(source).label if source else "",
        "links": links,
        "action": "?" + urlencode({**keep, "minor": minor.pk}),
    }
    return render(request, "cases/case_open.html", context, status=400 if form.is_bound else 200)
