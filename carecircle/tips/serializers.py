"""The tips API's input and output shapes (issue 6 item 7).

Input from the 12345 system is checked here for shape (choices, lengths, a division
code); whether the division is within the token's user's area needs the user and is
checked by the view, in the same 400 shape. Output never carries the reporter's
identity to a caller who may not read it (``permissions.sees_reporter``), and the
list carries no content at all: the content is read one tip at a time, audited.
The public status answer names no staff, no agency and no internal id.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from carecircle.regions.codes import parse_code
from carecircle.tips.intake_forms import EXTERNAL_NUMBER, HANDOFF_LINES, MAX_SHORT, MAX_TEXT
from carecircle.tips.models import Category, Channel, RequestType, Status, Tip, Urgency
from carecircle.tips.services import Intake

# --- Input ------------------------------------------------------------------------------


LINE_CODES = [code for code, _label in HANDOFF_LINES]
# One hotline, as a pattern: the schema's enum post-processing would warn about one
# choice set under two names.
LINE_SCHEMA = {
    "type": "string",
    "pattern": "^(" + "|".join(LINE_CODES) + ")$",
    "description": "One of: " + ", ".join(LINE_CODES) + ".",
}
STATUSES = ", ".join(Status.values)


@extend_schema_field(LINE_SCHEMA)
class LineField(serializers.ChoiceField):
    """Another hotline (110, 120, 12356, 12355)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=HANDOFF_LINES, **kwargs)


class HandoffsSerializer(serializers.Serializer):
    transferred_from = serializers.ListField(
        child=LineField(),
        max_length=len(HANDOFF_LINES),
        required=False,
        default=list,
        help_text="Hotlines the call was transferred from.",
    )
    transferred_to = serializers.ListField(
        child=LineField(),
        max_length=len(HANDOFF_LINES),
        required=False,
        default=list,
        help_text="Hotlines the operator passed the call on to (110, 120, ...).",
    )
    handoff_note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class TipCreateSerializer(serializers.Serializer):
    """A 12345 work order (工单), pushed by the hotline's system."""

    external_number = serializers.CharField(
        max_length=40,
        validators=[EXTERNAL_NUMBER],
        help_text=(
            "The 12345 ticket number: the same number with the same content again returns "
            "the tip first made (200); with other content it is a 409."
        ),
    )
    request_type = serializers.ChoiceField(
        choices=RequestType.choices, required=False, default=RequestType.REPORT
    )
    category = serializers.ChoiceField(choices=Category.choices)
    urgency = serializers.ChoiceField(
        choices=Urgency.choices,
        required=False,
        default=Urgency.GENERAL,
        help_text="1 general, 2 urgent, 3 emergency; flags in the text can only raise it.",
    )
    area_code = serializers.CharField(
        max_length=12, help_text="Division code (6, 9 or 12 digits) within the caller's area."
    )
    description = serializers.CharField(max_length=MAX_TEXT)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    occurred_on = serializers.DateField(required=False, allow_null=True, default=None)
    occurred_text = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    child_description = serializers.CharField(
        max_length=MAX_SHORT, required=False, allow_blank=True, default=""
    )
    anonymous = serializers.BooleanField(required=False, default=False)
    confidential = serializers.BooleanField(
        required=False, default=False, help_text="The caller asked for confidential handling."
    )
    reporter_name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )
    reporter_contact = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    reporter_relation = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    handoffs = HandoffsSerializer(required=False)

    def validate_area_code(self, value: str) -> str:
        try:
            code, _prefix, _level = parse_code(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from None
        return code

    def validate_occurred_on(self, value: date | None) -> date | None:
        if value is not None and value > timezone.localdate():
            raise serializers.ValidationError(_("This day is in the future."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("anonymous") and (attrs.get("reporter_name") or attrs.get("reporter_contact")):
            raise serializers.ValidationError(
                {"anonymous": [_("An anonymous caller leaves no name or contact.")]}
            )
        return attrs

    def to_intake(self) -> Intake:
        data = self.validated_data
        return Intake(
            channel=Channel.HOTLINE,
            external_number=data["external_number"],
            request_type=data["request_type"],
            category=data["category"],
            urgency=int(data["urgency"]),
            area_code=data["area_code"],
            description=data["description"],
            place=data["place"],
            occurred_on=data["occurred_on"],
            occurred_text=data["occurred_text"],
            child_description=data["child_description"],
            anonymous=data["anonymous"],
            reporter_name=data["reporter_name"],
            reporter_contact=data["reporter_contact"],
            reporter_relation=data["reporter_relation"],
        )

    def details(self) -> dict[str, Any]:
        from carecircle.tips.intake_forms import handoff_details

        found = handoff_details(self.validated_data.get("handoffs") or {})
        if self.validated_data["confidential"]:
            found["confidential"] = True
        return found


class TipFilterSerializer(serializers.Serializer):
    external_number = serializers.CharField(max_length=64, required=False)
    # Plain strings: an enum named "status" would collide with other apps' in the schema.
    status = serializers.CharField(required=False, help_text=STATUSES)

    def validate_status(self, value: str) -> str:
        if value not in Status.values:
            raise serializers.ValidationError(_("Not a status of a report."))
        return value


class StatusQuerySerializer(serializers.Serializer):
    receipt = serializers.CharField(
        max_length=40, trim_whitespace=True, help_text="The receipt code given at reporting."
    )


# --- Output -----------------------------------------------------------------------------


class TipSerializer(serializers.Serializer):
    """A tip as the list shows it: where it stands, no content, no reporter."""

    id = serializers.IntegerField()
    number = serializers.CharField(help_text="The work-order number staff quote.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    external_number = serializers.CharField()
    request_type = serializers.ChoiceField(choices=RequestType.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    status = serializers.CharField(help_text=STATUSES)
    status_display = serializers.CharField(source="get_status_display")
    area_code = serializers.CharField()
    received_at = serializers.DateTimeField()
    ack_due = serializers.DateTimeField()
    close_due = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(help_text="Empty until closed.")


class ReporterSerializer(serializers.Serializer):
    anonymous = serializers.BooleanField()
    name = serializers.CharField(source="reporter_name")
    contact = serializers.CharField(source="reporter_contact")
    relation = serializers.CharField(source="reporter_relation")


@extend_schema_field(ReporterSerializer(allow_null=True))
class ReporterField(serializers.Field):
    """The reporter, or null for a caller who may not read who reported."""

    def to_representation(self, tip: Tip) -> Any:
        user = self.context.get("user")
        from carecircle.tips.permissions import sees_reporter

        if user is None or not sees_reporter(user, tip):
            return None
        return ReporterSerializer(tip).data


class TipDetailSerializer(TipSerializer):
    """One tip with its content; its read is audited."""

    description = serializers.CharField()
    place = serializers.CharField()
    occurred_on = serializers.DateField(allow_null=True)
    occurred_text = serializers.CharField()
    child_description = serializers.CharField()
    contact_due = serializers.DateTimeField()
    first_contact_at = serializers.DateTimeField(allow_null=True)
    reporter = ReporterField(source="*")


class TipConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text='Always "conflict".')
    tip = serializers.IntegerField(
        allow_null=True, help_text="The tip made first under this number, if the caller reads it."
    )


class PublicStepSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_display = serializers.CharField()
    on = serializers.DateField(help_text="The day of the step.")
    text = serializers.CharField(help_text="A message to the reporter, or empty.")


class PublicStatusSerializer(serializers.Serializer):
    status = serializers.CharField(help_text=STATUSES)
    status_display = serializers.CharField()
    received_on = serializers.DateField()
    closed = serializers.BooleanField()
    history = PublicStepSerializer(many=True)
