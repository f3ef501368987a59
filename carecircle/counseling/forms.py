"""The forms of the counseling pages. Forms check shape; ``services`` checks the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.models import Organisation, User
from carecircle.cases.models import Case
from carecircle.counseling.models import Appointment, Room, Shift
from carecircle.counseling.permissions import (
    on_duty_candidates,
    organisations_for_rooms,
    workable_open_cases,
)

SLOT_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_FORMATS = [SLOT_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _moment(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=SLOT_FORMAT),
    )


def slot_value(moment: datetime) -> str:
    return timezone.localtime(moment).strftime(SLOT_FORMAT)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class CaseChoiceField(forms.ModelChoiceField):
    """Cases by number and type: the child's name stays on the case's page."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} · {obj.get_kind_display()}"


class AppointmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{timezone.localtime(obj.starts_at):%Y-%m-%d %H:%M} · {obj.shift.room.name}"


class RoomFilterForm(forms.Form):
    area = forms.RegexField(
        label=_("Division code"), regex=r"^\d{2,12}$", required=False, max_length=12
    )
    kind = forms.ChoiceField(
        label=_("Kind of room"), required=False, choices=[("", _("All")), *Room.Kind.choices]
    )


class RoomForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind of room"), choices=Room.Kind.choices)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    location = forms.CharField(label=_("Where it is"), required=False, max_length=200)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any = None, room: Room | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if room is None:
            del self.fields["is_active"]
            field = cast(forms.ModelChoiceField, self.fields["organisation"])
            field.queryset = organisations_for_rooms(user)
        else:
            # A room stays at its organisation: its rota and sessions were held there.
            del self.fields["organisation"]


class ShiftForm(forms.Form):
    counselor = UserChoiceField(label=_("Counselor"), queryset=User.objects.none())
    starts_at = _moment(_("Starts at"))
    ends_at = _moment(_("Ends at"))
    slot_minutes = forms.IntegerField(
        label=_("Slot length (minutes)"),
        min_value=Shift.MIN_SLOT,
        max_value=Shift.MAX_SLOT,
        initial=50,
    )

    def __init__(self, *args: Any, room: Room, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["counselor"])
        field.queryset = on_duty_candidates(room)


class ShiftCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why it is cancelled"), max_length=200)
    cancel_appointments = forms.BooleanField(
        label=_("Also cancel the appointments booked on it"), required=False
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why it is cancelled"), max_length=200)


class BookForm(forms.Form):
    starts_at = forms.TypedChoiceField(label=_("Slot"), choices=[])
    case = CaseChoiceField(label=_("Case"), queryset=Case.objects.none())

    def __init__(self, *args: Any, user: Any, slots: list[datetime], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slots = {slot_value(s): s for s in slots}
        field = cast(forms.TypedChoiceField, self.fields["starts_at"])
        field.choices = [
            (value, f"{timezone.localtime(s):%m-%d %H:%M}") for value, s in self._slots.items()
        ]
        field.coerce = self._slots.__getitem__
        case = cast(forms.ModelChoiceField, self.fields["case"])
        case.queryset = workable_open_cases(user).order_by("-opened_at", "-pk")


def live_appointments_of(case: Case) -> Any:
    return Appointment.objects.filter(case=case, status=Appointment.Status.BOOKED).select_related(
        "shift__room"
    )
