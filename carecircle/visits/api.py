"""The visits API (issue 5 item 6): record a visit idempotently, list and read visits in scope.

``POST visits/`` records a visit for a recorder (``permissions.require_recorder``:
403 before anything else for other roles). It is what the offline queue replays:
the client's idempotency key makes a retry safe — the same key and content answer
200 with the visit first made and change nothing; the same key with other content
is a 409 whose message a person reads, with the id of the visit first recorded so
that the two can be compared. A new visit is a 201.

``GET visits/`` lists the visits the caller may read (``visits_visible_to``), newest
first, 50 to a cursor page, in a constant number of queries; each page is one
audited read naming its children. ``GET visits/<pk>/`` reads one: out of scope is a
404, and the read is audited per child seen. Roles that read no visits get 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from carecircle.visits import services
from carecircle.visits.models import Visit, VisitMinor
from carecircle.visits.permissions import (
    get_visit_for_user,
    require_reader,
    require_recorder,
    visits_for_listing,
    visits_visible_to,
)
from carecircle.visits.serializers import (
    DETAIL_FIELDS,
    VisitConflictSerializer,
    VisitCreateSerializer,
    VisitDetailSerializer,
    VisitFilterSerializer,
    VisitSerializer,
)


class VisitPagination(CursorPagination):
    ordering = ("-occurred_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _messages(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _visits(user: Any, *, listing: bool = False) -> QuerySet[Visit]:
    seen = VisitMinor.objects.select_related("minor").only(
        "pk", "visit_id", "minor_id", "risk_flags", "minor__name"
    )
    visible = visits_for_listing(user) if listing else visits_visible_to(user)
    return visible.select_related("recorded_by").prefetch_related(
        Prefetch("seen", queryset=seen.order_by("pk"))
    )


def _filtered(visits: QuerySet[Visit], filters: Mapping[str, Any]) -> QuerySet[Visit]:
    if "minor" in filters:
        visits = visits.filter(seen__minor_id=filters["minor"])
    if "kind" in filters:
        visits = visits.filter(kind=filters["kind"])
    if "occurred_after" in filters:
        visits = visits.filter(occurred_at__gte=filters["occurred_after"])
    if "occurred_before" in filters:
        visits = visits.filter(occurred_at__lt=filters["occurred_before"])
    return visits


def _detail(user: Any, pk: int) -> dict[str, Any]:
    """The visit as the API shows it, its read audited (the response renders only after)."""
    visit = _visits(user).prefetch_related("visitors", "photos", "tasks").filter(pk=pk).first()
    if visit is None:  # a retry of a visit the caller's roles no longer reach
        raise Http404
    services.visit_view(actor=user, visit=visit, fields=DETAIL_FIELDS)
    return dict(VisitDetailSerializer(visit).data)


INVALID = OpenApiResponse(
    description="Invalid input: messages per field (for a child, under minors), in Chinese."
)
UNAUTHENTICATED = OpenApiResponse(description="No valid session or token.")
REFUSED = OpenApiResponse(description="The caller's roles do not record (or read) visits.")


@extend_schema_view(
    get=extend_schema(
        parameters=[VisitFilterSerializer],
        responses={
            200: VisitSerializer(many=True),
            400: OpenApiResponse(description="Invalid filter: messages per parameter."),
            401: UNAUTHENTICATED,
            403: REFUSED,
        },
        summary="Visits in scope, newest first",
    ),
    post=extend_schema(
        request=VisitCreateSerializer,
        responses={
            201: VisitDetailSerializer,
            200: OpenApiResponse(
                VisitDetailSerializer,
                description="A retry with the first try's idempotency key: nothing changed.",
            ),
            400: INVALID,
            401: UNAUTHENTICATED,
            403: REFUSED,
            409: OpenApiResponse(
                VisitConflictSerializer,
                description="The key was used before for a visit with other details.",
            ),
        },
        summary="Record a visit (idempotent by key)",
    ),
)
class VisitList(generics.ListCreateAPIView):
    """Visits the caller may read; ``occurred_after`` inclusive, ``occurred_before`` exclusive."""

    queryset = Visit.objects.none()  # every query goes through visits_visible_to
    serializer_class = VisitSerializer
    pagination_class = VisitPagination

    def get_serializer_class(self) -> Any:
        return VisitCreateSerializer if self.request.method == "POST" else VisitSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_reader(request.user)
        filters = VisitFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        visits = _filtered(_visits(request.user, listing=True), filters.validated_data)
        page = self.paginate_queryset(visits)
        page = page or []
        services.visits_listed(
            actor=request.user,
            visits=page,
            minor_ids=[row.minor_id for visit in page for row in visit.seen.all()],
        )
        return self.get_paginated_response(VisitSerializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_recorder(request.user)
        given = VisitCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            visit, created = services.visit_record(
                actor=request.user,
                data=given.to_input(),
                idempotency_key=given.validated_data["idempotency_key"],
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(_messages(exc)) from None
        except services.VisitConflictError as exc:
            body = {"detail": str(exc.message), "code": "conflict", "visit": exc.visit.pk}
            return Response(body, status=status.HTTP_409_CONFLICT)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(_detail(request.user, visit.pk), status=code)


@extend_schema_view(
    get=extend_schema(
        responses={
            200: VisitDetailSerializer,
            401: UNAUTHENTICATED,
            403: REFUSED,
            404: OpenApiResponse(description="No such visit within the caller's scope."),
        },
        summary="One visit in scope, with notes, visitors, photos and tasks",
    )
)
class VisitDetail(generics.RetrieveAPIView):
    """One visit, if in scope (404 otherwise); the read is audited per child seen."""

    queryset = Visit.objects.none()  # every lookup goes through get_visit_for_user
    serializer_class = VisitDetailSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_reader(request.user)
        visit = get_visit_for_user(request.user, int(kwargs["pk"]))
        return Response(_detail(request.user, visit.pk))
