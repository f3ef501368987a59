from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.models import Organisation
from carecircle.accounts.roles import ROLE_SPECS, Role, ScopeKind
from carecircle.regions.codes import parse_code
from carecircle.regions.models import Division


class OtpTokenForm(forms.Form):
    otp_token = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_otp_token(self) -> str:
        token = self.cleaned_data["otp_token"].strip()
        if not token.isdigit():
            raise ValidationError(_("The code has 6 digits."))
        return token


def clean_division(raw: str) -> Division:
    """A division code typed by a person → the Division, or a clear Chinese message."""
    code, _prefix, _level = parse_code(raw)
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise ValidationError(_("No division has the code %(code)s.") % {"code": raw})
    return division


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Organisation.Kind.choices)
    division_code = forms.CharField(
        label=_("Division code"), max_length=12, help_text=_("For example 431103 or 431103001")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_division_code(self) -> Division:
        return clean_division(self.cleaned_data["division_code"])


class UserForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        max_length=64,
        regex=r"^[A-Za-z0-9_.-]{3,64}$",
        error_messages={"invalid": _("3 to 64 letters, digits, dots, dashes or underscores.")},
    )
    full_name = forms.CharField(label=_("Full name"), max_length=64)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.RegexField(
        label=_("Mobile phone"),
        regex=r"^1\d{10}$",
        required=False,
        error_messages={"invalid": _("A mainland mobile number has 11 digits and starts with 1.")},
    )


class UserEditForm(UserForm):
    username = None  # type: ignore[assignment]


class GrantForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), choices=[c for c in Role.choices if c[0] != Role.SYSADMIN]
    )
    division_code = forms.CharField(
        label=_("Division code"),
        max_length=12,
        required=False,
        help_text=_("For roles held within a division, e.g. a village for a child director."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("For roles held within an organisation, e.g. a school."),
    )

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        role = data.get("role")
        if not role:
            return data
        if ROLE_SPECS[role].scope == ScopeKind.DIVISION:
            raw = (data.get("division_code") or "").strip()
            if not raw:
                self.add_error("division_code", _("This role needs a division code."))
            else:
                try:
                    data["division"] = clean_division(raw)
                except ValidationError as exc:
                    self.add_error("division_code", exc)
            data["organisation"] = None
        else:
            if not data.get("organisation"):
                self.add_error("organisation", _("This role needs an organisation."))
            data["division"] = None
        return data
