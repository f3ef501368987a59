"""The registry pages: the minors list, a child's page and timeline, and the record's forms.

Every child reaches a page through ``people.permissions`` (out of scope is 404);
changing anything needs ``can_change_minor`` (403 otherwise); every page of
identified children is audited (``minor_view`` for one, ``minors_listed`` for a list).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from carecircle.accounts import permissions as perms
from carecircle.accounts.forms import OtpTokenForm
from carecircle.accounts.services import second_factor_verify
from carecircle.audit.services import note_denial
from carecircle.people import categories as category_rules
from carecircle.people import services
from carecircle.people.forms import (
    AddMemberForm,
    EmergencyAccessForm,
    GuardianForm,
    HouseholdForm,
    MinorForm,
    MinorListFilterForm,
    SiblingSearchForm,
    apply_errors,
)
from carecircle.people.idnumbers import id_warnings, parse_id_number
from carecircle.people.models import CategoryMembership, Guardian, Household, Minor
from carecircle.people.permissions import (
    can_change_minor,
    get_minor_for_user,
    in_regular_scope,
    minor_scope_q,
    minors_visible_to,
)
from carecircle.people.school_views import schools_selectable_by
from carecircle.people.selectors import minors_search
from carecircle.people.timeline import parse_cursor, timeline_for
from carecircle.regions.codes import significant_prefix
from carecircle.regions.models import Division
from carecircle.regions.selectors import division_names

DETAIL_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "id_number",
    "ethnicity",
    "hukou_type",
    "hukou_code",
    "area_code",
    "address",
    "household",
    "schooling",
    "school",
    "school_class",
    "boarding",
    "health",
    "illness",
    "disability_type",
    "disability_grade",
    "guardianship_concern",
    "status",
    "guardians",
    "categories",
    "timeline",
]
TIMELINE_PAGE = 20
# Parents are expected to contact a left-behind child at least once a week (DOMAIN.md §2).
CONTACT_DAYS = 7


def optional_url(name: str, *args: Any) -> str:
    """The URL of a page another part of the registry may not provide yet, or ""."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _posted(request: HttpRequest) -> Any:
    """The POST data to bind a form to, even when empty (an empty form must show errors)."""
    return request.POST if request.method == "POST" else None


def _require_edit_scope(request: HttpRequest) -> None:
    """Read-only roles are refused before any lookup (403, never a 404 oracle)."""
    if minor_scope_q(request.user, edit=True) is None:
        raise PermissionDenied


def _editable_minor(request: HttpRequest, pk: int) -> Minor:
    _require_edit_scope(request)
    minor = get_minor_for_user(request.user, pk)
    if not can_change_minor(request.user, minor):
        raise PermissionDenied
    return minor


def _open_memberships(today: date) -> Prefetch:
    current = CategoryMembership.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today), valid_from__lte=today
    ).order_by("category")
    return Prefetch("categories", queryset=current, to_attr="open_categories")


# --- The list --------------------------------------------------------------------------


@login_required
@require_GET
def minor_list(request: HttpRequest) -> HttpResponse:
    if not perms.sees_child_data(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    form = MinorListFilterForm(
        request.GET, user=request.user, schools=schools_selectable_by(request.user)
    )
    minors = minors_visible_to(request.user)
    # An invalid filter lists nothing rather than everything (never widen).
    minors = form.apply(minors, today=today) if form.is_valid() else minors.none()
    minors = minors.select_related("school", "school_class").prefetch_related(
        _open_memberships(today)
    )
    page = Paginator(minors.order_by("area_code", "name", "pk"), 50).get_page(
        request.GET.get("page")
    )
    services.minors_listed(actor=request.user, minor_ids=[m.pk for m in page])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "q": form.cleaned_data.get("q", "") if form.is_valid() else "",
        "query": query.urlencode(),
        "ages": {m.pk: m.age_on(today) for m in page},
        "area_names": division_names({m.area_code for m in page}),
        "can_create": minor_scope_q(request.user, edit=True) is not None,
        "links": {
            "import": optional_url("people:import"),
            "export": optional_url("people:export"),
            "duplicates": optional_url("people:duplicates"),
        },
    }
    return render(request, "people/minor_list.html", context)


# --- A child's page ----------------------------------------------------------------------


def _id_warnings(minor: Minor) -> list[str]:
    if not minor.id_number:
        return []
    try:
        parsed = parse_id_number(minor.id_number)
    except ValidationError as exc:
        return exc.messages
    return id_warnings(parsed, birth_date=minor.birth_date, sex=minor.sex)


def guardian_warnings(guardians: list[Guardian], *, today: date) -> list[str]:
    """Gaps in the care of a child whose parents work away (DOMAIN.md §9.2 risk flags)."""
    parents = [g for g in guardians if g.is_parent]
    away = [g for g in parents if g.state == Guardian.State.WORKING_AWAY]
    if not away or any(g.state == Guardian.State.AT_HOME for g in parents):
        return []
    warnings = []
    entrusted = [g for g in guardians if g.is_entrusted]
    if not entrusted:
        warnings.append(
            _("No parent is at home and no entrusted guardian (受委托监护人) is recorded.")
        )
    elif not any(g.entrustment_signed_on for g in entrusted):
        warnings.append(
            _("The entrustment confirmation (委托监护确认书) is not recorded as signed.")
        )
    for parent in away:
        if parent.last_contact_on and (today - parent.last_contact_on).days > CONTACT_DAYS:
            warnings.append(
                _("The %(relation)s last contacted the child on %(date)s, over a week ago.")
                % {
                    "relation": parent.get_relation_display(),
                    "date": parent.last_contact_on.isoformat(),
                }
            )
    return warnings


def _categories(minor: Minor) -> list[Any]:
    """The child's current categories, each with why it applies."""
    display = getattr(category_rules, "categories_for_display", None)
    if callable(display):
        return list(display(minor))
    return list(minor.categories.filter(valid_to__isnull=True).order_by("category"))


def _decision_notes(minor: Minor) -> list[Any]:
    notes = getattr(category_rules, "decision_notes", None)
    return list(notes(minor)) if callable(notes) else []


def _place_name(code: str) -> str:
    """The name of a division given by a code of any length (the hukou place), or ""."""
    if not code:
        return ""
    division = Division.objects.filter(prefix=significant_prefix(code)).first()
    return division.path_name() if division is not None else ""


def _survivor_url(user: Any, minor: Minor) -> str:
    if minor.status != Minor.Status.MERGED or minor.merged_into_id is None:
        return ""
    if not minors_visible_to(user).filter(pk=minor.merged_into_id).exists():
        return ""
    return reverse("people:minor-detail", args=[minor.merged_into_id])


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
    user = request.user
    today = timezone.localdate()
    services.minor_view(actor=user, minor=minor, fields=DETAIL_FIELDS)
    guardians = list(minor.guardians.all())
    siblings: list[Minor] = []
    if minor.household_id is not None:
        siblings = list(
            minors_visible_to(user)
            .filter(household_id=minor.household_id)
            .exclude(pk=minor.pk)
            .order_by("birth_date", "pk")
        )
        services.minors_listed(actor=user, minor_ids=[s.pk for s in siblings])
    can_edit = can_change_minor(user, minor)
    context = {
        "minor": minor,
        "age": minor.age_on(today),
        "area_names": division_names({minor.area_code}),
        "hukou_place": _place_name(minor.hukou_code),
        "emergency": not in_regular_scope(user, minor),
        "can_edit": can_edit,
        "can_reveal": not revealed_id and can_edit,
        "revealed_id": revealed_id,
        "reveal_form": reveal_form or OtpTokenForm(auto_id="reveal_%s"),
        "id_warnings": _id_warnings(minor),
        "guardians": guardians,
        "guardian_warnings": guardian_warnings(guardians, today=today),
        "categories": _categories(minor),
        "decision_notes": _decision_notes(minor),
        "category_add_url": optional_url("people:category-add", minor.pk) if can_edit else "",
        "category_end_url": optional_url("people:category-end", minor.pk) if can_edit else "",
        "siblings": siblings,
        "siblings_ages": {s.pk: s.age_on(today) for s in siblings},
        "survivor_url": _survivor_url(user, minor),
        "timeline": timeline_for(user, minor, limit=TIMELINE_PAGE),
    }
    return render(request, "people/minor_detail.html", context, status=status)


@login_required
@require_GET
def minor_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Older timeline entries: a fragment for htmx, a page of its own without JavaScript."""
    minor = get_minor_for_user(request.user, pk)
    try:
        before = parse_cursor(request.GET.get("before", ""))
    except ValueError:
        return HttpResponseBadRequest(_("That page of the timeline does not exist."))
    services.minor_view(actor=request.user, minor=minor, fields=["timeline"])
    context = {
        "minor": minor,
        "timeline": timeline_for(request.user, minor, limit=TIMELINE_PAGE, before=before),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "people/_timeline_entries.html", context)
    return render(request, "people/minor_timeline.html", context)


@login_required
@require_POST
def minor_reveal_id(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full ID number once, after the current authenticator code (ASVS 7.5.3)."""
    minor = _editable_minor(request, pk)
    form = OtpTokenForm(request.POST, auto_id="reveal_%s")
    if form.is_valid():
        if second_factor_verify(user=request.user, token=form.cleaned_data["otp_token"]):
            revealed = services.minor_reveal_id(actor=request.user, minor=minor)
            return _render_detail(request, minor, revealed_id=revealed)
        form.add_error("otp_token", _("The code is wrong or already used."))
    return _render_detail(request, minor, reveal_form=form, status=400)


# --- Create and edit ---------------------------------------------------------------------


def _warn_about_id(request: HttpRequest, minor: Minor) -> None:
    for warning in _id_warnings(minor):
        messages.warning(request, warning)


def _visible_duplicate(user: Any, minor: Minor | None, id_number: str) -> str:
    """A link to the child already holding this ID number, only if the user sees that child."""
    if not id_number:
        return ""
    found = services.find_minor_for_emergency(id_number=id_number)
    if found is None or (minor is not None and found.pk == minor.pk):
        return ""
    if not minors_visible_to(user).filter(pk=found.pk).exists():
        return ""
    return reverse("people:minor-detail", args=[found.pk])


def _save_minor(request: HttpRequest, form: MinorForm, minor: Minor | None) -> Any:
    """Run the service; on success the redirect, else the duplicate's URL (or "")."""
    fields = form.service_fields()
    try:
        if minor is None:
            minor = services.minor_create(actor=request.user, **fields)
            messages.success(request, _("The child was registered."))
        elif services.minor_update(actor=request.user, minor=minor, **fields):
            messages.success(request, _("The changes were saved."))
        else:
            messages.info(request, _("Nothing was changed."))
    except ValidationError as exc:
        apply_errors(form, exc)
        if "id_number" not in form.errors:
            return ""
        return _visible_duplicate(request.user, minor, fields.get("id_number", ""))
    except PermissionDenied as exc:
        form.add_error("area_code", str(exc) or _("That village is outside your scope."))
        return ""
    _warn_about_id(request, minor)
    return redirect("people:minor-detail", pk=minor.pk)


@login_required
@require_http_methods(["GET", "POST"])
def minor_create(request: HttpRequest) -> HttpResponse:
    _require_edit_scope(request)
    schools = schools_selectable_by(request.user, registering=True)
    form = MinorForm(_posted(request), user=request.user, schools=schools)
    duplicate_url = ""
    if request.method == "POST" and form.is_valid():
        outcome = _save_minor(request, form, None)
        if isinstance(outcome, HttpResponse):
            return outcome
        duplicate_url = outcome
    context = {"form": form, "minor": None, "duplicate_url": duplicate_url}
    return render(request, "people/minor_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def minor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    minor = _editable_minor(request, pk)
    if minor.status == Minor.Status.MERGED:
        messages.error(request, _("This record was merged into another; change that one."))
        return redirect("people:minor-detail", pk=minor.pk)
    schools = schools_selectable_by(request.user, registering=True)
    form = MinorForm(_posted(request), user=request.user, schools=schools, minor=minor)
    duplicate_url = ""
    if request.method == "POST" and form.is_valid():
        outcome = _save_minor(request, form, minor)
        if isinstance(outcome, HttpResponse):
            return outcome
        duplicate_url = outcome
        minor.refresh_from_db()  # the service set the rejected values on this instance
    services.minor_view(actor=request.user, minor=minor, fields=list(form.fields))
    context = {"form": form, "minor": minor, "duplicate_url": duplicate_url}
    return render(request, "people/minor_form.html", context)


# --- Guardians ---------------------------------------------------------------------------


def _editable_guardian(request: HttpRequest, pk: int) -> Guardian:
    _require_edit_scope(request)
    guardian = (
        Guardian.objects.filter(pk=pk, minor__in=minors_visible_to(request.user))
        .select_related("minor")
        .first()
    )
    if guardian is None:
        note_denial(
            actor=request.user, object_type="people.guardian", object_id=pk, reason="out of scope"
        )
        raise Http404
    if not can_change_minor(request.user, guardian.minor):
        raise PermissionDenied
    return guardian


def _guardian_page(request: HttpRequest, minor: Minor, guardian: Guardian | None) -> HttpResponse:
    form = GuardianForm(_posted(request), guardian=guardian)
    if request.method == "POST" and form.is_valid():
        try:
            services.guardian_save(
                actor=request.user, minor=minor, guardian=guardian, **form.service_fields()
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            if guardian is not None:
                guardian.refresh_from_db()
        else:
            messages.success(request, _("The guardian was saved."))
            return redirect(reverse("people:minor-detail", args=[minor.pk]) + "#guardians")
    services.minor_view(actor=request.user, minor=minor, fields=["guardians"])
    context = {"form": form, "minor": minor, "guardian": guardian}
    return render(request, "people/guardian_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def guardian_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _guardian_page(request, _editable_minor(request, pk), None)


@login_required
@require_http_methods(["GET", "POST"])
def guardian_edit(request: HttpRequest, pk: int) -> HttpResponse:
    guardian = _editable_guardian(request, pk)
    return _guardian_page(request, guardian.minor, guardian)


@login_required
@require_POST
def guardian_delete(request: HttpRequest, pk: int) -> HttpResponse:
    guardian = _editable_guardian(request, pk)
    minor = guardian.minor
    services.guardian_delete(actor=request.user, guardian=guardian)
    messages.success(request, _("The guardian was removed."))
    return redirect(reverse("people:minor-detail", args=[minor.pk]) + "#guardians")


# --- Households --------------------------------------------------------------------------


def get_household_for_user(user: Any, pk: int) -> Household:
    """A household the user reaches through at least one member they may see."""
    household = (
        Household.objects.filter(pk=pk)
        .filter(Exists(minors_visible_to(user).filter(household_id=OuterRef("pk"))))
        .first()
    )
    if household is None:
        note_denial(actor=user, object_type="people.household", object_id=pk, reason="no member")
        raise Http404
    return household


def _household_page(
    request: HttpRequest,
    household: Household,
    *,
    add_form: AddMemberForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    members = list(
        minors_visible_to(user)
        .filter(household=household)
        .select_related("school")
        .order_by("birth_date", "pk")
    )
    can_edit = any(can_change_minor(user, m) for m in members)
    search = SiblingSearchForm(request.GET or None)
    candidates: list[Minor] = []
    if can_edit and search.is_valid() and search.cleaned_data["q"]:
        found = minors_visible_to(user).exclude(household=household)
        found = found.exclude(status=Minor.Status.MERGED)
        candidates = list(minors_search(found, search.cleaned_data["q"]).order_by("name")[:10])
    services.minors_listed(actor=user, minor_ids=[m.pk for m in [*members, *candidates]])
    context = {
        "household": household,
        "members": members,
        "ages": {m.pk: m.age_on(today) for m in [*members, *candidates]},
        "area_names": division_names({household.area_code, *(m.area_code for m in members)}),
        "can_edit": can_edit,
        "search": search,
        "candidates": candidates,
        "add_form": add_form,
    }
    return render(request, "people/household_detail.html", context, status=status)


@login_required
@require_GET
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _household_page(request, get_household_for_user(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request: HttpRequest, pk: int) -> HttpResponse:
    minor = _editable_minor(request, pk)
    if minor.household_id is not None:
        messages.info(request, _("This child already belongs to a household."))
        return redirect("people:household-detail", pk=minor.household_id)
    form = HouseholdForm(_posted(request))
    del form.fields["address"]  # a new household takes the child's address
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_create(
                actor=request.user, minor=minor, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The household was recorded."))
            return redirect("people:household-detail", pk=household.pk)
    context = {"form": form, "minor": minor, "household": None}
    return render(request, "people/household_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_edit_scope(request)
    household = get_household_for_user(request.user, pk)
    form = HouseholdForm(_posted(request), household=household)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.household_update(
                actor=request.user, household=household, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("The changes were saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("people:household-detail", pk=household.pk)
    context = {"form": form, "minor": None, "household": household}
    return render(request, "people/household_form.html", context)


@login_required
@require_POST
def household_add_member(request: HttpRequest, pk: int) -> HttpResponse:
    _require_edit_scope(request)
    household = get_household_for_user(request.user, pk)
    members = minors_visible_to(request.user).filter(household=household)
    if not any(can_change_minor(request.user, m) for m in members):
        raise PermissionDenied
    form = AddMemberForm(request.POST)
    sibling = None
    if form.is_valid():
        sibling = minors_visible_to(request.user).filter(pk=form.cleaned_data["minor"]).first()
        if sibling is None:
            form.add_error("minor", _("No such child in your scope."))
    if sibling is None:
        return _household_page(request, household, add_form=form, status=400)
    try:
        services.minor_update(actor=request.user, minor=sibling, household=household)
    except PermissionDenied:
        form.add_error("minor", _("You cannot change that child's record."))
        return _household_page(request, household, add_form=form, status=403)
    messages.success(request, _("%(name)s was added to the household.") % {"name": sibling.name})
    return redirect("people:household-detail", pk=household.pk)


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
