"""Forms of the registry pages. They validate and normalise; the services write.

Every option list (areas, schools, classes) is built from the user's scope, so a
form never names a village or school the user has no business with; the
services check the scope again on save.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.forms import OtpTokenForm
from carecircle.accounts.models import Organisation
from carecircle.accounts.roles import MinorAccess
from carecircle.people.ethnicities import ETHNIC_GROUPS
from carecircle.people.filters import MinorFilterForm
from carecircle.people.idnumbers import mask_id_number
from carecircle.people.models import (
    DisabilityGrade,
    DisabilityType,
    Guardian,
    Household,
    Minor,
    SchoolClass,
)
from carecircle.regions.codes import Level, parse_code
from carecircle.regions.models import Division

# Past this many villages the area filter offers townships only (a city-wide scope).
MAX_AREA_OPTIONS = 1500
Choices = list[tuple[Any, Any]]


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


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (the rest above the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- Areas ---------------------------------------------------------------------------


def _grouped(divisions: Iterable[Division]) -> Choices:
    """Divisions as options grouped under their township (villages indented)."""
    groups: dict[str, Choices] = {}
    names: dict[str, str] = {}
    for division in divisions:
        town = division.prefix[:9]
        if division.level == Level.TOWNSHIP:
            names[town] = division.name
        groups.setdefault(town, [])
        label = division.name if division.level != Level.VILLAGE else f"· {division.name}"
        groups[town].append((division.prefix, label))
    choices: Choices = []
    for town, options in groups.items():
        if len(town) < 9:  # a county or wider: its own row
            choices.extend(options)
        else:
            choices.append((names.get(town, town), options))
    return choices


def area_filter_choices(user: Any) -> Choices:
    """Townships and villages the user's children live in, for the list's area filter."""
    prefixes = perms.minor_prefixes(user, MinorAccess.JURISDICTION)
    levels = [Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]
    q = perms.prefix_q("prefix", prefixes)
    divisions: list[Division] = []
    if q is not None:
        within = Division.objects.filter(q)
        if within.filter(level=Level.VILLAGE).count() > MAX_AREA_OPTIONS:
            levels = [Level.COUNTY, Level.TOWNSHIP]
        divisions = list(within.filter(level__in=levels).order_by("code"))
    schools = perms.minor_schools(user)
    if schools:
        codes = set(
            Minor.objects.filter(school_id__in=schools)
            .values_list("area_code", flat=True)
            .distinct()[:MAX_AREA_OPTIONS]
        )
        wanted = codes | {c[:9].ljust(12, "0") for c in codes}
        known = {d.code for d in divisions}
        divisions += list(Division.objects.filter(code__in=wanted - known, level__in=levels[1:]))
        divisions.sort(key=lambda d: d.code)
    return [("", _("All my areas")), *_grouped(divisions)]


def village_choices(user: Any, *, keep: str = "") -> Choices:
    """Villages where the user may register children; ``keep`` (the current one) stays."""
    prefixes = set(perms.minor_prefixes(user, MinorAccess.JURISDICTION, edit=True))
    # School staff register their pupils wherever they live: the school's county.
    schools = Organisation.objects.filter(pk__in=perms.minor_schools(user, edit=True))
    prefixes |= {school.division_id[:6] for school in schools}
    q = perms.prefix_q("prefix", prefixes)
    divisions = Division.objects.none()
    if q is not None:
        divisions = Division.objects.filter(q, level=Level.VILLAGE, is_active=True)
    if keep:
        divisions = divisions | Division.objects.filter(code=keep)
    found = list(divisions.order_by("code"))
    towns = Division.objects.filter(
        code__in={d.prefix[:9].ljust(12, "0") for d in found}, level=Level.TOWNSHIP
    )
    return [("", "—"), *_grouped(sorted([*found, *towns], key=lambda d: d.code))]


def _choices_without_township_rows(choices: Choices) -> Choices:
    """In a form that needs a village, the township names only group the options."""
    kept: Choices = []
    for value, label in choices:
        if isinstance(label, list):
            kept.append((value, [(v, text) for v, text in label if len(v) == 12]))
        elif not value or len(value) == 12:
            kept.append((value, label))
    return kept


def _class_options_attrs(purpose: str) -> dict[str, str]:
    """htmx: choosing a school reloads the class options (without JavaScript, the next
    submission shows them; the server checks that the class belongs to the school)."""
    return {
        "hx-get": reverse("people:class-options") + f"?for={purpose}",
        "hx-target": "#id_school_class",
        "hx-trigger": "change",
        "hx-swap": "innerHTML",
    }


# --- The minors list -------------------------------------------------------------------


class MinorListFilterForm(MinorFilterForm):
    """The shared filters, with option lists from the user's scope (GET parameters)."""

    def __init__(
        self,
        data: Any,
        *,
        user: Any,
        schools: QuerySet[Organisation],
    ) -> None:
        super().__init__(data)
        area_choices = area_filter_choices(user)
        self.fields["area"].widget = forms.Select(choices=area_choices)
        self.fields["area"].help_text = ""
        self.show_area = len(area_choices) > 1
        school_choices: Choices = [("", _("All schools"))]
        school_choices += [(s.pk, s.name) for s in schools]
        self.fields["school"].widget = forms.Select(choices=school_choices)
        self.fields["school"].widget.attrs.update(_class_options_attrs("filter"))
        self.show_school = len(school_choices) > 1
        chosen = self._chosen_school(data, schools)
        classes: Choices = [("", _("All classes"))]
        if chosen is not None:
            classes += [(c.pk, str(c)) for c in chosen.classes.order_by("grade", "name")]
        self.fields["school_class"].widget = forms.Select(choices=classes)
        self.fields["q"].widget.attrs["placeholder"] = _("Name, pinyin, initials or ID number")
        self.fields["q"].widget.attrs["type"] = "search"

    @staticmethod
    def _chosen_school(data: Any, schools: QuerySet[Organisation]) -> Organisation | None:
        raw = str((data or {}).get("school", "") or "")
        if raw.isdigit():
            return schools.filter(pk=int(raw)).first()
        if schools.count() == 1:
            return schools.first()
        return None

    def is_filtered(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in ("area", "school", "school_class", "category", "age"))


# --- A child's record ------------------------------------------------------------------


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _not_future(value: date | None) -> date | None:
    if value is not None and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future")
    return value


def _model_field(model: type[Any], name: str, **kwargs: Any) -> Any:
    return model._meta.get_field(name).formfield(**kwargs)


def _optional(choices: Iterable[tuple[Any, Any]]) -> Choices:
    return [("", "—"), *choices]


class MinorForm(forms.Form):
    """Register or edit a child; ``minor`` None means a new record."""

    name = _model_field(Minor, "name")
    sex = forms.ChoiceField(label=_("Sex"), choices=_optional(Minor.Sex.choices))
    birth_date = forms.DateField(label=_("Birth date"), widget=_date_widget())
    id_number = forms.CharField(
        label=_("Resident ID number"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
        help_text=_("18 characters; the last may be X. Leave empty if the child has none."),
    )
    clear_id_number = forms.BooleanField(label=_("Remove the ID number on record"), required=False)
    ethnicity = forms.ChoiceField(
        label=_("Ethnicity"), required=False, choices=_optional(ETHNIC_GROUPS)
    )
    area_code = forms.ChoiceField(label=_("Village or community of residence"))
    address = forms.CharField(
        label=_("Address"), required=False, max_length=200, widget=forms.TextInput()
    )
    resident_since = forms.DateField(
        label=_("Living here since"),
        required=False,
        widget=_date_widget(),
        help_text=_("When the child came to live here; migrant children count from it."),
    )
    hukou_type = forms.ChoiceField(
        label=_("Household registration type"),
        required=False,
        choices=_optional(Minor.HukouType.choices),
    )
    hukou_code = forms.CharField(
        label=_("Household registration place (division code)"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("6 to 12 digits, for example 431103 or 431103101200."),
    )
    schooling = forms.ChoiceField(
        label=_("Schooling"), required=False, choices=_optional(Minor.Schooling.choices)
    )
    school = forms.ModelChoiceField(
        label=_("School"), required=False, queryset=Organisation.objects.none(), empty_label="—"
    )
    school_class = forms.ModelChoiceField(
        label=_("Class"), required=False, queryset=SchoolClass.objects.none(), empty_label="—"
    )
    boarding = forms.BooleanField(label=_("Boarding at school"), required=False)
    health = forms.ChoiceField(label=_("Health"), choices=Minor.Health.choices)
    illness = forms.CharField(
        label=_("Serious illness"), required=False, max_length=200, widget=forms.TextInput()
    )
    disability_type = forms.ChoiceField(
        label=_("Disability type"), required=False, choices=_optional(DisabilityType.choices)
    )
    disability_grade = forms.TypedChoiceField(
        label=_("Disability grade"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_optional(DisabilityGrade.choices),
    )
    guardianship_concern = forms.BooleanField(
        label=_("Guardianship absent or improper"),
        required=False,
        help_text=_("Found on a visit: neglect, abuse or no one actually caring for the child."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[c for c in Minor.Status.choices if c[0] != Minor.Status.MERGED],
    )

    def __init__(
        self,
        data: Any = None,
        *,
        user: Any,
        schools: QuerySet[Organisation],
        minor: Minor | None = None,
    ) -> None:
        self.minor = minor
        initial: dict[str, Any] = {}
        if minor is not None:
            initial = {
                name: getattr(minor, name)
                for name in self.base_fields
                if name not in ("id_number", "clear_id_number", "school", "school_class")
            }
            initial["school"] = minor.school_id
            initial["school_class"] = minor.school_class_id
        super().__init__(data, initial=initial)
        keep = minor.area_code if minor is not None else ""
        area = cast(forms.ChoiceField, self.fields["area_code"])
        area.choices = _choices_without_township_rows(village_choices(user, keep=keep))
        school_q = schools
        if minor is not None and minor.school_id is not None:
            school_q = schools | Organisation.objects.filter(pk=minor.school_id)
        school = cast(forms.ModelChoiceField, self.fields["school"])
        school.queryset = school_q.distinct().order_by("division_id", "name")
        school.widget.attrs.update(_class_options_attrs("form"))
        chosen = self._chosen_school(data)
        cast(forms.ModelChoiceField, self.fields["school_class"]).queryset = (
            chosen.classes.order_by("grade", "name")
            if chosen is not None
            else SchoolClass.objects.none()
        )
        if minor is None:
            del self.fields["clear_id_number"]
            del self.fields["status"]
        else:
            if not minor.id_number:
                del self.fields["clear_id_number"]
            self.fields["id_number"].help_text = _(
                "Leave empty to keep the number on record (%(masked)s)."
            ) % {"masked": minor.masked_id_number or "—"}

    def _chosen_school(self, data: Any) -> Organisation | None:
        queryset = cast(forms.ModelChoiceField, self.fields["school"]).queryset
        if queryset is None:
            return None
        raw = str((data or {}).get("school", "") or "") if data is not None else ""
        if data is None and self.minor is not None and self.minor.school_id:
            raw = str(self.minor.school_id)
        return queryset.filter(pk=int(raw)).first() if raw.isdigit() else None

    def clean_birth_date(self) -> date:
        born: date = self.cleaned_data["birth_date"]
        if born > timezone.localdate():
            raise ValidationError(_("The birth date is in the future."), code="future")
        if self.minor is None and Minor(birth_date=born).age_on(timezone.localdate()) >= 18:
            raise ValidationError(
                _("This person is 18 or older: the registry is for minors."), code="adult"
            )
        return born

    def clean_id_number(self) -> str:
        return "".join(self.cleaned_data["id_number"].split())

    def clean_hukou_code(self) -> str:
        raw = self.cleaned_data["hukou_code"].strip()
        if not raw:
            return ""
        try:
            return parse_code(raw)[1]
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        school, school_class = data.get("school"), data.get("school_class")
        if school_class is not None and (school is None or school_class.school_id != school.pk):
            self.add_error("school_class", _("That class belongs to another school."))
        if data.get("disability_grade") and not data.get("disability_type"):
            self.add_error("disability_type", _("Choose the type of disability too."))
        if data.get("id_number") and data.get("clear_id_number"):
            self.add_error(
                "clear_id_number", _("Either type a new ID number or remove it, not both.")
            )
        return data

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values, as ``services.minor_create`` / ``minor_update`` take them."""
        data = dict(self.cleaned_data)
        clear = data.pop("clear_id_number", False)
        if clear:
            data["id_number"] = ""
        elif not data["id_number"] and self.minor is not None:
            del data["id_number"]  # keep the number on record
        return data


# --- Guardians -------------------------------------------------------------------------

# Which situation shows which fields (the page hides the others; the form clears them).
WORK_FIELDS = ("work_place", "work_area_code", "cross_county")
MISSING_FIELDS = ("police_report_on",)
DISABILITY_FIELDS = ("disability_type", "disability_grade")
ENTRUSTMENT_FIELDS = ("entrustment_signed_on",)


class GuardianForm(forms.Form):
    relation = forms.ChoiceField(
        label=_("Relation to the child"), choices=_optional(Guardian.Relation.choices)
    )
    name = _model_field(Guardian, "name")
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("Resident ID number"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    state = forms.ChoiceField(label=_("Situation"), choices=Guardian.State.choices)
    state_since = forms.DateField(
        label=_("Since"),
        required=False,
        widget=_date_widget(),
        help_text=_("When the situation began; the category rules count months from it."),
    )
    work_place = forms.CharField(
        label=_("Where working"), required=False, max_length=100, widget=forms.TextInput()
    )
    work_area_code = forms.CharField(
        label=_("Division code of the workplace"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("If known: 6 to 12 digits, for example 440305."),
    )
    cross_county = forms.NullBooleanField(
        label=_("Works outside the county"),
        required=False,
        widget=forms.NullBooleanSelect,
    )
    police_report_on = forms.DateField(
        label=_("Date the police accepted the missing report"),
        required=False,
        widget=_date_widget(),
    )
    disability_type = forms.ChoiceField(
        label=_("Disability type"), required=False, choices=_optional(DisabilityType.choices)
    )
    disability_grade = forms.TypedChoiceField(
        label=_("Disability grade"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_optional(DisabilityGrade.choices),
    )
    evidence = _model_field(Guardian, "evidence", required=False)
    is_entrusted = forms.BooleanField(
        label=_("Entrusted guardian (受委托监护人)"),
        required=False,
        help_text=_("The adult the parents entrusted with the child's care while they are away."),
    )
    entrustment_signed_on = forms.DateField(
        label=_("Date the entrustment confirmation (委托监护确认书) was signed"),
        required=False,
        widget=_date_widget(),
    )
    last_contact_on = forms.DateField(
        label=_("Last contact with the child"), required=False, widget=_date_widget()
    )

    def __init__(self, data: Any = None, *, guardian: Guardian | None = None) -> None:
        self.guardian = guardian
        initial: dict[str, Any] = {}
        if guardian is not None:
            initial = {n: getattr(guardian, n) for n in self.base_fields if n != "id_number"}
        super().__init__(data, initial=initial)
        if guardian is not None and guardian.id_number:
            self.fields["id_number"].help_text = _(
                "Leave empty to keep the number on record (%(masked)s)."
            ) % {"masked": mask_id_number(guardian.id_number)}

    def clean_phone(self) -> str:
        phone = "".join(self.cleaned_data["phone"].split()).replace("-", "")
        if phone and not (phone.lstrip("+").isdigit() and phone.isascii() and len(phone) >= 5):
            raise ValidationError(_("A phone number has digits only."), code="phone")
        return phone

    def clean_id_number(self) -> str:
        return "".join(self.cleaned_data["id_number"].split())

    def clean_work_area_code(self) -> str:
        raw = self.cleaned_data["work_area_code"].strip()
        if not raw:
            return ""
        try:
            return parse_code(raw)[0]
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_state_since(self) -> date | None:
        return _not_future(self.cleaned_data["state_since"])

    def clean_police_report_on(self) -> date | None:
        return _not_future(self.cleaned_data["police_report_on"])

    def clean_entrustment_signed_on(self) -> date | None:
        return _not_future(self.cleaned_data["entrustment_signed_on"])

    def clean_last_contact_on(self) -> date | None:
        return _not_future(self.cleaned_data["last_contact_on"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        state = data.get("state")
        if state == Guardian.State.WORKING_AWAY:
            if not data.get("work_place"):
                self.add_error("work_place", _("Say where the parent works."))
        else:
            data.update(work_place="", work_area_code="", cross_county=None)
        if state != Guardian.State.OUT_OF_CONTACT:
            data["police_report_on"] = None
        elif (
            data.get("police_report_on")
            and data.get("state_since")
            and data["police_report_on"] < data["state_since"]
        ):
            self.add_error("police_report_on", _("The report cannot come before contact was lost."))
        if state != Guardian.State.SEVERELY_DISABLED:
            data.update(disability_type="", disability_grade=None)
        elif not data.get("disability_type") or not data.get("disability_grade"):
            self.add_error(
                "disability_grade",
                _("Give the type and grade from the disability certificate (残疾人证)."),
            )
        if data.get("is_entrusted"):
            if data.get("relation") in Guardian.PARENTS:
                self.add_error(
                    "is_entrusted", _("A parent cannot be the entrusted guardian of their child.")
                )
        else:
            data["entrustment_signed_on"] = None
        return data

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if not data["id_number"] and self.guardian is not None:
            del data["id_number"]  # keep the number on record
        return data


# --- Households, classes ---------------------------------------------------------------


class HouseholdForm(forms.Form):
    address = forms.CharField(
        label=_("Address"), required=False, max_length=200, widget=forms.TextInput()
    )
    main_income = forms.ChoiceField(
        label=_("Main source of income"),
        required=False,
        choices=_optional(Household.Income.choices),
    )
    assistance = forms.ChoiceField(
        label=_("Social assistance"), choices=Household.Assistance.choices
    )
    village_contact = _model_field(Household, "village_contact", required=False)
    village_contact_phone = forms.CharField(
        label=_("Village committee contact phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )

    def __init__(self, data: Any = None, *, household: Household | None = None) -> None:
        initial: dict[str, Any] = {"assistance": Household.Assistance.NONE}
        if household is not None:
            initial = {n: getattr(household, n) for n in self.base_fields}
        super().__init__(data, initial=initial)

    def clean_village_contact_phone(self) -> str:
        phone = "".join(self.cleaned_data["village_contact_phone"].split()).replace("-", "")
        if phone and not (phone.lstrip("+").isdigit() and phone.isascii() and len(phone) >= 5):
            raise ValidationError(_("A phone number has digits only."), code="phone")
        return phone


class SiblingSearchForm(forms.Form):
    q = forms.CharField(label=_("Find the sibling"), max_length=64, required=False)


class AddMemberForm(forms.Form):
    minor = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class SchoolClassForm(forms.Form):
    grade = forms.TypedChoiceField(
        label=_("Grade"), coerce=int, choices=_optional(SchoolClass.Grade.choices)
    )
    name = _model_field(SchoolClass, "name")
    head_teacher = _model_field(SchoolClass, "head_teacher", required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
