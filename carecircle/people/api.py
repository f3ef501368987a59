"""The minors API: list, search and filter, detail, create and update.

Every query goes through ``people.permissions``: a child outside the caller's scope
is a 404, a role that cannot change children is a 403 before any lookup. Writes go
through ``people.services`` in one transaction with the nested guardians, so a
refused guardian leaves nothing of the child behind.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from carecircle.accounts import permissions as perms
from carecircle.accounts.roles import MinorAccess
from carecircle.people import services
from carecircle.people.filters import AGE_BANDS, MinorFilterForm
from carecircle.people.models import Category, Minor
from carecircle.people.permissions import can_change_minor, get_minor_for_user, minors_visible_to
from carecircle.people.serializers import (
    DETAIL_FIELDS,
    MinorDetailSerializer,
    MinorListSerializer,
    MinorWriteSerializer,
    with_open_categories,
)
from carecircle.regions.selectors import division_names


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Someone changed this record at the same time: reload it and try again.")
    default_code = "conflict"


# The largest id a 64-bit integer column holds; a larger one would overflow the query.
MAX_ID = 2**63 - 1


class ApiFilterForm(MinorFilterForm):
    """The list page's filters, with the ids bounded: no number reaches the database
    that it cannot hold (SQLite raises OverflowError on such a query)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("school", "school_class"):
            field = self.fields[name]
            field.validators.append(MaxValueValidator(MAX_ID))


class MinorPagination(CursorPagination):
    ordering = ("pk",)
    page_size_query_param = "page_size"
    max_page_size = 200


FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Name (汉字, pinyin, initials) or ID."),
    OpenApiParameter("area", OpenApiTypes.STR, description="Division code: county to village."),
    OpenApiParameter("school", OpenApiTypes.INT, description="School (organisation) id."),
    OpenApiParameter("school_class", OpenApiTypes.INT, description="Class id."),
    OpenApiParameter("category", OpenApiTypes.STR, enum=Category.values),
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        enum=["all", *Minor.Status.values],
        description="Default: active only.",
    ),
    OpenApiParameter("age", OpenApiTypes.STR, enum=list(AGE_BANDS), description="Age band."),
]


INVALID = OpenApiResponse(description="Invalid input: messages per field, in Chinese.")
REFUSED = OpenApiResponse(description="The caller's roles do not allow this.")
NOT_FOUND = OpenApiResponse(description="No such child within the caller's scope.")
CONFLICT = OpenApiResponse(description="A concurrent change won: reload and retry.")
_WRITE_RESPONSES = {
    200: MinorDetailSerializer,
    400: INVALID,
    403: REFUSED,
    404: NOT_FOUND,
    409: CONFLICT,
}


def _require_child_access(user: Any) -> None:
    # Like the page: roles without child access are refused, not shown an empty list.
    if not perms.sees_child_data(user):
        raise PermissionDenied


def _require_editor(user: Any) -> None:
    """A role that changes children somewhere; which child is checked after the lookup."""
    if not (
        perms.minor_prefixes(user, MinorAccess.JURISDICTION, edit=True)
        or perms.minor_schools(user, edit=True)
    ):
        raise PermissionDenied(_("Your roles do not allow changing child records."))


def _messages(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _save_guardians(actor: Any, minor: Minor, entries: list[dict[str, Any]]) -> None:
    """Errors come back keyed by the entry's index, as DRF reports nested list errors."""
    for index, entry in enumerate(entries):
        fields = dict(entry)
        guardian_id = fields.pop("id", None)
        guardian = None
        if guardian_id is not None:
            guardian = minor.guardians.filter(pk=guardian_id).first()
            if guardian is None:
                message = _("This child has no guardian with this number.")
                raise exceptions.ValidationError({"guardians": {str(index): {"id": [message]}}})
        try:
            services.guardian_save(actor=actor, minor=minor, guardian=guardian, **fields)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"guardians": {str(index): _messages(exc)}}) from None


def _save(*, actor: Any, minor: Minor | None, data: dict[str, Any]) -> Minor:
    """Create or change the child and its guardians, all or nothing."""
    guardians = data.pop("guardians", None) or []
    try:
        with transaction.atomic():
            try:
                if minor is None:
                    minor = services.minor_create(actor=actor, **data)
                else:
                    services.minor_update(actor=actor, minor=minor, **data)
            except DjangoValidationError as exc:
                raise exceptions.ValidationError(_messages(exc)) from None
            _save_guardians(actor, minor, guardians)
    except IntegrityError:
        # A concurrent write won a uniqueness race the services had checked.
        raise Conflict from None
    return minor


def _detail(request: Request, pk: int) -> dict[str, Any]:
    """The record as the API shows it, its read audited (the response renders only after)."""
    minor = (
        with_open_categories(Minor.objects.filter(pk=pk))
        .select_related("school", "school_class")
        .prefetch_related("guardians")
        .get()
    )
    services.minor_view(actor=request.user, minor=minor, fields=DETAIL_FIELDS)
    return dict(MinorDetailSerializer(minor).data)


@extend_schema_view(
    get=extend_schema(
        parameters=FILTERS,
        responses={200: MinorListSerializer(many=True), 400: INVALID, 403: REFUSED},
        summary="Children in scope, searched and filtered",
    ),
    post=extend_schema(
        request=MinorWriteSerializer,
        responses={201: MinorDetailSerializer, 400: INVALID, 403: REFUSED, 409: CONFLICT},
        summary="Register a child (with guardians)",
    ),
)
class MinorList(generics.ListCreateAPIView):
    """Minors within the caller's scope; ``?q=`` and the filters of the list page."""

    pagination_class = MinorPagination

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.request.method == "POST":
            return MinorWriteSerializer
        return MinorListSerializer

    def get_queryset(self) -> Any:
        _require_child_access(self.request.user)
        form = ApiFilterForm(self.request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(
                {field: [str(m) for m in errors] for field, errors in form.errors.items()}
            )
        return with_open_categories(form.apply(minors_visible_to(self.request.user)))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        services.minors_listed(actor=request.user, minor_ids=[m.pk for m in page])
        names = division_names({m.area_code for m in page})
        data = MinorListSerializer(page, many=True, context={"area_names": names}).data
        return self.get_paginated_response(data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _require_editor(request.user)
        serializer = MinorWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        minor = _save(actor=request.user, minor=None, data=dict(serializer.validated_data))
        return Response(_detail(request, minor.pk), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        responses={200: MinorDetailSerializer, 404: NOT_FOUND},
        summary="One child in scope, with guardians and categories",
    ),
    put=extend_schema(
        request=MinorWriteSerializer,
        responses=_WRITE_RESPONSES,
        summary="Change a child's record",
    ),
    patch=extend_schema(
        request=MinorWriteSerializer(partial=True),
        responses=_WRITE_RESPONSES,
        summary="Change some facts of a child's record",
    ),
)
class MinorDetail(generics.RetrieveUpdateAPIView):
    """One minor, if in scope (404 otherwise); the read is audited."""

    queryset = Minor.objects.none()  # every lookup goes through get_minor_for_user

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.request.method in ("PUT", "PATCH"):
            return MinorWriteSerializer
        return MinorDetailSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        minor = get_minor_for_user(request.user, int(kwargs["pk"]))
        return Response(_detail(request, minor.pk))

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _require_editor(request.user)
        minor = get_minor_for_user(request.user, int(kwargs["pk"]))
        if not can_change_minor(request.user, minor):
            raise PermissionDenied(_("You cannot change this child's record."))
        serializer = MinorWriteSerializer(
            minor,
            data=request.data,
            partial=kwargs.get("partial", False),
            context={"request": request},
        )
        serializer.is_valid(raise_exception=True)
        _save(actor=request.user, minor=minor, data=dict(serializer.validated_data))
        return Response(_detail(request, minor.pk))
