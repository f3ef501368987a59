"""The referrals API (issue 7 item 7), through the same permission layer as the pages.

``GET referrals/`` lists what the caller reads on either side (the referrals of the
cases they read, and those to their organisations), filtered by ``status`` and
``direction`` (``sent`` or ``received``); ``GET referrals/<pk>/`` reads one with its
snapshot and steps, the read audited with the child's id; out of scope is a 404.
Roles that reach no referral get 403.

The receiving organisation's users answer through ``POST referrals/<pk>/accept/``,
``decline/`` (with a reason) and ``feedback/`` (the treatment or intervention, and a
diagnosis only from a hospital), the same services as the pages: a step the referral's
state does not allow, or bad input, is a 400 that changes nothing; a caller who
answers for no organisation a 403.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from carecircle.accounts.errors import api_validation_error
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.cases.models import Referral
from carecircle.cases.referrals import permissions as ref_perms
from carecircle.cases.referrals import selectors, services
from carecircle.cases.referrals.serializers import (
    DeclineSerializer,
    FeedbackSerializer,
    ReferralDetailSerializer,
    ReferralFilterSerializer,
    ReferralSerializer,
)


class ReferralPagination(CursorPagination):
    ordering = ("-sent_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


UNAUTHENTICATED = OpenApiResponse(description="No valid session or token.")
REFUSED = OpenApiResponse(description="The caller's roles reach no referral.")


@extend_schema_view(
    get=extend_schema(
        parameters=[ReferralFilterSerializer],
        responses={200: ReferralSerializer(many=True), 401: UNAUTHENTICATED, 403: REFUSED},
        summary="Referrals the caller reads, sent and received, newest first",
    )
)
class ReferralList(generics.ListAPIView):
    queryset = Referral.objects.none()  # every query goes through referrals_visible_to
    serializer_class = ReferralSerializer
    pagination_class = ReferralPagination

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ref_perms.require_reader(request.user)
        filters = ReferralFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = selectors.visible(
            request.user,
            status=filters.validated_data.get("status", ""),
            direction=filters.validated_data.get("direction", ""),
        )
        page = self.paginate_queryset(rows) or []
        return self.get_paginated_response(ReferralSerializer(page, many=True).data)


@extend_schema_view(
    get=extend_schema(
        responses={
            200: ReferralDetailSerializer,
            401: UNAUTHENTICATED,
            403: REFUSED,
            404: OpenApiResponse(description="No such referral within the caller's scope."),
        },
        summary="One referral with what was shared and its steps",
    )
)
class ReferralDetail(generics.RetrieveAPIView):
    queryset = Referral.objects.none()  # every lookup goes through get_referral_for_user
    serializer_class = ReferralDetailSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        ref_perms.require_reader(user)
        referral = ref_perms.get_referral_for_user(user, int(kwargs["pk"]))
        with transaction.atomic():
            audit_record(
                actor=user,
                action=AuditEvent.Action.VIEW,
                object_type="cases.referral",
                object_id=referral.pk,
                minor_id=referral.minor_id,
                details={"via": "api", "side": sorted(ref_perms.sides_of(user, referral))},
            )
        return Response(dict(ReferralDetailSerializer(referral).data))


ANSWERS = {
    200: ReferralDetailSerializer,
    400: OpenApiResponse(description="Not in a state for this step, or invalid input."),
    401: UNAUTHENTICATED,
    403: OpenApiResponse(description="The caller answers for no organisation (or not this one)."),
    404: OpenApiResponse(description="No such referral within the caller's scope."),
}


class _Answer(APIView, ABC):
    """One step of the receiving side; subclasses say which."""

    body: type[serializers.Serializer[dict[str, Any]]] | None = None

    @abstractmethod
    def run(self, user: Any, referral: Referral, data: dict[str, Any]) -> Referral:
        """The service call of the step, with the body's validated data."""

    def post(self, request: Request, pk: int) -> Response:
        user = request.user
        ref_perms.require_receiver(user)
        referral = ref_perms.get_referral_for_user(user, int(pk))
        data: dict[str, Any] = {}
        if self.body is not None:
            given = self.body(data=request.data)
            given.is_valid(raise_exception=True)
            data = dict(given.validated_data)
        try:
            referral = self.run(user, referral, data)
        except DjangoValidationError as exc:
            raise api_validation_error(exc) from None
        return Response(dict(ReferralDetailSerializer(referral).data))


@extend_schema_view(
    post=extend_schema(request=None, responses=ANSWERS, summary="Accept a referral")
)
class ReferralAccept(_Answer):
    def run(self, user: Any, referral: Referral, data: dict[str, Any]) -> Referral:
        return services.referral_accept(actor=user, referral=referral)


@extend_schema_view(
    post=extend_schema(
        request=DeclineSerializer, responses=ANSWERS, summary="Decline a referral, with why"
    )
)
class ReferralDecline(_Answer):
    body = DeclineSerializer

    def run(self, user: Any, referral: Referral, data: dict[str, Any]) -> Referral:
        return services.referral_decline(actor=user, referral=referral, reason=data["reason"])


@extend_schema_view(
    post=extend_schema(
        request=FeedbackSerializer,
        responses=ANSWERS,
        summary="Record the treatment or intervention of an accepted referral",
    )
)
class ReferralFeedback(_Answer):
    body = FeedbackSerializer

    def run(self, user: Any, referral: Referral, data: dict[str, Any]) -> Referral:
        return services.referral_feedback(
            actor=user,
            referral=referral,
            feedback=data["feedback"],
            diagnosis=data.get("diagnosis", ""),
        )
