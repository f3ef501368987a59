"""What the referrals API reads and writes. Both sides read the same fields: the
snapshot that was shared, never the child's record."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from carecircle.cases.models import Referral, ReferralEvent
from carecircle.cases.referrals.selectors import RECEIVED_SIDE, SENT_SIDE
from carecircle.cases.referrals.sharing import shared_rows


# A component of its own: one named after the field would collide with the other
# apps' "status" enums.
@extend_schema_field(
    {
        "type": "string",
        "enum": list(Referral.Status.values),
        "description": "sent (awaiting acceptance), accepted, declined, closed, withdrawn",
    },
    component_name="ReferralStatus",
)
class StatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Referral.Status.choices, **kwargs)


class ReferralSerializer(serializers.ModelSerializer[Referral]):
    """A referral in a list: no encrypted text."""

    number = serializers.CharField(read_only=True)
    status = StatusField(read_only=True)
    to_organisation_name = serializers.CharField(source="to_organisation.name", read_only=True)
    to_organisation_kind = serializers.CharField(source="to_organisation.kind", read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id", "number", "status", "basis", "to_organisation", "to_organisation_name",
            "to_organisation_kind", "sent_at", "accept_due_at", "answered_at", "feedback_at",
            "closed_at", "escalated_at",
        ]  # fmt: skip
        read_only_fields = fields


class SharedItemSerializer(serializers.Serializer[dict[str, str]]):
    item = serializers.CharField()
    # A field named like Field.label: DRF reads it as the field, mypy as the attribute.
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField()


class EventSerializer(serializers.ModelSerializer[ReferralEvent]):
    class Meta:
        model = ReferralEvent
        fields = ["kind", "actor", "at", "text"]
        read_only_fields = fields


class ReferralDetailSerializer(ReferralSerializer):
    """One referral, as both sides read it."""

    shared = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    class Meta(ReferralSerializer.Meta):
        fields = [
            *ReferralSerializer.Meta.fields,
            "reason", "shared_items", "shared", "consent_by", "consent_on", "decline_reason",
            "feedback", "diagnosis", "events",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(SharedItemSerializer(many=True))
    def get_shared(self, referral: Referral) -> list[dict[str, str]]:
        return shared_rows(referral.shared)

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, referral: Referral) -> list[dict[str, Any]]:
        rows = referral.events.order_by("at", "pk")
        return list(EventSerializer(rows, many=True).data)


class ReferralFilterSerializer(serializers.Serializer[dict[str, Any]]):
    status = StatusField(required=False)
    direction = serializers.ChoiceField(
        choices=[(SENT_SIDE, "sent"), (RECEIVED_SIDE, "received")], required=False
    )


class DeclineSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(max_length=4000)


class FeedbackSerializer(serializers.Serializer[dict[str, Any]]):
    feedback = serializers.CharField(max_length=4000)
    diagnosis = serializers.CharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        help_text="Only a hospital records a diagnosis; from anyone else it is refused.",
    )
