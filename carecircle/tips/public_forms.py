"""The public reporting page's forms: strict, small, and nothing trusted (issue 6 item 1).

The place is picked from the divisions loaded for the deployment: a township (or
"not sure which township" of a county), then, if the reporter knows it, a village
of that township. Without JavaScript every village is listed, grouped by township;
``static/tips/public.js`` narrows the list to the township chosen. The server
checks that the village lies in the township.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecircle.regions.codes import Level, prefix_term
from carecircle.regions.models import Division
from carecircle.tips import receipts
from carecircle.tips.models import Category

Choices = list[Any]

DESCRIPTION_MAX = 4000
HONEYPOT = "website"


def _style(form: forms.Form) -> None:
    """Bootstrap's classes, big enough to tap on a phone."""
    for bound in form.fields.values():
        widget = bound.widget
        if isinstance(widget, forms.RadioSelect):
            widget.attrs["class"] = "btn-check"
        elif isinstance(widget, forms.CheckboxInput):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select form-select-lg"
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs["class"] = "form-control"


def _counties() -> list[Division]:
    return list(Division.objects.filter(level=Level.COUNTY, is_active=True).order_by("code"))


def area_choices() -> tuple[Choices, Choices]:
    """(townships, villages) of the deployment's counties, as grouped select options.

    A county's first option is the county itself: a report may stop there when the
    reporter does not know the township.
    """
    counties = _counties()
    within = Q(pk__in=[])
    for county in counties:
        within |= prefix_term("prefix", county.prefix)
    divisions = Division.objects.filter(
        within, level__in=[Level.TOWNSHIP, Level.VILLAGE], is_active=True
    ).order_by("code")
    towns: dict[str, list[tuple[str, str]]] = {c.prefix: [] for c in counties}
    villages: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for division in divisions:
        county_prefix = division.prefix[:6]
        if county_prefix not in towns:
            continue
        if division.level == Level.TOWNSHIP:
            towns[county_prefix].append((division.code, division.name))
            villages[division.prefix] = (division.name, [])
        elif division.prefix[:9] in villages:
            villages[division.prefix[:9]][1].append((division.code, division.name))
    township_choices: Choices = [("", "—")]
    for county in counties:
        own = [(county.code, _("Not sure which township")), *towns[county.prefix]]
        township_choices.append((county.name, own))
    village_choices: Choices = [("", _("Not sure, or not listed"))]
    village_choices += [(name, options) for name, options in villages.values() if options]
    return township_choices, village_choices


class ReportForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What happened?"), choices=Category.choices, widget=forms.RadioSelect
    )
    township = forms.ChoiceField(label=_("Township or street"))
    village = forms.ChoiceField(label=_("Village or community"), required=False)
    place = forms.CharField(
        label=_("Where exactly (optional)"),
        max_length=200,
        required=False,
        help_text=_("For example: near the school gate, the bridge at the east end."),
    )
    occurred_on = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    occurred_text = forms.CharField(
        label=_("Or in words"),
        max_length=60,
        required=False,
        help_text=_("For example: every evening for a month; last Sunday."),
    )
    child_description = forms.CharField(
        label=_("The child, if you know"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Name, age, school or what the child looks like."),
    )
    description = forms.CharField(
        label=_("What did you see or hear?"),
        min_length=5,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    anonymous = forms.BooleanField(label=_("Report anonymously"), required=False)
    reporter_name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    reporter_contact = forms.CharField(
        label=_("Phone or other way to reach you"), max_length=100, required=False
    )
    reporter_relation = forms.CharField(
        label=_("Who are you to the child?"),
        max_length=40,
        required=False,
        help_text=_("For example: neighbour, teacher, relative."),
    )
    # Hidden from people by a CSS class; a bot filling every field fills it.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    challenge = forms.CharField(widget=forms.HiddenInput, max_length=400, required=False)
    nonce = forms.CharField(widget=forms.HiddenInput, max_length=20, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        townships, villages = area_choices()
        self.fields["township"].choices = townships  # type: ignore[attr-defined]
        self.fields["village"].choices = villages  # type: ignore[attr-defined]
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        self.fields["reporter_contact"].widget.attrs.update({"autocomplete": "tel"})
        self.fields["occurred_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        _style(self)

    def clean_occurred_on(self) -> Any:
        day = self.cleaned_data.get("occurred_on")
        if day is not None and day > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        township, village = data.get("township", ""), data.get("village", "")
        if township and village and not village.startswith(_significant(township)):
            self.add_error("village", _("Choose a village of the township chosen."))
        if data.get("anonymous") or not (data.get("reporter_name") or data.get("reporter_contact")):
            data["anonymous"] = True
            data["reporter_name"] = data["reporter_contact"] = ""
        return data

    @property
    def area_code(self) -> str:
        return self.cleaned_data.get("village") or self.cleaned_data["township"]


def trapped(data: Any) -> bool:
    """Whether the field hidden from people (the honeypot) was filled in: a bot."""
    return bool(str(data.get(HONEYPOT, "")).strip())


def _significant(code: str) -> str:
    """A county's or township's 12-digit code without its trailing zero groups."""
    return code[:6] if code[6:] == "000000" else code[:9]


class ReceiptForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=64)

    def clean_code(self) -> str:
        digits = receipts.clean(self.cleaned_data.get("code", ""))
        if digits is None:
            raise ValidationError(_("A receipt code has 16 digits."), code="receipt_format")
        return digits


class AddForm(ReceiptForm):
    text = forms.CharField(
        label=_("What would you like to add?"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget = forms.HiddenInput()
        _style(self)
