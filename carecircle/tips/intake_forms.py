"""Forms of the staff intake pages (issue 6 item 2): a 12345 ticket, a report-box note,
a mandatory report; and ``receive``, which the pages and the API share.

Each form checks shapes and the user's reach (the divisions a hotline operator or a
professional may enter a report for, the schools whose boxes a user logs) and builds
an ``Intake`` for ``services.tip_receive``. Extra facts that have no column of their
own (hotline hand-offs, a caller asking for confidentiality) go into the details of
the tip's first event, with a keyed digest of the whole content: a ticket sent again
is recognised as the same one, or as a different one under a number already used.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation
from carecircle.accounts.roles import ScopeKind, spec
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor
from carecircle.people.permissions import minors_visible_to
from carecircle.regions.codes import PREFIX_LENGTHS
from carecircle.regions.models import Division
from carecircle.tips import permissions as tip_perms
from carecircle.tips.models import (
    Category,
    Channel,
    HandoffLine,
    RequestType,
    Sector,
    Tip,
    TipEvent,
    TipMinor,
    Trigger,
    Urgency,
)
from carecircle.tips.permissions import MAX_ID
from carecircle.tips.services import Intake, Received, audit, event, tip_receive

MAX_TEXT = 4000
CHECK = {"class": "form-check-input"}  # radio buttons and checkbox lists, drawn by hand
MAX_SHORT = 1000
# The other hotlines a 12345 call may come from or be passed to (DOMAIN.md §4).
HANDOFF_LINES = HandoffLine.choices
NOTIFIED = (
    ("civil_affairs", _("Civil affairs")),
    ("education", _("Education")),
    ("supervising", _("The unit's supervising department")),
)
# A mandatory report's category when the reporter leaves it to the trigger.
TRIGGER_CATEGORY: dict[str, str] = {
    Trigger.GENITAL_INJURY: Category.SEXUAL_HARM,
    Trigger.GIRL_UNDER_14: Category.SEXUAL_HARM,
    Trigger.GIRL_14_PLUS: Category.SEXUAL_HARM,
    Trigger.MULTIPLE_INJURIES: Category.ABUSE,
    Trigger.ABANDONED: Category.UNATTENDED,
}
EXTERNAL_NUMBER = RegexValidator(
    r"^[0-9A-Za-z][0-9A-Za-z._/-]{0,39}\Z",
    _("Give the number as it is written: letters, digits, dots, dashes or slashes, 40 at most."),
)


SUBMISSION_KEY = RegexValidator(
    r"^[0-9a-f]{32}\Z", _("This form is out of date: reload the page and fill it in again.")
)


class Caller(forms.ChoiceField):
    NAMED, CONFIDENTIAL, ANONYMOUS = "named", "confidential", "anonymous"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=[
                (self.NAMED, _("Gave a name")),
                (self.CONFIDENTIAL, _("Gave a name, asked for it to be kept confidential")),
                (self.ANONYMOUS, _("Anonymous")),
            ],
            widget=forms.RadioSelect(attrs=CHECK),
            initial=self.NAMED,
            **kwargs,
        )


# --- Receiving, shared with the API --------------------------------------------------


def content_digest(intake: Intake, details: Mapping[str, Any]) -> str:
    """A keyed digest of everything a channel sent: equal for a replay of the same ticket.
    Keyed, so that the digest of a short text cannot be found by trying texts."""
    content = asdict(intake)
    content.pop("submission_key", None)
    content["details"] = dict(details)
    payload = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return salted_hmac("carecircle.tips.intake-digest", payload, algorithm="sha256").hexdigest()


def receive(
    intake: Intake,
    *,
    actor: Any,
    details: Mapping[str, Any] | None = None,
    police_reason: str = "",
    minor: Minor | None = None,
) -> Received:
    """``tip_receive``, with the channel's details and the content digest on the tip's
    first event, the reason for a missing police receipt and the child the reporter
    named from the registry, in the same transaction. A replay changes nothing."""
    details = dict(details or {})
    digest = content_digest(intake, details)
    with transaction.atomic():
        got = tip_receive(intake, actor=actor)
        if got.created:
            first = got.tip.events.filter(kind=TipEvent.Kind.RECEIVED).order_by("pk").first()
            if first is not None:
                first.details = {**first.details, **details, "digest": digest}
                first.save(update_fields=["details"])
            if police_reason:
                got.tip.police_reason = police_reason
                got.tip.save(update_fields=["police_reason", "updated_at"])
            if minor is not None:
                _link(got.tip, minor, actor)
    return got


def _link(tip: Tip, minor: Minor, actor: Any) -> None:
    """The child a professional reported about, picked from those they may read."""
    if not minors_visible_to(actor).filter(pk=minor.pk).exists():
        raise ValidationError({"minor": _("Choose a child you may read.")})
    TipMinor.objects.create(tip=tip, minor=minor, linked_by=actor)
    event(tip, TipEvent.Kind.LINKED, actor=actor, details={"minor": minor.pk})
    audit(actor, AuditEvent.Action.UPDATE, tip, step="link", minor=minor.pk)


def same_content(tip: Tip, intake: Intake, details: Mapping[str, Any] | None = None) -> bool:
    """Whether ``tip`` was made from this very content (a replay, not a conflict)."""
    first = tip.events.filter(kind=TipEvent.Kind.RECEIVED).order_by("pk").first()
    stored = str((first.details if first is not None else {}).get("digest", ""))
    return hmac.compare_digest(stored, content_digest(intake, dict(details or {})))


def handoff_details(given: Mapping[str, Any]) -> dict[str, Any]:
    """Hand-offs to and from other hotlines, for the first event (empty parts left out)."""
    found: dict[str, Any] = {}
    if given.get("transferred_from"):
        found["transferred_from"] = sorted(given["transferred_from"])
    if given.get("transferred_to"):
        found["transferred_to"] = sorted(given["transferred_to"])
    if given.get("handoff_note"):
        found["handoff_note"] = given["handoff_note"]
    return {"handoffs": found} if found else {}


# --- Where a user may place a report -------------------------------------------------


def division_choices(prefixes: list[str]) -> list[tuple[str, str]]:
    """Active divisions within ``prefixes``, indented by level, valued by their code."""
    q = perms.prefix_q("prefix", prefixes)
    if q is None:
        return []
    depth = {length: n for n, length in enumerate(sorted(PREFIX_LENGTHS.values()))}
    rows = (
        Division.objects.filter(q, is_active=True).order_by("code").only("code", "prefix", "name")
    )
    top = min(depth.get(len(p), 0) for p in prefixes)
    return [(d.code, "\u3000" * max(depth.get(len(d.prefix), 0) - top, 0) + d.name) for d in rows]


def mandatory_prefixes(user: Any) -> list[str]:
    """Where a professional may file a mandatory report: their divisions, and for a
    school, hospital or agency the county it serves (children come from all over it)."""
    found: set[str] = set()
    for a in perms.assignments(user):
        role = spec(a.role)
        if not role.sees_child_data:
            continue
        if role.scope == ScopeKind.ORGANISATION:
            found.add(a.scope_prefix[:6])
        else:
            found.add(a.scope_prefix)
    return sorted(found)


def box_organisations(user: Any) -> QuerySet[Organisation]:
    """Schools whose report boxes the user logs: their own, or for the desk every school
    in its divisions."""
    mine = Organisation.objects.filter(pk__in=tip_perms.box_schools(user), is_active=True)
    desk = perms.prefix_q("division_id", tip_perms.desk_prefixes(user))
    if desk is not None:
        mine = mine | Organisation.objects.filter(
            desk, kind=Organisation.Kind.SCHOOL, is_active=True
        )
    return mine.select_related("division").distinct().order_by("division_id", "name")


# --- The forms -------------------------------------------------------------------------


def _text(label: Any, max_length: int = MAX_TEXT, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, widget=forms.Textarea(attrs={"rows": 4}), **kwargs
    )


def _not_future(value: Any) -> None:
    if value is not None and value > timezone.now():
        raise ValidationError(_("This time is in the future."))


class AreaMixin:
    fields: dict[str, forms.Field]

    def set_areas(self, prefixes: list[str]) -> None:
        self.prefixes = prefixes
        cast(forms.ChoiceField, self.fields["area_code"]).choices = [
            ("", "—"),
            *division_choices(prefixes),
        ]


def _area_field(help_text: Any = "") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Where the child is"),
        help_text=help_text,
        error_messages={"invalid_choice": _("Choose a division within your area.")},
    )


class HotlineForm(AreaMixin, forms.Form):
    """A 12345 ticket, typed by the operator who took (or received) it."""

    external_number = forms.CharField(
        label=_("12345 ticket number"), max_length=40, validators=[EXTERNAL_NUMBER]
    )
    request_type = forms.ChoiceField(
        label=_("Request type"), choices=RequestType.choices, initial=RequestType.REPORT
    )
    category = forms.ChoiceField(label=_("What happened"), choices=Category.choices)
    urgency = forms.TypedChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        coerce=int,
        initial=Urgency.GENERAL,
        help_text=_("Words such as 自杀 in the text can only raise it, never lower it."),
    )
    area_code = _area_field()
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    occurred_text = forms.CharField(label=_("When, in words"), max_length=60, required=False)
    description = _text(_("What the caller said"))
    child_description = _text(_("The child, if known"), MAX_SHORT, required=False)
    caller = Caller(label=_("The caller"))
    reporter_name = forms.CharField(label=_("Caller's name"), max_length=50, required=False)
    reporter_contact = forms.CharField(
        label=_("Caller's phone or contact"), max_length=100, required=False
    )
    reporter_relation = forms.CharField(
        label=_("Caller's relation to the child"), max_length=40, required=False
    )
    transferred_from = forms.MultipleChoiceField(
        label=_("Transferred to 12345 from"),
        choices=HANDOFF_LINES,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs=CHECK),
    )
    transferred_to = forms.MultipleChoiceField(
        label=_("Passed on by the operator to"),
        choices=HANDOFF_LINES,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs=CHECK),
    )
    handoff_note = forms.CharField(label=_("Note on the transfers"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_areas(tip_perms.hotline_prefixes(user))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        anonymous = data.get("caller") == Caller.ANONYMOUS
        if anonymous and (data.get("reporter_name") or data.get("reporter_contact")):
            self.add_error(
                "caller",
                _("An anonymous caller leaves no name or contact: clear them or pick another."),
            )
        return data

    def intake(self) -> Intake:
        data = self.cleaned_data
        anonymous = data["caller"] == Caller.ANONYMOUS
        return Intake(
            channel=Channel.HOTLINE,
            external_number=data["external_number"],
            request_type=data["request_type"],
            category=data["category"],
            urgency=data["urgency"],
            area_code=data["area_code"],
            place=data["place"],
            occurred_text=data["occurred_text"],
            description=data["description"],
            child_description=data["child_description"],
            anonymous=anonymous,
            reporter_name="" if anonymous else data["reporter_name"],
            reporter_contact="" if anonymous else data["reporter_contact"],
            reporter_relation=data["reporter_relation"],
        )

    def details(self) -> dict[str, Any]:
        found = handoff_details(self.cleaned_data)
        if self.cleaned_data["caller"] == Caller.CONFIDENTIAL:
            found["confidential"] = True
        return found


class BoxForm(forms.Form):
    """A note found in a school's report box (防性侵举报箱), typed as it was written."""

    school = forms.ModelChoiceField(
        label=_("School"),
        queryset=Organisation.objects.none(),
        error_messages={"invalid_choice": _("Choose one of your schools.")},
    )
    opened_on = forms.DateField(
        label=_("Day the box was opened"), widget=forms.DateInput(attrs={"type": "date"})
    )
    log_number = forms.CharField(
        label=_("Number in the box's log"), max_length=40, validators=[EXTERNAL_NUMBER]
    )
    category = forms.ChoiceField(label=_("What the note is about"), choices=Category.choices)
    description = _text(_("The note, as written"))
    reporter_name = forms.CharField(label=_("Signed by, if signed"), max_length=50, required=False)
    reporter_contact = forms.CharField(
        label=_("Contact written on the note"), max_length=100, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = box_organisations(user)
        cast(forms.ModelChoiceField, self.fields["school"]).queryset = schools
        if len(schools) == 1 and not self.is_bound:
            self.initial.setdefault("school", schools[0].pk)

    def clean_opened_on(self) -> Any:
        day = self.cleaned_data["opened_on"]
        if day > timezone.localdate():
            raise ValidationError(_("This day is in the future."))
        return day

    def intake(self) -> Intake:
        data = self.cleaned_data
        school: Organisation = data["school"]
        signed = bool(data["reporter_name"] or data["reporter_contact"])
        return Intake(
            channel=Channel.REPORT_BOX,
            # Log numbers restart at every school: the school's id keeps them apart.
            external_number=f"{school.pk}-{data['log_number']}",
            category=data["category"],
            description=data["description"],
            area_code=school.division_id,
            anonymous=not signed,
            reporter_name=data["reporter_name"],
            reporter_contact=data["reporter_contact"],
            box_organisation_id=school.pk,
            box_opened_on=data["opened_on"],
        )


class MandatoryForm(AreaMixin, forms.Form):
    """A professional's mandatory report (强制报告, 未保法 Art. 11)."""

    trigger = forms.ChoiceField(
        label=_("What you found"), choices=Trigger.choices, widget=forms.RadioSelect(attrs=CHECK)
    )
    category = forms.ChoiceField(
        label=_("Kind of harm"),
        choices=[("", _("As the situation says")), *Category.choices],
        required=False,
    )
    reporter_sector = forms.ChoiceField(label=_("Your sector"), choices=Sector.choices)
    reporter_unit = forms.CharField(label=_("Your unit"), max_length=100)
    reporter_contact = forms.CharField(
        label=_("Your phone, for the centre to reach you"), max_length=100, required=False
    )
    # The child, when the report starts from the child's record (?minor=<id>).
    minor = forms.ModelChoiceField(
        queryset=Minor.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose a child you may read.")},
    )
    child_description = _text(
        _("The child: name, age, school or what you know"), MAX_SHORT, required=False
    )
    found_at = forms.DateTimeField(
        label=_("When you found it"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        validators=[_not_future],
    )
    area_code = _area_field()
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    description = _text(_("What you saw or were told"))
    police_reported = forms.BooleanField(
        label=_("I have reported it to the police"), required=False
    )
    police_reported_at = forms.DateTimeField(
        label=_("Reported to the police at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        required=False,
        validators=[_not_future],
    )
    police_unit = forms.CharField(label=_("Police unit"), max_length=100, required=False)
    police_receipt = forms.CharField(
        label=_("Police receipt number"), max_length=64, required=False
    )
    police_reason = _text(_("If there is no police receipt yet, why"), MAX_SHORT, required=False)
    notified = forms.MultipleChoiceField(
        label=_("Other departments told"),
        choices=NOTIFIED,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs=CHECK),
    )

    # Made when the page is shown: the same form sent twice is one report.
    submission_key = forms.CharField(widget=forms.HiddenInput, validators=[SUBMISSION_KEY])

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.set_areas(mandatory_prefixes(user))
        cast(forms.ModelChoiceField, self.fields["minor"]).queryset = minors_visible_to(user)
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4().hex)

    def picked(self) -> Minor | None:
        """The child of the registry this report is about, if one was picked."""
        if self.is_bound:
            return self.cleaned_data.get("minor") if hasattr(self, "cleaned_data") else None
        raw = str(self.initial.get("minor") or "")
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
            return None
        return minors_visible_to(self.user).filter(pk=int(raw)).first()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("minor") and not data.get("child_description"):
            self.add_error("child_description", _("Describe the child: name, age or school."))
        if data.get("police_reported"):
            if not data.get("police_reported_at"):
                self.add_error("police_reported_at", _("Say when you reported it."))
            if not data.get("police_unit"):
                self.add_error("police_unit", _("Say which police unit you reported it to."))
        elif data.get("police_receipt") or data.get("police_reported_at"):
            self.add_error(
                "police_reported", _("Tick this box if you have reported it to the police.")
            )
        found, reported = data.get("found_at"), data.get("police_reported_at")
        if found and reported and reported < found:
            self.add_error(
                "police_reported_at", _("The report to the police cannot come before the finding.")
            )
        return data

    def intake(self) -> Intake:
        data = self.cleaned_data
        reported = bool(data["police_reported"])
        return Intake(
            channel=Channel.MANDATORY,
            category=data["category"] or TRIGGER_CATEGORY.get(data["trigger"], Category.OTHER),
            trigger=data["trigger"],
            reporter_sector=data["reporter_sector"],
            reporter_unit=data["reporter_unit"],
            reporter_name=getattr(self.user, "display_name", ""),
            reporter_contact=data["reporter_contact"],
            child_description=data["child_description"],
            found_at=data["found_at"],
            area_code=data["area_code"],
            place=data["place"],
            description=data["description"],
            police_reported_at=data["police_reported_at"] if reported else None,
            police_unit=data["police_unit"] if reported else "",
            police_receipt=data["police_receipt"] if reported else "",
            notified=sorted(data["notified"]),
            submission_key=f"mandatory:{data['submission_key']}",
        )
