from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from carecircle.audit.models import AuditEvent


class AuditFilterForm(forms.Form):
    minor = forms.IntegerField(label=_("Child record number"), required=False, min_value=1)
    id_number = forms.CharField(label=_("Or the child's ID number"), required=False, max_length=18)
    username = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("All")), *AuditEvent.Action.choices]
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError(_("The period must start before it ends."))
        return data
