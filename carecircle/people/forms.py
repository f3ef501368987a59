from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.forms import OtpTokenForm


class EmergencyAccessForm(forms.Form):
    id_number = forms.CharField(
        label=_("The child's resident ID number"),
        min_length=15,
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=_("Why you need this record now"),
        min_length=10,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    otp_token = OtpTokenForm.base_fields["otp_token"]

    def clean_otp_token(self) -> str:
        return OtpTokenForm.clean_otp_token(self)  # type: ignore[arg-type]
