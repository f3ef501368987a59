"""Schools and their classes: the list, a school's grades and classes, a class's pupils.

Which schools a user reaches (the pages below and the option lists of the registry
forms):

- *visible* (``schools_visible_to``): schools sitting in a division of the user's
  jurisdiction scopes, and the user's own school for school roles. Their pages
  show counts and lists of the pupils the user may see, nothing more.
- *selectable* (``schools_selectable_by``): the visible ones and the schools the
  children the user sees attend (the list's filter); the registration forms add
  the schools of the counties where the user registers children (a village's
  children go to the town's school). These are only names in a drop-down list:
  no page, no pupils.

Class changes need ``accounts.permissions.can_manage_school``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation
from carecircle.accounts.roles import MinorAccess
from carecircle.audit.services import note_denial
from carecircle.people import services
from carecircle.people.forms import SchoolClassForm, apply_errors
from carecircle.people.models import Minor, SchoolClass
from carecircle.people.permissions import minor_scope_q, minors_visible_to
from carecircle.regions.selectors import division_names


def _visible_q(user: Any) -> Q | None:
    q = perms.prefix_q("division_id", perms.minor_prefixes(user, MinorAccess.JURISDICTION))
    own = perms.minor_schools(user)
    if own:
        q = Q(pk__in=own) if q is None else q | Q(pk__in=own)
    return q


def schools_visible_to(user: Any) -> QuerySet[Organisation]:
    q = _visible_q(user) if perms.sees_child_data(user) else None
    if q is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(q, kind=Organisation.Kind.SCHOOL)


def schools_selectable_by(user: Any, *, registering: bool = False) -> QuerySet[Organisation]:
    """Schools a filter or form may name: see the module docstring.

    ``registering`` adds the schools of the counties where the user registers
    children, for the create and edit forms only.
    """
    if not perms.sees_child_data(user):
        return Organisation.objects.none()
    parts = [_visible_q(user)]
    scope = minor_scope_q(user)
    if scope is not None:
        parts.append(Q(Exists(Minor.objects.filter(scope, school_id=OuterRef("pk")))))
    if registering:
        edits = perms.minor_prefixes(user, MinorAccess.JURISDICTION, edit=True)
        parts.append(perms.prefix_q("division_id", {p[:6] for p in edits}))
    q: Q | None = None
    for part in parts:
        if part is not None:
            q = part if q is None else q | part
    if q is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(q, kind=Organisation.Kind.SCHOOL).order_by(
        "division_id", "name"
    )


def can_edit_anywhere(user: Any) -> bool:
    """Whether any of the user's roles changes children (or a school's classes) at all."""
    return bool(
        perms.minor_prefixes(user, MinorAccess.JURISDICTION, edit=True)
        or perms.minor_schools(user, edit=True)
    )


def get_school_for_user(user: Any, pk: int) -> Organisation:
    school = schools_visible_to(user).select_related("division").filter(pk=pk).first()
    if school is None:
        note_denial(actor=user, object_type="accounts.organisation", object_id=pk, reason="school")
        raise Http404
    return school


def get_class_for_user(user: Any, pk: int) -> SchoolClass:
    school_class = (
        SchoolClass.objects.filter(school__in=schools_visible_to(user), pk=pk)
        .select_related("school", "school__division")
        .first()
    )
    if school_class is None:
        note_denial(actor=user, object_type="people.schoolclass", object_id=pk, reason="school")
        raise Http404
    return school_class


@login_required
@require_safe
def school_list(request: HttpRequest) -> HttpResponse:
    if not perms.sees_child_data(request.user):
        raise PermissionDenied
    schools = list(
        schools_visible_to(request.user)
        .annotate(class_count=Count("classes", filter=Q(classes__is_active=True)))
        .order_by("division_id", "name")
    )
    names = division_names({s.division_id for s in schools})
    return render(request, "people/school_list.html", {"schools": schools, "area_names": names})


@login_required
@require_safe
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    school = get_school_for_user(request.user, pk)
    pupils = minors_visible_to(request.user).filter(school=school, status=Minor.Status.ACTIVE)
    counts: dict[int | None, int] = dict(
        pupils.values("school_class").annotate(n=Count("pk")).values_list("school_class", "n")
    )
    classes = list(school.classes.order_by("grade", "name"))
    grades: dict[str, list[tuple[SchoolClass, int]]] = {}
    for school_class in classes:
        label = str(school_class.get_grade_display())
        grades.setdefault(label, []).append((school_class, counts.get(school_class.pk, 0)))
    context = {
        "school": school,
        "grades": grades,
        "unassigned": counts.get(None, 0),
        "visible_pupils": sum(counts.values()),
        "can_manage": perms.can_manage_school(request.user, school),
        "area_names": division_names({school.division_id}),
    }
    return render(request, "people/school_detail.html", context)


@login_required
@require_safe
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    school_class = get_class_for_user(request.user, pk)
    pupils = (
        minors_visible_to(request.user)
        .filter(school_class=school_class)
        .exclude(status=Minor.Status.MERGED)
        .order_by("name", "pk")
    )
    page = Paginator(pupils, 50).get_page(request.GET.get("page"))
    services.minors_listed(actor=request.user, minor_ids=[m.pk for m in page])
    context = {
        "school_class": school_class,
        "page": page,
        "can_manage": perms.can_manage_school(request.user, school_class.school),
        "area_names": division_names({m.area_code for m in page}),
    }
    return render(request, "people/class_detail.html", context)


def _class_form_page(
    request: HttpRequest, school: Organisation, school_class: SchoolClass | None
) -> HttpResponse:
    initial = {}
    if school_class is not None:
        initial = {
            "grade": school_class.grade,
            "name": school_class.name,
            "head_teacher": school_class.head_teacher,
            "is_active": school_class.is_active,
        }
    form = SchoolClassForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.school_class_save(
                actor=request.user, school=school, school_class=school_class, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The class was saved."))
            return redirect("people:class-detail", pk=saved.pk)
    context = {"form": form, "school": school, "school_class": school_class}
    return render(request, "people/class_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def class_create(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_edit_anywhere(request.user):
        raise PermissionDenied
    school = get_school_for_user(request.user, pk)
    if not perms.can_manage_school(request.user, school):
        raise PermissionDenied
    return _class_form_page(request, school, None)


@login_required
@require_http_methods(["GET", "POST"])
def class_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_edit_anywhere(request.user):
        raise PermissionDenied
    school_class = get_class_for_user(request.user, pk)
    if not perms.can_manage_school(request.user, school_class.school):
        raise PermissionDenied
    return _class_form_page(request, school_class.school, school_class)


@login_required
@require_safe
def class_options(request: HttpRequest) -> HttpResponse:
    """The ``<option>``s of one selectable school's active classes (htmx, for the forms)."""
    if not perms.sees_child_data(request.user):
        raise PermissionDenied
    raw = request.GET.get("school", "")
    classes: QuerySet[SchoolClass] = SchoolClass.objects.none()
    if raw.isdigit():
        selectable = schools_selectable_by(request.user, registering=True)
        school = selectable.filter(pk=int(raw)).first()
        if school is not None:
            classes = school.classes.filter(is_active=True).order_by("grade", "name")
    return render(request, "people/_class_options.html", {"classes": classes})
