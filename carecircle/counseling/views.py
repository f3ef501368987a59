"""The counseling pages (issue 7 item 4), under /counseling/.

Every page refuses roles that reach no room (403) before any lookup, fetches rooms,
shifts and appointments only through ``permissions`` (out of scope: 404 recorded as
a denial), and writes only through ``services``. A refused form is shown again with
its errors and a 400.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from carecircle.accounts.errors import add_service_errors
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.cases.forms import SessionForm
from carecircle.cases.permissions import is_member
from carecircle.counseling import selectors, services
from carecircle.counseling.forms import (
    BookForm,
    ReasonForm,
    RoomFilterForm,
    RoomForm,
    ShiftCancelForm,
    ShiftForm,
    slot_value,
)
from carecircle.counseling.models import Appointment, Room, Shift
from carecircle.counseling.permissions import (
    can_act_on,
    can_manage,
    get_appointment_for_user,
    get_room_for_user,
    get_shift_for_user,
    manages_rooms,
    require_room_manager,
    require_room_reader,
    workable_open_cases,
)
from carecircle.visits.views.common import PAGE_SIZE

GET_POST = require_http_methods(["GET", "HEAD", "POST"])


def _form_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    title: str,
    back: str,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {"form": form, "title": title, "url": request.get_full_path(), "back": back}
    return render(request, "counseling/form_page.html", context | extra, status=status)


def _week_url(room_id: int, day: date) -> str:
    start = selectors.week_start(day).isoformat()
    return f"{reverse('counseling:room-week', args=[room_id])}?{urlencode({'start': start})}"


# --- Rooms -------------------------------------------------------------------------


@login_required
@require_safe
@never_cache
def room_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_room_reader(user)
    form = RoomFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.room_list(user, area=data.get("area") or "", kind=data.get("kind") or "")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "manages": manages_rooms(user),
    }
    return render(request, "counseling/room_list.html", context)


@login_required
@GET_POST
@never_cache
def room_add(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_room_manager(user)
    back = reverse("counseling:room-list")
    if request.method != "POST":
        return _form_page(request, RoomForm(user=user), title=_("Add a room"), back=back)
    form = RoomForm(request.POST, user=user)
    if form.is_valid():
        try:
            room = services.room_add(
                actor=user,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                organisation=form.cleaned_data["organisation"],
                location=form.cleaned_data["location"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The room is added; put counselors on its rota."))
            return redirect(_week_url(room.pk, timezone.localdate()))
    return _form_page(request, form, title=_("Add a room"), back=back, status=400)


def _managed_room(user: Any, pk: int) -> Room:
    require_room_manager(user)
    room = get_room_for_user(user, pk)
    if not can_manage(user, room):
        raise PermissionDenied(_("You do not keep this room."))
    return room


@login_required
@GET_POST
@never_cache
def room_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    room = _managed_room(user, pk)
    back = _week_url(room.pk, timezone.localdate())
    title = _("Edit the room")
    if request.method != "POST":
        initial = {f: getattr(room, f) for f in ("name", "kind", "location", "is_active")}
        form = RoomForm(initial=initial, user=user, room=room)
        return _form_page(request, form, title=title, back=back, room=room)
    form = RoomForm(request.POST, user=user, room=room)
    if form.is_valid():
        try:
            services.room_update(actor=user, room=room, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The room is saved."))
            return redirect(back)
    return _form_page(request, form, title=title, back=back, status=400, room=room)


@login_required
@require_safe
@never_cache
def room_week(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    require_room_reader(user)
    room = get_room_for_user(user, pk)
    today = timezone.localdate()
    raw = request.GET.get("start", "")
    try:
        start = date.fromisoformat(raw) if raw else today
    except ValueError:
        messages.warning(request, _("That is not a date (YYYY-MM-DD); here is this week."))
        start = today
    start = selectors.week_start(start)
    may_book = room.is_active and workable_open_cases(user).exists()
    context = {
        "room": room,
        "start": start,
        "end": start + timedelta(days=selectors.DAYS - 1),
        "days": selectors.room_week(room, start, user, may_book=may_book),
        "previous": _week_url(room.pk, start - timedelta(days=7)),
        "next": _week_url(room.pk, start + timedelta(days=7)),
        "this_week": _week_url(room.pk, today),
        "keeps": can_manage(user, room),
        "may_book": may_book,
        "today": today,
        "now": timezone.now(),
    }
    return render(request, "counseling/room_week.html", context)


# --- Shifts ------------------------------------------------------------------------


@login_required
@GET_POST
@never_cache
def shift_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    room = _managed_room(user, pk)
    back = _week_url(room.pk, timezone.localdate())
    title = _("Put a counselor on the rota")
    if request.method != "POST":
        return _form_page(request, ShiftForm(room=room), title=title, back=back, room=room)
    form = ShiftForm(request.POST, room=room)
    if form.is_valid():
        try:
            shift = services.shift_add(actor=user, room=room, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The shift is on the rota."))
            return redirect(_week_url(room.pk, timezone.localdate(shift.starts_at)))
    return _form_page(request, form, title=title, back=back, status=400, room=room)


@login_required
@GET_POST
@never_cache
def shift_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    require_room_manager(user)
    shift = get_shift_for_user(user, pk)
    if not can_manage(user, shift.room):
        raise PermissionDenied(_("You do not keep this room."))
    back = _week_url(shift.room_id, timezone.localdate(shift.starts_at))
    title = _("Cancel the shift")
    booked = Appointment.objects.filter(shift=shift, status__in=Appointment.LIVE).count()
    extra: dict[str, Any] = {"shift": shift, "booked": booked}
    if request.method != "POST":
        return _form_page(request, ShiftCancelForm(), title=title, back=back, **extra)
    form = ShiftCancelForm(request.POST)
    if form.is_valid():
        try:
            services.shift_cancel(actor=user, shift=shift, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The shift is cancelled."))
            return redirect(back)
    return _form_page(request, form, title=title, back=back, status=400, **extra)


# --- Appointments ------------------------------------------------------------------


@login_required
@GET_POST
@never_cache
def book(request: HttpRequest, pk: int) -> HttpResponse:
    """Book a slot of a shift for one of the user's open cases."""
    user = request.user
    require_room_reader(user)
    if not workable_open_cases(user).exists():
        raise PermissionDenied(_("You have no open case to book a slot for."))
    shift = get_shift_for_user(user, pk)
    back = _week_url(shift.room_id, timezone.localdate(shift.starts_at))
    title = _("Book a slot")
    extra: dict[str, Any] = {"shift": shift, "submit_id": "book-submit"}
    slots = selectors.free_slots(shift)
    if request.method != "POST":
        form = BookForm(initial={"starts_at": request.GET.get("at", "")}, user=user, slots=slots)
        return _form_page(request, form, title=title, back=back, **extra)
    form = BookForm(request.POST, user=user, slots=slots)
    if form.is_valid():
        try:
            appointment = services.appointment_book(actor=user, shift=shift, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Booked %(when)s for case %(case)s.")
                % {
                    "when": f"{timezone.localtime(appointment.starts_at):%Y-%m-%d %H:%M}",
                    "case": appointment.case.number,
                },
            )
            return redirect(back)
    return _form_page(request, form, title=title, back=back, status=400, **extra)


def _acted_on(request: HttpRequest, pk: int) -> Appointment:
    user = request.user
    require_room_reader(user)
    appointment = get_appointment_for_user(user, pk)
    if not can_act_on(user, appointment):
        raise PermissionDenied(_("This appointment is not yours to change."))
    return appointment


@login_required
@require_POST
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _acted_on(request, pk)
    back = _week_url(appointment.shift.room_id, timezone.localdate(appointment.starts_at))
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_cancel(
                actor=request.user, appointment=appointment, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The appointment is cancelled."))
            return redirect(back)
    title = _("Cancel the appointment")
    return _form_page(request, form, title=title, back=back, status=400, appointment=appointment)


@login_required
@require_POST
def appointment_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _acted_on(request, pk)
    back = _week_url(appointment.shift.room_id, timezone.localdate(appointment.starts_at))
    try:
        services.appointment_no_show(actor=request.user, appointment=appointment)
    except ValidationError as exc:
        return render(
            request,
            "counseling/refused.html",
            {"messages_list": exc.messages, "back": back},
            status=400,
        )
    messages.success(request, _("The appointment is marked: did not come."))
    return redirect(back)


@login_required
@require_safe
@never_cache
def appointment_session(request: HttpRequest, pk: int) -> HttpResponse:
    """The case's session form, filled in from the appointment: it posts to
    ``cases:session`` like the form on the case's page."""
    user = request.user
    require_room_reader(user)
    appointment = get_appointment_for_user(user, pk)
    case = appointment.case
    if not is_member(user, case):
        raise PermissionDenied(_("Only the case's team records its sessions."))
    shift = appointment.shift
    initial = {
        "kind": "individual",
        "mode": "in_person",
        "held_at": slot_value(appointment.starts_at),
        "duration_minutes": shift.slot_minutes,
        "counselor": shift.counselor_id if is_member(shift.counselor, case) else user.pk,
        "place": shift.room.name,
        "room": shift.room_id,
        "appointment": appointment.pk,
    }
    form = SessionForm(initial=initial, user=user, case=case)
    with transaction.atomic():
        audit_record(
            actor=user,
            action=AuditEvent.Action.VIEW,
            object_type="cases.case",
            object_id=case.pk,
            minor_id=case.minor_id,
            details={"appointment": appointment.pk},
        )
    context = {
        "case": case,
        "form": form,
        "title": _("Record a session"),
        "url": reverse("cases:session", args=[case.pk]),
    }
    return render(request, "cases/case_action.html", context)


@login_required
@require_safe
@never_cache
def mine(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_room_reader(user)
    rows = selectors.my_appointments(user)
    return render(
        request,
        "counseling/my_appointments.html",
        {"rows": rows, "now": timezone.now(), "shifts": _my_shifts(user)},
    )


def _my_shifts(user: Any) -> list[Shift]:
    return list(
        Shift.objects.filter(counselor=user, cancelled_at__isnull=True, ends_at__gte=timezone.now())
        .select_related("room")
        .order_by("starts_at", "pk")[:PAGE_SIZE]
    )
