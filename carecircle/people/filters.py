"""The filters of the minors list, shared by the page, the API and the roster export.

A filter only ever narrows a queryset that the permission layer has already
scoped: choosing a village outside the user's scope yields nothing, never more.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecircle.people.models import Category, CategoryMembership, Minor
from carecircle.people.selectors import minors_search
from carecircle.regions.codes import parse_code, prefix_term

# 民政部's statistical bands (DOMAIN.md §1.2), with the 16-17 year-olds who are
# minors but outside the left-behind definition.
AGE_BANDS: dict[str, tuple[int, int]] = {
    "0-5": (0, 5),
    "6-13": (6, 13),
    "14-15": (14, 15),
    "16-17": (16, 17),
}
AGE_BAND_CHOICES = [("", _("Any age"))] + [
    (key, _("%(low)d to %(high)d years") % {"low": low, "high": high})
    for key, (low, high) in AGE_BANDS.items()
]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def birth_range(low: int, high: int, *, today: date) -> tuple[date, date]:
    """Birth dates of children aged ``low`` to ``high`` whole years on ``today``."""
    latest = _years_before(today, low)
    earliest = date.fromordinal(_years_before(today, high + 1).toordinal() + 1)
    return earliest, latest


def open_category_q(category: str, *, on: date | None = None) -> Q:
    """Minors with a membership of ``category`` open on ``on`` (today by default)."""
    on = on or timezone.localdate()
    memberships = CategoryMembership.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on),
        minor=OuterRef("pk"),
        category=category,
        valid_from__lte=on,
    )
    return Q(Exists(memberships))


class MinorFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=64)
    area = forms.CharField(
        label=_("Area"),
        required=False,
        max_length=12,
        help_text=_("A division code: county, township or village."),
    )
    school = forms.IntegerField(label=_("School"), required=False, min_value=1, max_value=2**63 - 1)
    school_class = forms.IntegerField(
        label=_("Class"), required=False, min_value=1, max_value=2**63 - 1
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Any category")), *Category.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", Minor.Status.ACTIVE.label),
            ("all", _("Any status")),
            *(c for c in Minor.Status.choices if c[0] != Minor.Status.ACTIVE),
        ],
    )
    age = forms.ChoiceField(label=_("Age"), required=False, choices=AGE_BAND_CHOICES)

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        # "status=active" (an API client's natural spelling) is the default, blank.
        if data is not None and data.get("status") == Minor.Status.ACTIVE:
            data = data.copy()
            data["status"] = ""
        super().__init__(data, *args, **kwargs)

    def clean_area(self) -> str:
        raw = self.cleaned_data["area"].strip()
        if not raw:
            return ""
        try:
            return parse_code(raw)[1]
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def apply(self, queryset: QuerySet[Minor], *, today: date | None = None) -> QuerySet[Minor]:
        """Narrow the scoped ``queryset``; call only after ``is_valid()``."""
        data = self.cleaned_data
        today = today or timezone.localdate()
        if data.get("area"):
            queryset = queryset.filter(prefix_term("area_code", data["area"]))
        if data.get("school"):
            queryset = queryset.filter(school_id=data["school"])
        if data.get("school_class"):
            queryset = queryset.filter(school_class_id=data["school_class"])
        if data.get("category"):
            queryset = queryset.filter(open_category_q(data["category"], on=today))
        status = data.get("status") or ""
        if status == "":
            queryset = queryset.filter(status=Minor.Status.ACTIVE)
        elif status != "all":
            queryset = queryset.filter(status=status)
        if data.get("age"):
            earliest, latest = birth_range(*AGE_BANDS[data["age"]], today=today)
            queryset = queryset.filter(birth_date__gte=earliest, birth_date__lte=latest)
        return minors_search(queryset, data.get("q") or "")
