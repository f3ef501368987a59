"""What the cases API reads and writes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from carecircle.cases.models import Case, CaseMember, Kind, Risk, Session, Source, Status

MAX_ID = 2**63 - 1


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
    owner = serializers.ChoiceField(
        choices=[("me", _("Cases the caller owns"))],
        required=False,
        help_text="me: only the cases whose owner is the caller.",
    )


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


class SessionSerializer(serializers.ModelSerializer[Session]):
    """A counseling session. ``notes`` and ``other_attendees`` are null for a caller
    who may not read the case's notes (``permissions.can_work``); never omitted, so
    that a client tells "not yours to read" from "empty"."""

    case_number = serializers.CharField(source="case.number", read_only=True)
    counselor_name = serializers.CharField(source="counselor.display_name", read_only=True)
    room_name = serializers.CharField(source="room.name", read_only=True, allow_null=True)
    minors = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()
    other_attendees = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id", "case", "case_number", "kind", "held_at", "duration_minutes", "counselor",
            "counselor_name", "mode", "place", "room", "room_name", "appointment", "minors",
            "other_attendees", "notes",
        ]  # fmt: skip
        read_only_fields = fields

    def _reads_notes(self, session: Session) -> bool:
        readable: set[int] = self.context.get("notes_cases", set())
        return session.case_id in readable

    def get_minors(self, session: Session) -> list[int]:
        return [row.minor_id for row in session.attendees.all()]

    def get_notes(self, session: Session) -> str | None:
        return str(session.notes) if self._reads_notes(session) else None

    def get_other_attendees(self, session: Session) -> str | None:
        return str(session.other_attendees) if self._reads_notes(session) else None


class SessionFilterSerializer(serializers.Serializer[dict[str, Any]]):
    """The list's query parameters: ``from`` and ``to`` are days, both included."""

    case = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    room = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    to = serializers.DateField(required=False, help_text="The last day, included.")

    def get_fields(self) -> dict[str, serializers.Field]:
        # "from" is a Python keyword, so it cannot be declared as an attribute.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="The first day, included.")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first, last = attrs.get("from"), attrs.get("to")
        if first is not None and last is not None and last < first:
            raise serializers.ValidationError({"to": [_("This day must not come before from.")]})
        return attrs
