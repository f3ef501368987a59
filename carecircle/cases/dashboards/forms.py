"""The dashboards' period and counselor pickers (read by GET; nothing is written)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from carecircle.cases.dashboards.selectors import Period

# A longer period is a report: the statistics pages count it from the indicators.
MAX_DAYS = 366


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        default = Period.this_month()
        start, end = start or default.start, end or default.end
        if start > end:
            raise ValidationError(_("The period must start before it ends."))
        if (end - start).days >= MAX_DAYS:
            raise ValidationError(_("Choose a period of at most a year."))
        data["period"] = Period(start, end)
        return data

    def period(self) -> Period:
        """The period asked for, or this month when the input is wrong (the errors show)."""
        if self.is_valid():
            period: Period = self.cleaned_data["period"]
            return period
        return Period.this_month()


class CounselorForm(PeriodForm):
    counselor = forms.IntegerField(
        label=_("Counselor"), required=False, min_value=1, max_value=2**63 - 1
    )
