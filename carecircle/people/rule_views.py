"""Pages for the category rules and for a child's manual categories.

- ``rules``: the rule versions; district administrators and centre staff read
  them, a county-wide district administrator adds the next version.
- ``category_add`` / ``category_end``: a person who edits the child puts it in a
  category by hand, or ends such a membership, with a reason. Rule-derived
  memberships end only when the facts change.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from carecircle.accounts.errors import add_service_errors
from carecircle.people import rules, services
from carecircle.people.categories import (
    can_manage_rules,
    can_view_rules,
    categories_for_display,
    category_add_manual,
    current_ruleset,
    decision_notes,
    membership_end,
    ruleset_create,
)
from carecircle.people.models import Category, CategoryMembership, CategoryRuleSet, Minor
from carecircle.people.permissions import can_change_minor, get_minor_for_user, minor_scope_q

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- Rule versions ---------------------------------------------------------------------


def _subtype_lines(subtypes: Any) -> str:
    return "\n".join(
        " | ".join(str(s.get(k, "") or "") for k in ("code", "name", "bucket", "when"))
        for s in subtypes or []
        if isinstance(s, dict)
    )


class RuleSetForm(forms.Form):
    effective_from = forms.DateField(label=gettext_lazy("Effective from"), widget=_DATE)
    left_behind_age_limit = forms.IntegerField(
        label=gettext_lazy("Left-behind: under this age"), min_value=1, max_value=18
    )
    left_behind_cutoff = forms.DateField(
        label=gettext_lazy("Left-behind: age counted on"),
        required=False,
        widget=_DATE,
        help_text=gettext_lazy("The screening's reference day; empty: the day of evaluation."),
    )
    left_behind_min_months = forms.IntegerField(
        label=gettext_lazy("Left-behind: months working away at least"), min_value=0, max_value=60
    )
    left_behind_cross_county = forms.BooleanField(
        label=gettext_lazy("Left-behind: only work outside the county counts"), required=False
    )
    migrant_age_limit = forms.IntegerField(
        label=gettext_lazy("Migrant: under this age"), min_value=1, max_value=18
    )
    migrant_min_months = forms.IntegerField(
        label=gettext_lazy("Migrant: months away from the hukou county at least"),
        min_value=0,
        max_value=60,
    )
    incapacity_min_months = forms.IntegerField(
        label=gettext_lazy("Imprisonment, rehabilitation or restriction: months at least"),
        min_value=0,
        max_value=60,
    )
    out_of_contact_min_months = forms.IntegerField(
        label=gettext_lazy("Out of contact: months since the police report at least"),
        min_value=0,
        max_value=60,
    )
    age_out_notice_days = forms.IntegerField(
        label=gettext_lazy("Days of notice before a category ends"), min_value=0, max_value=365
    )
    difficulty_subtypes = forms.CharField(
        label=gettext_lazy("Local sub-types of children in difficulty"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
        help_text=gettext_lazy(
            "One per line: code | name | bucket (A, B, C or empty) | condition. "
            "The conditions are listed below."
        ),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_difficulty_subtypes(self) -> list[dict[str, str]]:
        items: list[dict[str, str]] = []
        problems: list[str] = []
        for number, line in enumerate(self.cleaned_data["difficulty_subtypes"].splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("｜", "|").split("|")]
            if len(parts) != 4:
                problems.append(
                    _("Line %(n)d: write code | name | bucket | condition.") % {"n": number}
                )
                continue
            items.append(dict(zip(("code", "name", "bucket", "when"), parts, strict=True)))
        if problems:
            raise ValidationError(problems)
        return rules.validate_subtypes(items)


def _initial(latest: CategoryRuleSet | None) -> dict[str, Any]:
    if latest is None:
        return {}
    initial: dict[str, Any] = {
        name: getattr(latest, name) for name in RuleSetForm.base_fields if name != "note"
    }
    initial["difficulty_subtypes"] = _subtype_lines(latest.difficulty_subtypes)
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def rules_page(request: HttpRequest) -> HttpResponse:
    if not can_view_rules(request.user):
        raise PermissionDenied
    manage = can_manage_rules(request.user)
    if request.method == "POST" and not manage:
        raise PermissionDenied
    versions = list(CategoryRuleSet.objects.select_related("created_by").order_by("-version"))
    form = RuleSetForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(versions[0] if versions else None),
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = ruleset_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Rule version %(version)d was saved. It applies from %(day)s; the children's "
                    "categories are re-derived that day."
                )
                % {"version": created.version, "day": created.effective_from.isoformat()},
            )
            return redirect("people:rules")
    current = current_ruleset()
    context = {
        "versions": versions,
        "current": current,
        "form": form if manage else None,
        "predicates": [(key, p.label) for key, p in rules.PREDICATES.items()],
    }
    return render(request, "people/rules_list.html", context)


# --- Manual categories -------------------------------------------------------------------------


class ManualCategoryForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices)
    subtype = forms.ChoiceField(
        label=gettext_lazy("Sub-type"),
        required=False,
        help_text=gettext_lazy("Children in difficulty only."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Which facts make it apply, and who recognised them."),
    )
    valid_from = forms.DateField(
        label=gettext_lazy("Applies from"),
        required=False,
        widget=_DATE,
        help_text=gettext_lazy("Empty: today."),
    )
    authority = forms.CharField(
        label=gettext_lazy("Recognising authority"), required=False, max_length=100
    )
    decision_number = forms.CharField(
        label=gettext_lazy("Decision number"), required=False, max_length=64
    )

    def __init__(self, *args: Any, subtypes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["subtype"]).choices = [("", "—"), *subtypes]


class EndMembershipForm(forms.Form):
    membership = forms.IntegerField(label=gettext_lazy("Category"))
    reason = forms.CharField(
        label=gettext_lazy("Why it ends"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )
    on = forms.DateField(
        label=gettext_lazy("Last day it applied"),
        required=False,
        widget=_DATE,
        help_text=gettext_lazy("Empty: today."),
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"].widget = forms.Select(choices=[("", "—"), *choices])


def _editable_minor(request: HttpRequest, pk: int) -> Minor:
    """The child if the user may change it: 403 without any editing role, 404 out of scope."""
    if minor_scope_q(request.user, edit=True) is None:
        raise PermissionDenied
    minor = get_minor_for_user(request.user, pk)
    if not can_change_minor(request.user, minor):
        raise PermissionDenied
    return minor


def _label(m: CategoryMembership) -> str:
    text = str(m.get_category_display())
    return f"{text} · {m.subtype}" if m.subtype else text


def _render_minor_page(
    request: HttpRequest, template: str, minor: Minor, context: dict[str, Any]
) -> HttpResponse:
    services.minor_view(actor=request.user, minor=minor, fields=["name", "categories"])
    context |= {"minor": minor, "memberships": categories_for_display(minor)}
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def category_add(request: HttpRequest, pk: int) -> HttpResponse:
    minor = _editable_minor(request, pk)
    ruleset = current_ruleset()
    subtypes = [
        (str(s.get("code")), str(s.get("name")))
        for s in (ruleset.difficulty_subtypes if ruleset else []) or []
        if isinstance(s, dict)
    ]
    form = ManualCategoryForm(request.POST if request.method == "POST" else None, subtypes=subtypes)
    if request.method == "POST" and form.is_valid():
        try:
            category_add_manual(actor=request.user, minor=minor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The category was added."))
            return redirect("people:minor-detail", pk=minor.pk)
    return _render_minor_page(
        request, "people/category_add.html", minor, {"form": form, "notes": decision_notes(minor)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_end(request: HttpRequest, pk: int) -> HttpResponse:
    minor = _editable_minor(request, pk)
    open_rows = list(minor.categories.filter(valid_to__isnull=True))
    manual = [(m.pk, _label(m)) for m in open_rows if m.source == CategoryMembership.Source.MANUAL]
    chosen = request.GET.get("membership", "")
    form = EndMembershipForm(
        request.POST if request.method == "POST" else None,
        choices=manual,
        initial={"membership": chosen},
    )
    if request.method == "POST" and form.is_valid():
        membership = next((m for m in open_rows if m.pk == form.cleaned_data["membership"]), None)
        if membership is None:
            form.add_error("membership", _("Choose one of the child's current categories."))
        else:
            try:
                membership_end(
                    actor=request.user,
                    membership=membership,
                    reason=form.cleaned_data["reason"],
                    on=form.cleaned_data["on"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The category was ended."))
                return redirect("people:minor-detail", pk=minor.pk)
    ruled = next((m for m in open_rows if str(m.pk) == chosen and m.source == m.Source.RULE), None)
    return _render_minor_page(
        request, "people/category_end.html", minor, {"form": form, "ruled": ruled}
    )
