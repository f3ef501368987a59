"""The API's input and output shapes for minors and their guardians.

Output never carries a full ID number, an address, a diagnosis or a full phone
number: the reveal of an ID number is a separate, audited page action. Input names
schools, classes and households by id, but only among those the caller can see:
any other id is answered exactly like one that does not exist.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from carecircle.accounts.models import Organisation
from carecircle.people.ethnicities import ETHNIC_GROUPS
from carecircle.people.idnumbers import id_warnings, mask_id_number, parse_id_number
from carecircle.people.models import (
    CategoryMembership,
    DisabilityGrade,
    DisabilityType,
    Guardian,
    Household,
    Minor,
    SchoolClass,
)
from carecircle.people.permissions import minors_visible_to
from carecircle.people.school_views import schools_selectable_by
from carecircle.regions.codes import Level, parse_code
from carecircle.regions.selectors import division_names

_PHONE = re.compile(r"\+?[0-9]{5,20}")
# A merge is its own process (it keeps the duplicate's history); the API never sets it.
WRITABLE_STATUSES = [(v, label) for v, label in Minor.Status.choices if v != Minor.Status.MERGED]


# --- Reads ------------------------------------------------------------------------


def open_membership_q(day: date) -> Q:
    """Memberships in force on ``day``: begun by then and not yet ended.

    ``valid_to`` is the last day a membership applied, inclusive (the convention of
    ``people.categories`` and ``filters.open_category_q``).
    """
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def with_open_categories(queryset: QuerySet[Minor], *, day: date | None = None) -> QuerySet[Minor]:
    """Prefetch each minor's memberships open on ``day`` (today) into ``open_categories``."""
    memberships = CategoryMembership.objects.filter(
        open_membership_q(day or timezone.localdate())
    ).order_by("category", "subtype", "pk")
    return queryset.prefetch_related(
        Prefetch("categories", queryset=memberships, to_attr="open_categories")
    )


def mask_phone(value: str) -> str:
    """The first three and last four digits, the rest starred: 138****5678."""
    value = "".join(value.split())
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


class CategorySerializer(serializers.Serializer):
    category = serializers.CharField()
    category_display = serializers.CharField(source="get_category_display")
    subtype = serializers.CharField()
    bucket = serializers.CharField()
    reason = serializers.CharField()
    valid_from = serializers.DateField()
    # The metaclass takes declared fields out of the class; the stubs see Field.source.
    source = serializers.CharField()  # type: ignore[assignment]


class _MinorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField()
    status = serializers.CharField()
    area_code = serializers.CharField(help_text="The 12-digit residence division code.")
    area_name = serializers.SerializerMethodField()
    school = serializers.IntegerField(source="school_id", allow_null=True)
    school_class = serializers.IntegerField(source="school_class_id", allow_null=True)
    categories = serializers.SerializerMethodField()

    def get_area_name(self, minor: Minor) -> str:
        names = self.context.get("area_names")
        if names is None or minor.area_code not in names:
            names = division_names([minor.area_code])
        return names.get(minor.area_code, "")

    @extend_schema_field(CategorySerializer(many=True))
    def get_categories(self, minor: Minor) -> list[dict[str, Any]]:
        memberships = getattr(minor, "open_categories", None)
        if memberships is None:
            memberships = list(
                minor.categories.filter(open_membership_q(timezone.localdate())).order_by(
                    "category", "subtype", "pk"
                )
            )
        return list(CategorySerializer(memberships, many=True).data)


class MinorListSerializer(_MinorOutput):
    """One row of the list: enough to find the child, with its categories."""


class GuardianSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    relation = serializers.CharField()
    relation_display = serializers.CharField(source="get_relation_display")
    name = serializers.CharField()
    phone = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()
    state = serializers.CharField()
    state_display = serializers.CharField(source="get_state_display")
    state_since = serializers.DateField(allow_null=True)
    work_place = serializers.CharField()
    work_area_code = serializers.CharField()
    cross_county = serializers.BooleanField(allow_null=True)
    police_report_on = serializers.DateField(allow_null=True)
    disability_type = serializers.CharField()
    disability_grade = serializers.IntegerField(allow_null=True)
    is_entrusted = serializers.BooleanField()
    entrustment_signed_on = serializers.DateField(allow_null=True)
    last_contact_on = serializers.DateField(allow_null=True)

    def get_phone(self, guardian: Guardian) -> str:
        return mask_phone(guardian.phone or "")

    def get_id_number(self, guardian: Guardian) -> str:
        return mask_id_number(guardian.id_number or "")


class MinorDetailSerializer(_MinorOutput):
    """The child's record as the API shows it; the ID number is masked."""

    id_number = serializers.CharField(source="masked_id_number")
    ethnicity = serializers.CharField()
    hukou_type = serializers.CharField()
    hukou_code = serializers.CharField()
    household = serializers.IntegerField(source="household_id", allow_null=True)
    schooling = serializers.CharField()
    school_name = serializers.SerializerMethodField()
    school_class_name = serializers.SerializerMethodField()
    boarding = serializers.BooleanField()
    health = serializers.CharField()
    disability_type = serializers.CharField()
    disability_grade = serializers.IntegerField(allow_null=True)
    guardianship_concern = serializers.BooleanField()
    guardians = GuardianSerializer(many=True, source="guardians.all")
    warnings = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_school_name(self, minor: Minor) -> str:
        return minor.school.name if minor.school else ""

    def get_school_class_name(self, minor: Minor) -> str:
        return str(minor.school_class) if minor.school_class_id else ""

    def get_warnings(self, minor: Minor) -> list[str]:
        """Where the entered birth date or sex disagree with the ID number."""
        if not minor.id_number:
            return []
        try:
            parsed = parse_id_number(minor.id_number)
        except DjangoValidationError as exc:
            return [str(m) for m in exc.messages]
        return [str(w) for w in id_warnings(parsed, birth_date=minor.birth_date, sex=minor.sex)]


# The detail's field names, for the audit entry of a read.
DETAIL_FIELDS = [
    name
    for name in MinorDetailSerializer._declared_fields
    if name not in ("warnings", "area_name", "school_name", "school_class_name")
]


# --- Writes -----------------------------------------------------------------------


def households_visible_to(user: Any) -> QuerySet[Household]:
    """Households with at least one member the user can see."""
    members = minors_visible_to(user).filter(household=OuterRef("pk"))
    return Household.objects.filter(Exists(members))


def _not_in_future(value: date | None) -> None:
    if value is not None and value > timezone.localdate():
        raise serializers.ValidationError(_("This date is in the future."))


def _scoped(message: Any) -> dict[str, Any]:
    # One message for "no such id" and "not yours": no existence oracle.
    return {"does_not_exist": message}


class GuardianWriteSerializer(serializers.Serializer):
    """A guardian to add, or (with ``id``) one of this child's guardians to change."""

    id = serializers.IntegerField(required=False, min_value=1)
    relation = serializers.ChoiceField(choices=Guardian.Relation.choices, required=False)
    name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    id_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    state = serializers.ChoiceField(choices=Guardian.State.choices, required=False)
    state_since = serializers.DateField(
        required=False, allow_null=True, validators=[_not_in_future]
    )
    work_place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    work_area_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    cross_county = serializers.BooleanField(required=False, allow_null=True)
    police_report_on = serializers.DateField(
        required=False, allow_null=True, validators=[_not_in_future]
    )
    disability_type = serializers.ChoiceField(
        choices=DisabilityType.choices, required=False, allow_blank=True
    )
    disability_grade = serializers.ChoiceField(
        choices=DisabilityGrade.choices, required=False, allow_null=True
    )
    evidence = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_entrusted = serializers.BooleanField(required=False)
    entrustment_signed_on = serializers.DateField(
        required=False, allow_null=True, validators=[_not_in_future]
    )
    last_contact_on = serializers.DateField(
        required=False, allow_null=True, validators=[_not_in_future]
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "id" not in attrs and "relation" not in attrs:
            raise serializers.ValidationError(
                {"relation": [_("Say how this guardian is related to the child.")]}
            )
        return attrs

    def validate_phone(self, value: str) -> str:
        compact = re.sub(r"[\s-]", "", value)
        if compact and not _PHONE.fullmatch(compact):
            raise serializers.ValidationError(
                _("Enter a phone number in digits, for example 13812345678 or 0746-1234567.")
            )
        return compact

    def validate_work_area_code(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return parse_code(value)[0]
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class MinorWriteSerializer(serializers.Serializer):
    """The facts of a child the API may set (``services.MINOR_FIELDS``), plus guardians."""

    name = serializers.CharField(max_length=64)
    sex = serializers.ChoiceField(choices=Minor.Sex.choices)
    birth_date = serializers.DateField()
    id_number = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="The full resident ID number; responses show it masked.",
    )
    ethnicity = serializers.ChoiceField(choices=ETHNIC_GROUPS, required=False, allow_blank=True)
    hukou_type = serializers.ChoiceField(
        choices=Minor.HukouType.choices, required=False, allow_blank=True
    )
    hukou_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    area_code = serializers.CharField(
        max_length=12, help_text="The 12-digit code of the village or community of residence."
    )
    address = serializers.CharField(
        max_length=200, required=False, allow_blank=True, write_only=True
    )
    resident_since = serializers.DateField(required=False, allow_null=True)
    household = serializers.PrimaryKeyRelatedField(
        queryset=Household.objects.none(),
        required=False,
        allow_null=True,
        error_messages=_scoped(_("There is no household with this number within your scope.")),
    )
    schooling = serializers.ChoiceField(
        choices=Minor.Schooling.choices, required=False, allow_blank=True
    )
    school = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.none(),
        required=False,
        allow_null=True,
        error_messages=_scoped(_("There is no school with this number within your scope.")),
    )
    school_class = serializers.PrimaryKeyRelatedField(
        queryset=SchoolClass.objects.none(),
        required=False,
        allow_null=True,
        error_messages=_scoped(_("There is no class with this number within your scope.")),
    )
    boarding = serializers.BooleanField(required=False)
    health = serializers.ChoiceField(choices=Minor.Health.choices, required=False)
    illness = serializers.CharField(
        max_length=200, required=False, allow_blank=True, write_only=True
    )
    disability_type = serializers.ChoiceField(
        choices=DisabilityType.choices, required=False, allow_blank=True
    )
    disability_grade = serializers.ChoiceField(
        choices=DisabilityGrade.choices, required=False, allow_null=True
    )
    guardianship_concern = serializers.BooleanField(required=False)
    status = serializers.ChoiceField(choices=WRITABLE_STATUSES, required=False)
    # ListSerializer takes max_length; the stubs do not know it.
    guardians = GuardianWriteSerializer(many=True, required=False, max_length=10)  # type: ignore[call-arg]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is None:  # the schema generator: no ids are valid
            return fields
        user = request.user
        # The option list of the registry form: the schools of the counties the user
        # works in, and those the children the user sees attend (their present one too).
        schools = schools_selectable_by(user, registering=True)
        fields["school"].queryset = schools  # type: ignore[attr-defined]
        fields["school_class"].queryset = SchoolClass.objects.filter(  # type: ignore[attr-defined]
            school__in=schools
        )
        fields["household"].queryset = households_visible_to(user)  # type: ignore[attr-defined]
        return fields

    def validate_birth_date(self, value: date) -> date:
        today = timezone.localdate()
        if value > today:
            raise serializers.ValidationError(_("The birth date is in the future."))
        if self.instance is None and Minor(birth_date=value).age_on(today) >= 18:
            raise serializers.ValidationError(
                _("This person is 18 or older: the registry is for minors.")
            )
        return value

    def validate_area_code(self, value: str) -> str:
        value = value.strip()
        if len(value) != 12:
            raise serializers.ValidationError(
                _("Give the 12-digit code of the village or community where the child lives.")
            )
        try:
            code, _prefix, level = parse_code(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        if level != Level.VILLAGE:
            raise serializers.ValidationError(
                _("Give the 12-digit code of the village or community where the child lives.")
            )
        return code

    def validate_hukou_code(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return parse_code(value)[1]
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
