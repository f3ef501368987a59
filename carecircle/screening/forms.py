"""Forms of the campaign pages: a new campaign with its instruments by age, and consent.

The forms validate and normalise; ``services.campaign_create`` checks again and
saves. Instruments are chosen in rows of (instrument, from age, to age), prefilled
with ``DEFAULT_INSTRUMENTS`` for the user to edit; a row left on "—" is not used.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecircle.accounts.models import Organisation
from carecircle.people.models import SchoolClass
from carecircle.screening.instruments import all_instruments
from carecircle.screening.instruments.model import localize
from carecircle.screening.models import Campaign, Participant

# A sensible default for a school from primary year 3 to senior year 3 (INSTRUMENTS.md
# §17): depression, anxiety and the suicide questions from 12; ASQ already from 10,
# its lowest validated age, because PSC-17 and SCARED ask nothing about suicide.
DEFAULT_INSTRUMENTS: tuple[tuple[str, int, int], ...] = (
    ("PHQA", 12, 18),
    ("GAD7", 12, 18),
    ("ASQ", 10, 18),
    ("PSC17Y", 11, 11),
    ("SCARED", 8, 11),
)
EXTRA_ROWS = 3
CAMPAIGN_DAYS = 7
MAX_AGE = 18

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def self_report_instruments() -> list[Any]:
    """Instruments a pupil answers alone with a code: parent and teacher forms are not."""
    return [i for i in all_instruments() if i.respondent == "self"]


def instrument_choices() -> list[tuple[str, str]]:
    choices = [("", "—")]
    for instrument in self_report_instruments():
        label = _("%(name)s, ages %(low)d to %(high)d") % {
            "name": localize(instrument.name),
            "low": instrument.age_min,
            "high": instrument.age_max,
        }
        choices.append((instrument.code, label))
    return choices


def default_instrument_rows() -> list[dict[str, Any]]:
    """The default rows, without any instrument this deployment does not have."""
    known = {i.code for i in self_report_instruments()}
    return [
        {"code": code, "min_age": low, "max_age": high}
        for code, low, high in DEFAULT_INSTRUMENTS
        if code in known
    ]


def default_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """From the next full hour for a week."""
    now = timezone.localtime(now)
    opens = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return opens, opens + timedelta(days=CAMPAIGN_DAYS)


class CampaignForm(forms.Form):
    """A new campaign; the classes and grades offered are those of the chosen school."""

    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("For example 2026年春季心理健康筛查."),
    )
    school = forms.ModelChoiceField(
        label=gettext_lazy("School"), queryset=Organisation.objects.none()
    )
    grades = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Grades"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    classes = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Classes"),
        queryset=SchoolClass.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    opens_at = forms.DateTimeField(label=gettext_lazy("Opens at"), widget=_datetime_input())
    closes_at = forms.DateTimeField(label=gettext_lazy("Closes at"), widget=_datetime_input())
    basis = forms.ChoiceField(label=gettext_lazy("Legal basis"), choices=Campaign.Basis.choices)
    statutory_basis = forms.CharField(
        label=gettext_lazy("The statutory basis"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The law or document and its article."),
    )
    notice_sent_on = forms.DateField(
        label=gettext_lazy("Guardians notified on"), required=False, widget=_date_input()
    )

    def __init__(self, *args: Any, schools: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        school_field = cast(forms.ModelChoiceField, self.fields["school"])
        school_field.queryset = schools.order_by("name")
        school_field.widget.attrs.update(
            {
                "hx-get": reverse("screening:campaign-scope"),
                "hx-target": "#cc-scope",
                "hx-trigger": "change",
                "hx-swap": "innerHTML",
            }
        )
        self.chosen_school = self._chosen_school(schools)
        classes = SchoolClass.objects.none()
        if self.chosen_school is not None:
            classes = self.chosen_school.classes.filter(is_active=True).order_by("grade", "name")
        cast(forms.ModelMultipleChoiceField, self.fields["classes"]).queryset = classes
        grades = sorted({c.grade for c in classes})
        labels = dict(SchoolClass.Grade.choices)
        cast(forms.ChoiceField, self.fields["grades"]).choices = [(g, labels[g]) for g in grades]

    def _chosen_school(self, schools: QuerySet[Organisation]) -> Organisation | None:
        raw = self.data.get("school") if self.is_bound else self.initial.get("school")
        if isinstance(raw, Organisation):
            raw = raw.pk
        if str(raw or "").isascii() and str(raw or "").isdigit():
            return schools.filter(pk=int(str(raw))).first()
        return None

    def clean_closes_at(self) -> datetime:
        closes = cast(datetime, self.cleaned_data["closes_at"])
        if closes <= timezone.now():
            raise forms.ValidationError(_("This time has already passed."))
        return closes

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        grades, classes = data.get("grades"), data.get("classes")
        if grades and classes:
            outside = [str(c) for c in classes if c.grade not in grades]
            if outside:
                self.add_error(
                    "classes",
                    _("These classes are not in the chosen grades: %(classes)s.")
                    % {"classes": "、".join(outside)},
                )
        return data


class InstrumentRowForm(forms.Form):
    """One instrument and the ages that answer it; "—" leaves the row out."""

    code = forms.ChoiceField(label=gettext_lazy("Instrument"), required=False)
    min_age = forms.IntegerField(
        label=gettext_lazy("From age"), required=False, min_value=0, max_value=MAX_AGE
    )
    max_age = forms.IntegerField(
        label=gettext_lazy("To age"), required=False, min_value=0, max_value=MAX_AGE
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["code"]).choices = instrument_choices()
        for name in ("min_age", "max_age"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("code"):
            return data
        low, high = data.get("min_age"), data.get("max_age")
        if low is None and "min_age" not in self.errors:
            self.add_error("min_age", _("Give the youngest age."))
        if high is None and "max_age" not in self.errors:
            self.add_error("max_age", _("Give the oldest age."))
        if low is not None and high is not None and low > high:
            self.add_error("max_age", _("The oldest age must not be below the youngest."))
        return data


class BaseInstrumentFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        codes = [code for code, _low, _high in self.rows()]
        if not codes:
            raise forms.ValidationError(_("Choose at least one instrument."))
        if len(set(codes)) != len(codes):
            raise forms.ValidationError(_("Each instrument may be chosen once."))

    def rows(self) -> list[tuple[str, int, int]]:
        """(code, from age, to age) of the rows in use, in their order."""
        return [
            (f.cleaned_data["code"], f.cleaned_data["min_age"], f.cleaned_data["max_age"])
            for f in self.forms
            if getattr(f, "cleaned_data", None) and f.cleaned_data.get("code")
        ]


InstrumentFormSet = forms.formset_factory(
    InstrumentRowForm, formset=BaseInstrumentFormSet, extra=EXTRA_ROWS, max_num=20
)


def _not_future(day: date) -> date:
    if day > timezone.localdate():
        raise forms.ValidationError(_("This date is in the future."))
    return day


class ConsentForm(forms.Form):
    """A guardian's answer for one pupil under 14."""

    consent = forms.ChoiceField(
        label=gettext_lazy("Guardian's answer"),
        choices=[
            (Participant.Consent.GIVEN, Participant.Consent.GIVEN.label),
            (Participant.Consent.REFUSED, Participant.Consent.REFUSED.label),
        ],
    )
    on = forms.DateField(label=gettext_lazy("Date"), widget=_date_input())

    def clean_on(self) -> date:
        return _not_future(self.cleaned_data["on"])


class ClassConsentForm(forms.Form):
    """Every pupil of a class still awaiting an answer: their guardians consented."""

    on = forms.DateField(label=gettext_lazy("Date"), widget=_date_input())

    def clean_on(self) -> date:
        return _not_future(self.cleaned_data["on"])
