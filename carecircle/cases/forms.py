"""The forms of the case pages: the list's filters, opening a case, and one form per
action on a case, each posting to its own URL.

Forms check shape and normalise; the services in ``services.py`` check the rules
(who, which state, what a step needs).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.models import User
from carecircle.cases.models import (
    Case,
    CaseMember,
    CaseTask,
    Kind,
    Risk,
    Session,
    Source,
    Status,
)
from carecircle.cases.selectors import ALL, CLOSED, OPEN, member_candidates
from carecircle.counseling.forms import AppointmentChoiceField, live_appointments_of
from carecircle.counseling.models import Appointment, Room
from carecircle.counseling.permissions import rooms_visible_to
from carecircle.people.models import Minor
from carecircle.people.permissions import minors_visible_to

TEXT = 4000


def _area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.user.display_name} · {obj.get_role_display()}"


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(OPEN, _("Open")), (CLOSED, _("Closed")), (ALL, _("All"))],
    )
    kind = forms.ChoiceField(label=_("Case type"), required=False, choices=_blank(Kind.choices))
    risk = forms.ChoiceField(label=_("Risk level"), required=False, choices=_blank(Risk.choices))
    awaiting = forms.BooleanField(label=_("Closure awaiting my approval"), required=False)


class OpenForm(forms.Form):
    kind = forms.ChoiceField(label=_("Case type"), choices=Kind.choices)
    source = forms.ChoiceField(label=_("Came from"), choices=Source.choices)
    summary = forms.CharField(label=_("Why the case is opened"), max_length=TEXT, widget=_area(4))
    risk = forms.ChoiceField(label=_("Risk level"), choices=Risk.choices)
    risk_reasons = forms.CharField(
        label=_("Reasons for the risk level"), required=False, max_length=TEXT, widget=_area(2)
    )

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if source:
            del self.fields["source"]


class CaseForm(forms.Form):
    """An action form: knows its case, and the user for the forms that need them."""

    def __init__(self, *args: Any, user: Any = None, case: Case | None = None, **kwargs: Any):
        self.user, self.case = user, case
        super().__init__(*args, **kwargs)


class TransitionForm(CaseForm):
    to = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=TEXT, widget=_area(2))


class PlanForm(CaseForm):
    assessment = forms.CharField(
        label=_("Assessment"), required=False, max_length=TEXT, widget=_area(3)
    )
    goals = forms.CharField(label=_("Goals"), required=False, max_length=TEXT, widget=_area(2))
    services = forms.CharField(
        label=_("Services planned"), required=False, max_length=TEXT, widget=_area(2)
    )
    review_on = forms.DateField(
        label=_("Review date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    closure_note = forms.CharField(
        label=_("Closure note"), required=False, max_length=TEXT, widget=_area(2)
    )

    def clean(self) -> dict[str, Any]:
        """A field the form did not send stays as it is (``None``)."""
        data = super().clean() or {}
        for name in self.fields:
            if name not in self.data:
                data[name] = None
        return data


class RiskForm(CaseForm):
    risk = forms.ChoiceField(label=_("New risk level"), choices=Risk.choices)
    reasons = forms.CharField(label=_("Reasons"), max_length=TEXT, widget=_area(2))


class CrisisForm(CaseForm):
    safety_plan = forms.CharField(
        label=_("Safety plan"), required=False, max_length=TEXT, widget=_area(3)
    )
    guardian_told = forms.BooleanField(label=_("The guardian was told"), required=False)

    def clean_safety_plan(self) -> str | None:
        value = self.cleaned_data.get("safety_plan") or ""
        return value if value.strip() else None


class MemberForm(CaseForm):
    user = UserChoiceField(label=_("Member"), queryset=User.objects.none())
    role = forms.ChoiceField(
        label=_("Role on the team"),
        required=False,
        choices=[("", _("From their roles")), *CaseMember.Role.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["user"])
        if self.case is not None:
            field.queryset = member_candidates(self.case)


class RemoveMemberForm(CaseForm):
    member = MemberChoiceField(label=_("Member"), queryset=CaseMember.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["member"])
        if self.case is not None:
            field.queryset = self.case.members.filter(
                left_at__isnull=True, is_owner=False
            ).select_related("user")


class TaskForm(CaseForm):
    title = forms.CharField(label=_("Task"), max_length=200)
    assigned_to = UserChoiceField(label=_("Assigned to"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["assigned_to"])
        if self.case is not None:
            field.queryset = User.objects.filter(
                case_memberships__case=self.case, case_memberships__left_at__isnull=True
            ).order_by("full_name", "username")


class CompleteTaskForm(CaseForm):
    task = forms.ModelChoiceField(label=_("Task"), queryset=CaseTask.objects.none())
    note = forms.CharField(label=_("What was done"), max_length=TEXT, widget=_area(2))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["task"])
        if self.case is not None:
            field.queryset = self.case.tasks.filter(status=CaseTask.Status.OPEN)


class MinorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class SessionForm(CaseForm):
    """A counseling session held on the case. No diagnosis field, on purpose: a
    counselor does not diagnose (DOMAIN.md §5.5)."""

    kind = forms.ChoiceField(label=_("Kind of session"), choices=Session.Kind.choices)
    held_at = forms.DateTimeField(
        label=_("Held at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=Session.MIN_MINUTES, max_value=Session.MAX_MINUTES
    )
    counselor = UserChoiceField(label=_("Counselor"), queryset=User.objects.none())
    mode = forms.ChoiceField(label=_("Mode"), choices=Session.Mode.choices)
    place = forms.CharField(label=_("Room or place"), required=False, max_length=200)
    room = forms.ModelChoiceField(
        label=_("Counseling room"), required=False, queryset=Room.objects.none()
    )
    appointment = AppointmentChoiceField(
        label=_("Appointment"),
        required=False,
        queryset=Appointment.objects.none(),
        help_text=_("The booked slot the session was held in; it is then marked held."),
    )
    other_minors = MinorChoiceField(
        label=_("Other children attending"),
        required=False,
        queryset=Minor.objects.none(),
        help_text=_("For a family or group session. The case's child always attends."),
    )
    other_attendees = forms.CharField(
        label=_("Other attendees"),
        required=False,
        max_length=500,
        help_text=_("Parents, guardians or others present: a number or names."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=TEXT, widget=_area(4))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.case is not None:
            counselor = cast(forms.ModelChoiceField, self.fields["counselor"])
            counselor.queryset = User.objects.filter(
                case_memberships__case=self.case, case_memberships__left_at__isnull=True
            ).order_by("full_name", "username")
            others = cast(forms.ModelMultipleChoiceField, self.fields["other_minors"])
            # The child's household and the children of the user's other open cases: a
            # family or group session draws from them, and the list stays short where a
            # district-wide role reads 100,000 children.
            near = Q(cases__members__user=self.user, cases__members__left_at__isnull=True) & ~Q(
                cases__status=Status.CLOSED
            )
            if self.case.minor.household_id is not None:
                near |= Q(household_id=self.case.minor.household_id)
            others.queryset = (
                minors_visible_to(self.user)
                .filter(pk__in=Minor.objects.filter(near).values("pk"))
                .exclude(pk=self.case.minor_id)
                .order_by("name", "pk")
            )
            room = cast(forms.ModelChoiceField, self.fields["room"])
            room.queryset = rooms_visible_to(self.user).filter(is_active=True).order_by("name")
            slot = cast(forms.ModelChoiceField, self.fields["appointment"])
            slot.queryset = live_appointments_of(self.case)
