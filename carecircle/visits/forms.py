"""Forms of the visits pages: recording a visit, closing a task, a new version of the rules.

The recording form's fields carry the names of the API's body
(``serializers.VisitCreateSerializer``): ``kind``, ``occurred_at``, ``minors`` (child
ids), ``visitors``, ``other_visitors``, the checklist items by their model field names,
``flags_<child id>``, ``notes``, ``follow_up_needed``, ``refer_to_centre`` and
``idempotency_key``, so that the offline queue can turn a filled form into an API call.
The form checks shapes only; ``services.visit_record`` decides what needs the database
(children in the recorder's area, a future time, a flag meant for another age), so
that the page and the API answer with the same words. Photos are checked here, with
the rules of ``photos.clean_image``, before anything is recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecircle.accounts.models import RoleAssignment, User
from carecircle.accounts.roles import ROLE_SPECS, MinorAccess, ScopeKind
from carecircle.people.models import Category, Minor
from carecircle.regions.codes import PREFIX_LENGTHS, prefix_term
from carecircle.visits import flags as risk
from carecircle.visits import rules
from carecircle.visits.models import OBSERVATIONS, Finding, Visit
from carecircle.visits.permissions import MAX_ID, recording_prefixes
from carecircle.visits.photos import _max_per_visit, clean_image
from carecircle.visits.services import MAX_MINORS, MAX_NOTES, MinorSeen, VisitInput

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
# The checklist's answers in the order a visitor reads them: the common ones first.
FINDING_ORDER = (Finding.OK, Finding.CONCERN, Finding.NOT_CHECKED, Finding.NOT_APPLICABLE)
# Radio buttons drawn as Bootstrap toggle buttons: big enough for a thumb.
CHOICE_ATTRS = {"class": "btn-check", "autocomplete": "off"}
RECORDER_ROLES = tuple(
    role
    for role, spec in ROLE_SPECS.items()
    if spec.scope == ScopeKind.DIVISION
    and spec.minor_access == MinorAccess.JURISDICTION
    and spec.edits_minors
)


def new_key() -> str:
    """A fresh idempotency key, made when the form is shown (a retry sends it again)."""
    return uuid.uuid4().hex


def flag_field(minor_id: int) -> str:
    return f"flags_{minor_id}"


def colleagues_for(user: Any) -> QuerySet[User]:
    """Active people who could record a visit in the user's own area: their division
    holds the user's, or lies inside it. The user is implied and left out."""
    terms: Q | None = None
    for prefix in recording_prefixes(user):
        above = [prefix[:n] for n in PREFIX_LENGTHS.values() if n <= len(prefix)]
        term = prefix_term("scope_prefix", prefix) | Q(scope_prefix__in=above)
        terms = term if terms is None else terms | term
    if terms is None:
        return User.objects.none()
    assignments = RoleAssignment.objects.active().filter(
        terms, role__in=RECORDER_ROLES, organisation__isnull=True
    )
    return (
        User.objects.filter(is_active=True, pk__in=assignments.values("user_id"))
        .exclude(pk=user.pk)
        .order_by("full_name", "username")
    )


class ColleagueField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ChildIdsField(forms.TypedMultipleChoiceField):
    """Child ids, shown as the offered children's checkboxes.

    Any id a database column can hold passes here: whether the recorder may record
    that child is for ``visit_record`` to say, in the API's words.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, **kwargs)

    def valid_value(self, value: Any) -> bool:
        text = str(value)
        return text.isdigit() and 0 < int(text) <= MAX_ID


class FlagsField(forms.MultipleChoiceField):
    """A child's risk flags: the ones for the child's age are shown, any known one passes
    (the visit's day may not be today: ``visit_record`` checks the age on that day)."""

    def valid_value(self, value: Any) -> bool:
        return str(value) in risk.RULES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from one ``<input type="file" multiple>``."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(PhotosField, self).clean(f, initial) for f in files if f]


def _finding_field(name: str) -> forms.ChoiceField:
    field = Visit._meta.get_field(name)
    labels = dict(Finding.choices)
    return forms.ChoiceField(
        label=getattr(field, "verbose_name", name),
        choices=[(value.value, labels[value]) for value in FINDING_ORDER],
        initial=Finding.NOT_CHECKED,
        # Left out, an item is "not checked", as in the API.
        required=False,
        widget=forms.RadioSelect(attrs=CHOICE_ATTRS),
    )


class VisitForm(forms.Form):
    """One visit, with the children offered for it (a picked child and its household)."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of visit"),
        choices=Visit.Kind.choices,
        initial=Visit.Kind.HOME,
        widget=forms.RadioSelect(attrs=CHOICE_ATTRS),
    )
    occurred_at = forms.DateTimeField(
        label=gettext_lazy("Date and time"),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    minors = ChildIdsField(
        label=gettext_lazy("Children seen"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Tick at least one child seen on the visit.")},
    )
    visitors = ColleagueField(
        label=gettext_lazy("Colleagues who came along"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    other_visitors = forms.CharField(
        label=gettext_lazy("Other people who came along"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("People without an account, e.g. the village doctor."),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        max_length=MAX_NOTES,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = PhotosField(label=gettext_lazy("Photos"), required=False)
    follow_up_needed = forms.BooleanField(label=gettext_lazy("Follow-up needed"), required=False)
    refer_to_centre = forms.BooleanField(
        label=gettext_lazy("Refer to the protection centre"),
        required=False,
        help_text=gettext_lazy("With a follow-up: the centre takes it instead of the supervisor."),
    )
    idempotency_key = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        strip=False,
        validators=[
            RegexValidator(
                r"^[!-~]{8,64}\Z",
                gettext_lazy("This form has expired. Open it again and fill it in."),
            )
        ],
        error_messages={
            "required": gettext_lazy("This form has expired. Open it again and fill it in.")
        },
    )

    def __init__(
        self,
        *args: Any,
        user: Any,
        offered: Sequence[Minor],
        on: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.offered = list(offered)
        self.reportable = risk.REPORTABLE
        self.on = on or timezone.localdate()
        cast(ChildIdsField, self.fields["minors"]).choices = [(m.pk, m.name) for m in self.offered]
        cast(ColleagueField, self.fields["visitors"]).queryset = colleagues_for(user)
        for name in OBSERVATIONS:
            self.fields[name] = _finding_field(name)
        self.ages = {m.pk: m.age_on(self.on) for m in self.offered}
        for minor in self.offered:
            self.fields[flag_field(minor.pk)] = FlagsField(
                label=minor.name,
                choices=[
                    (flag, risk.RiskFlag(flag).label)
                    for flag in risk.applicable(self.ages[minor.pk])
                ],
                required=False,
                widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            )
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().replace(microsecond=0))
            self.initial.setdefault("idempotency_key", new_key())

    # --- What the template shows ---------------------------------------------------------

    def observation_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in OBSERVATIONS]

    def children(self) -> list[tuple[Minor, int, bool, forms.BoundField]]:
        """(child, age, ticked, flags field) per offered child."""
        ticked = {str(v) for v in (self["minors"].value() or [])}
        return [
            (m, self.ages[m.pk], str(m.pk) in ticked, self[flag_field(m.pk)]) for m in self.offered
        ]

    # --- Validation -----------------------------------------------------------------------

    def clean_minors(self) -> list[int]:
        ids = list(dict.fromkeys(self.cleaned_data["minors"]))
        if len(ids) > MAX_MINORS:
            raise ValidationError(
                _("Name at most %(n)d children on one visit.") % {"n": MAX_MINORS}
            )
        return ids

    def clean_photos(self) -> list[UploadedFile]:
        files = list(self.cleaned_data.get("photos") or [])
        limit = _max_per_visit()
        if len(files) > limit:
            raise ValidationError(_("A visit keeps at most %(n)d photos.") % {"n": limit})
        problems: list[str] = []
        for upload in files:
            try:
                clean_image(upload)
            except ValidationError as exc:
                problems.extend(f"{upload.name}: {m}" for m in exc.messages)
            finally:
                upload.seek(0)
        if problems:
            raise ValidationError(problems)
        return files

    def to_input(self) -> VisitInput:
        data = self.cleaned_data
        minors = tuple(
            MinorSeen(minor_id, tuple(data.get(flag_field(minor_id)) or ()))
            for minor_id in data["minors"]
        )
        return VisitInput(
            kind=data["kind"],
            occurred_at=data["occurred_at"],
            minors=minors,
            visitor_ids=tuple(u.pk for u in data.get("visitors") or ()),
            other_visitors=data.get("other_visitors", ""),
            observations={name: data.get(name) or Finding.NOT_CHECKED for name in OBSERVATIONS},
            notes=data.get("notes", ""),
            follow_up_needed=bool(data.get("follow_up_needed")),
            refer_to_centre=bool(data.get("refer_to_centre")),
        )


class ChildSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Find a child"),
        max_length=64,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("Name or pinyin")}
        ),
    )


def ids_from(values: Iterable[str], *, limit: int = MAX_MINORS * 2) -> list[int]:
    """Child ids from query parameters, bounded; anything else is dropped."""
    found: list[int] = []
    for value in values:
        if value.isdigit() and 0 < int(value) <= MAX_ID and int(value) not in found:
            found.append(int(value))
        if len(found) >= limit:
            break
    return found


# --- Tasks ----------------------------------------------------------------------------


class TaskCompleteForm(forms.Form):
    police_receipt = forms.CharField(
        label=gettext_lazy("Police receipt number"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("The number the police gave when they took the report."),
    )
    outcome = forms.CharField(
        label=gettext_lazy("What was done"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, police: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if police:
            self.fields["outcome"].label = gettext_lazy("What was done, or why there is no report")
        else:
            del self.fields["police_receipt"]


# --- Visit rules ----------------------------------------------------------------------


def rule_key_labels() -> dict[str, str]:
    """Every key a visit rule can name, with what it means (categories by their names)."""
    days = int(getattr(settings, "CARECIRCLE_VISIT_RISK_DAYS", 180))
    labels = {str(value): str(label) for value, label in Category.choices}
    labels[rules.KEY_TARGET] = _("Key assistance target")
    labels[rules.RISK_RED] = _("Red screening result in the last %(days)d days") % {"days": days}
    labels[rules.RISK_YELLOW] = _("Yellow screening result in the last %(days)d days") % {
        "days": days
    }
    return {key: labels.get(key, key) for key in rules.RULE_KEYS}


class VisitRulesForm(forms.Form):
    """The whole rule: days between visits per key; an empty box means no rule."""

    note = forms.CharField(
        label=gettext_lazy("Why this change"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = rule_key_labels()
        for key in rules.RULE_KEYS:
            self.fields[key] = forms.IntegerField(
                label=labels[key],
                min_value=1,
                max_value=rules.MAX_DAYS,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        self.order_fields([*rules.RULE_KEYS, "note"])

    def interval_fields(self) -> list[forms.BoundField]:
        return [self[key] for key in rules.RULE_KEYS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not any(data.get(key) for key in rules.RULE_KEYS):
            raise ValidationError(_("Give the days between visits for at least one category."))
        return data

    def intervals(self) -> dict[str, int]:
        return {
            key: int(self.cleaned_data[key])
            for key in rules.RULE_KEYS
            if self.cleaned_data.get(key)
        }
