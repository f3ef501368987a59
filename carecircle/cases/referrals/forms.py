"""The forms of the referral pages. They check shape; the services check the rules
(the basis, the items a receiver may have, who answers, in which state)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.models import Organisation
from carecircle.cases.models import Referral
from carecircle.cases.referrals.sharing import ITEMS, RECEIVER_KINDS, SHAREABLE

TEXT = 4000


def _area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.get_kind_display()}"


def receivers() -> Any:
    return Organisation.objects.filter(is_active=True, kind__in=RECEIVER_KINDS).order_by(
        "kind", "name", "pk"
    )


class ReferralForm(forms.Form):
    to_organisation = OrganisationChoiceField(
        label=_("Refer to"), queryset=Organisation.objects.none()
    )
    reason = forms.CharField(label=_("Why, and what is asked"), max_length=TEXT, widget=_area(3))
    shared_items = forms.MultipleChoiceField(
        label=_("What is shared"),
        choices=[(key, label) for key, label in ITEMS.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only the minimum the receiver needs; each kind of receiver may have only some."
        ),
    )
    basis = forms.ChoiceField(label=_("Legal basis"), choices=Referral.Basis.choices)
    consent_by = forms.CharField(
        label=_("Who consented"),
        required=False,
        max_length=200,
        help_text=_("For the guardian's consent: the guardian's relation and name."),
    )
    consent_on = forms.DateField(
        label=_("Consent given on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    override_reason = forms.CharField(
        label=_("Why consent is overridden"),
        required=False,
        max_length=TEXT,
        widget=_area(2),
        help_text=_("Only a supervisor may override consent."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["to_organisation"]).queryset = receivers()

    @staticmethod
    def shareable() -> list[dict[str, Any]]:
        """Per kind of receiver, the items it may have: shown beside the form."""
        return [
            {
                "kind": Organisation.Kind(kind).label,
                "items": [ITEMS[item] for item in items],
            }
            for kind, items in SHAREABLE.items()
        ]


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *Referral.Status.choices],
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why it is declined"), max_length=TEXT, widget=_area(2))


class FeedbackForm(forms.Form):
    feedback = forms.CharField(
        label=_("Treatment or intervention"), max_length=TEXT, widget=_area(3)
    )
    # Shown only to a hospital; the service refuses it from anyone else.
    diagnosis = forms.CharField(
        label=_("Diagnosis"), required=False, max_length=TEXT, widget=_area(2)
    )


class ConfirmForm(forms.Form):
    """A step that needs nothing but the button."""


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=TEXT, widget=_area(2))
