"""The staff forms of a tip's page: one per action, each posting to its own URL.

Forms check shape and normalise; the services in ``handling.py`` check the rules
(who, which state, flags never lowering the urgency, the police receipt).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.models import Organisation, User
from carecircle.people.models import Minor
from carecircle.people.permissions import minors_visible_to
from carecircle.tips.handling import (
    MIN_REASON,
    dispatch_organisations,
    dispatch_townships,
    handler_candidates,
)
from carecircle.tips.models import (
    Category,
    Channel,
    HandoffLine,
    Outcome,
    Satisfaction,
    Tip,
    Urgency,
)
from carecircle.tips.permissions import LIVE_DISPATCH, MAX_ID, tips_visible_to

TEXT = 4000
_NUMBER = re.compile(r"^(?:\d{8}-)?0*(\d{1,18})$")


def _area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class PlainForm(forms.Form):
    """An action with nothing to fill in (acknowledge, acknowledge a dispatch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("user", None)
        kwargs.pop("tip", None)
        super().__init__(*args, **kwargs)


class ContactForm(PlainForm):
    note = forms.CharField(label=_("How and what was said"), required=False, max_length=TEXT)
    note.widget = _area(2)


class ReasonForm(PlainForm):
    reason = forms.CharField(label=_("Reason"), min_length=MIN_REASON, max_length=TEXT)
    reason.widget = _area(2)


class ResultForm(PlainForm):
    result = forms.CharField(label=_("What was done"), max_length=TEXT)
    result.widget = _area(3)


class HandoffForm(PlainForm):
    line = forms.ChoiceField(
        label=_("Handed to"), choices=HandoffLine.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=TEXT,
        help_text=_("For example: the operator's number, the ambulance sent."),
    )
    note.widget = _area(2)


class NoteForm(PlainForm):
    text = forms.CharField(label=_("Note"), max_length=TEXT)
    text.widget = _area(2)


class ExtensionDecideForm(PlainForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
    )


class UrgencyForm(PlainForm):
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=TEXT,
        help_text=_("Required to lower it."),
    )


class PoliceForm(PlainForm):
    unit = forms.CharField(label=_("Police unit"), required=False, max_length=100)
    receipt = forms.CharField(label=_("Receipt number"), required=False, max_length=64)
    reported_at = forms.DateTimeField(
        label=_("Reported at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reason = forms.CharField(
        label=_("Or: why there is no receipt"), required=False, max_length=TEXT
    )
    reason.widget = _area(2)


class CloseForm(PlainForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = forms.CharField(label=_("What was done"), max_length=TEXT)
    note.widget = _area(3)


class FollowupForm(PlainForm):
    satisfaction = forms.ChoiceField(label=_("The reporter was"), choices=Satisfaction.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=TEXT)
    note.widget = _area(2)


class AssignForm(forms.Form):
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=User.objects.none())

    def __init__(self, *args: Any, user: Any, tip: Tip, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handler_candidates(tip)  # type: ignore[attr-defined]
        self.fields["handler"].label_from_instance = lambda u: u.display_name  # type: ignore[attr-defined]


class DispatchForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Agency"), queryset=Organisation.objects.none(), required=False
    )
    township = forms.ChoiceField(label=_("Or a township"), required=False)
    instructions = forms.CharField(label=_("Instructions"), required=False, max_length=TEXT)
    instructions.widget = _area(2)
    reason = forms.CharField(
        label=_("Reason for dispatching elsewhere"),
        required=False,
        max_length=TEXT,
        help_text=_("The report is already dispatched: say why it goes elsewhere."),
    )

    def __init__(self, *args: Any, user: Any, tip: Tip, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = dispatch_organisations(user, tip)  # type: ignore[attr-defined]
        self.fields["township"].choices = [  # type: ignore[attr-defined]
            ("", "---------"),
            *((d.prefix, d.name) for d in dispatch_townships(tip)),
        ]
        if not tip.dispatches.filter(status__in=LIVE_DISPATCH).exists():
            del self.fields["reason"]  # asked only to dispatch elsewhere (改派)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("organisation")) == bool(data.get("township")):
            raise forms.ValidationError(_("Choose either an agency or a township, not both."))
        return data


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("Merge into report number"),
        max_length=30,
        help_text=_("The surviving report, e.g. 20260101-00012."),
    )

    def __init__(self, *args: Any, user: Any, tip: Tip, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_into(self) -> Tip:
        match = _NUMBER.match(self.cleaned_data["into"].strip())
        pk = int(match.group(1)) if match else 0
        found = tips_visible_to(self.user).filter(pk=pk).first() if 0 < pk <= MAX_ID else None
        if found is None:
            raise forms.ValidationError(_("No report with this number is in your queue."))
        return found


class MinorForm(forms.Form):
    minor = forms.IntegerField(label=_("Child's record number"), min_value=1, max_value=MAX_ID)

    def __init__(self, *args: Any, user: Any, tip: Tip, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_minor(self) -> Minor:
        found = minors_visible_to(self.user).filter(pk=self.cleaned_data["minor"]).first()
        if found is None:
            raise forms.ValidationError(_("Choose a child you may read."))
        return found


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))],
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any urgency")), *Urgency.choices],
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    category = forms.ChoiceField(
        label=_("What happened"),
        required=False,
        choices=[("", _("Anything")), *Category.choices],
    )
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    mine = forms.BooleanField(label=_("Mine"), required=False)
    dispatched = forms.BooleanField(label=_("Dispatched to me"), required=False)
