"""Account administration pages for system administrators: organisations, users, roles."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from carecircle.accounts import permissions as perms
from carecircle.accounts import services
from carecircle.accounts.forms import GrantForm, OrganisationForm, UserEditForm, UserForm
from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.audit.services import note_denial


def _require_admin(request: HttpRequest) -> None:
    if not perms.can_manage_accounts(request.user):
        raise PermissionDenied


def get_user_for_admin(admin: perms.AnyUser, pk: int) -> User:
    user = perms.users_visible_to(admin).filter(pk=pk).first()
    if user is None:
        note_denial(actor=admin, object_type="accounts.user", object_id=pk, reason="out of scope")
        raise Http404
    return user


def get_organisation_for_admin(admin: perms.AnyUser, pk: int) -> Organisation:
    organisation = perms.organisations_visible_to(admin).filter(pk=pk).first()
    if organisation is None:
        note_denial(
            actor=admin, object_type="accounts.organisation", object_id=pk, reason="out of scope"
        )
        raise Http404
    return organisation


def _apply_errors(form: object, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)  # type: ignore[attr-defined]
    else:
        form.add_error(None, exc.messages)  # type: ignore[attr-defined]


@login_required
@require_safe
def organisation_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    organisations = perms.organisations_visible_to(request.user).order_by("division_id", "name")
    return render(request, "accounts/organisation_list.html", {"organisations": organisations})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    organisation = get_organisation_for_admin(request.user, pk) if pk else None
    initial = {}
    if organisation:
        initial = {
            "name": organisation.name,
            "kind": organisation.kind,
            "division_code": organisation.division.prefix,
            "is_active": organisation.is_active,
        }
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_save(
                actor=request.user,
                organisation=organisation,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                division=form.cleaned_data["division_code"],
                is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("division_code", str(exc))
        else:
            messages.success(request, _("The organisation was saved."))
            return redirect("accounts:organisation-list")
    return render(
        request, "accounts/organisation_form.html", {"form": form, "organisation": organisation}
    )


@login_required
@require_safe
def user_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    query = request.GET.get("q", "").strip()[:64]
    users = perms.users_visible_to(request.user).prefetch_related(
        Prefetch(
            "assignments",
            queryset=RoleAssignment.objects.active().select_related("division", "organisation"),
            to_attr="active_assignments",
        )
    )
    if query:
        users = users.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    return render(
        request, "accounts/user_list.html", {"users": users.order_by("username")[:200], "q": query}
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, password = services.user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return render(
                request, "accounts/user_password.html", {"target": user, "password": password}
            )
    return render(request, "accounts/user_form.html", {"form": form})


def _user_detail_context(request: HttpRequest, target: User, **extra: object) -> dict:
    return {
        "target": target,
        "assignments": target.assignments.select_related(
            "division", "organisation", "granted_by"
        ).order_by("revoked_at", "role"),
        "grant_form": extra.pop("grant_form", None)
        or GrantForm(organisations=perms.organisations_visible_to(request.user)),
        "edit_form": extra.pop("edit_form", None)
        or UserEditForm(
            initial={"full_name": target.full_name, "email": target.email, "phone": target.phone}
        ),
        "is_self": target.pk == request.user.pk,
        **extra,
    }


@login_required
@require_safe
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    target = get_user_for_admin(request.user, pk)
    return render(request, "accounts/user_detail.html", _user_detail_context(request, target))


@login_required
@require_POST
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    target = get_user_for_admin(request.user, pk)
    form = UserEditForm(request.POST)
    if form.is_valid():
        try:
            services.user_update(actor=request.user, user=target, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, getattr(exc, "messages", [str(exc)]))
        else:
            messages.success(request, _("The account was saved."))
            return redirect("accounts:user-detail", pk=target.pk)
    context = _user_detail_context(request, target, edit_form=form)
    return render(request, "accounts/user_detail.html", context, status=400)


@login_required
@require_POST
def role_grant(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    target = get_user_for_admin(request.user, pk)
    form = GrantForm(request.POST, organisations=perms.organisations_visible_to(request.user))
    if form.is_valid():
        try:
            services.role_grant(
                actor=request.user,
                user=target,
                role=form.cleaned_data["role"],
                division=form.cleaned_data.get("division"),
                organisation=form.cleaned_data.get("organisation"),
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, getattr(exc, "messages", [str(exc)]))
        else:
            messages.success(request, _("The role was granted."))
            return redirect("accounts:user-detail", pk=target.pk)
    context = _user_detail_context(request, target, grant_form=form)
    return render(request, "accounts/user_detail.html", context, status=400)


@login_required
@require_POST
def role_revoke(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    _require_admin(request)
    target = get_user_for_admin(request.user, pk)
    assignment = target.assignments.filter(pk=assignment_pk).first()
    if assignment is None:
        raise Http404
    try:
        services.role_revoke(actor=request.user, assignment=assignment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The role was revoked."))
    return redirect("accounts:user-detail", pk=target.pk)


@login_required
@require_POST
def user_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Deactivate, reactivate, reset the password or the second factor."""
    _require_admin(request)
    target = get_user_for_admin(request.user, pk)
    if action == "deactivate":
        services.user_set_active(actor=request.user, user=target, active=False)
        messages.success(request, _("The account was deactivated; its sessions have ended."))
    elif action == "activate":
        services.user_set_active(actor=request.user, user=target, active=True)
        messages.success(request, _("The account was reactivated."))
    elif action == "reset-password":
        password = services.user_reset_password(actor=request.user, user=target)
        return render(
            request, "accounts/user_password.html", {"target": target, "password": password}
        )
    elif action == "reset-otp":
        services.user_reset_second_factor(actor=request.user, user=target)
        messages.success(request, _("The authenticator was removed; a new one is set up at login."))
    else:
        raise Http404
    return redirect("accounts:user-detail", pk=target.pk)
