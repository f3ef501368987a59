from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecircle.people.models import Category
from carecircle.regions.codes import parse_code
from carecircle.stats.registry import FILTERS


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    area = forms.CharField(label=_("Area code"), max_length=12, required=False)
    category = forms.ChoiceField(
        label=_("Category of children"),
        choices=[("", _("All children")), *Category.choices],
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The filters modules registered (a tip's channel, its category), after the
        # registry's own fields.
        for name, item in FILTERS.items():
            self.fields[name] = forms.ChoiceField(
                label=cast(Any, item.label),
                choices=[("", _("All")), *item.choices()],
                required=False,
            )

    def filters(self) -> dict[str, str]:
        """The registered filters' chosen values (empty when not chosen)."""
        data = self.cleaned_data if self.is_bound and not self.errors else {}
        return {name: data.get(name) or "" for name in FILTERS}

    @classmethod
    def default_initial(cls) -> dict[str, Any]:
        today = timezone.localdate()
        return {"start": date(today.year, 1, 1), "end": today}

    def clean_area(self) -> str | None:
        raw = (self.cleaned_data.get("area") or "").strip()
        if not raw:
            return None
        _code, prefix, _level = parse_code(raw)
        return prefix

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError(_("The period must start before it ends."))
        return data
