"""What the cases API reads and writes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from carecircle.cases.models import Case, CaseMember, Kind, Risk, Source, Status


class CaseSerializer(serializers.ModelSerializer[Case]):
    """A case in a list: no encrypted text, no team."""

    number = serializers.CharField(read_only=True)
    minor = serializers.IntegerField(source="minor_id", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id", "number", "kind", "status", "risk", "source", "minor", "area_code",
            "opened_at", "review_on", "closed_at",
        ]  # fmt: skip
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer[CaseMember]):
    name = serializers.CharField(source="user.display_name", read_only=True)

    class Meta:
        model = CaseMember
        fields = ["user", "name", "role", "is_owner", "added_at"]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    """One case with its plan and team, for those who read it."""

    team = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "summary", "risk_reasons", "assessment", "goals", "services", "safety_plan",
            "guardian_told_at", "closure_note", "source_target", "source_tip", "source_visit",
            "team",
        ]  # fmt: skip
        read_only_fields = fields

    def get_team(self, case: Case) -> list[dict[str, Any]]:
        members = case.members.filter(left_at__isnull=True).select_related("user")
        return list(MemberSerializer(members, many=True).data)


class CaseFilterSerializer(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)
    minor = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class CaseOpenSerializer(serializers.Serializer[dict[str, Any]]):
    minor = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    kind = serializers.ChoiceField(choices=Kind.choices)
    # A field named like Field.source: DRF reads it as the field, mypy as the attribute.
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]
    summary = serializers.CharField(max_length=4000)
    risk = serializers.ChoiceField(choices=Risk.choices)
    risk_reasons = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    source_target = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    source_tip = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    source_visit = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
