"""The tips API (issue 6 item 7): 12345 tickets in, tips in scope out, a receipt's status.

``POST tips/`` takes a 12345 work order from the hotline's system, with the API token
of a hotline operator (``permissions.can_enter_hotline``: 403 before anything else for
other roles). It is idempotent by ``external_number``: the first call is a 201; the
same number with the same content (compared by the keyed digest kept on the tip's
first event) is a 200 with the tip first made and changes nothing; the same number
with other content is a 409. The division must lie within the operator's area.

``GET tips/`` lists the tips the caller may read (``tips_visible_to``), newest first,
without their content; ``GET tips/<pk>/`` reads one, its read audited, with the
reporter's identity only for those who may read it (``sees_reporter``); out of scope
is a 404. Roles that reach no tip get 403.

``POST tips/status/`` is public: a receipt code in, the reporter-facing status and
public history out. Unknown codes are counted per client by ``throttle`` (a keyed
hash of the address, never the address); past 5 in 15 minutes nothing is looked up
(429). The request's address is dropped from the audit context, so no record made
while answering it can hold the address.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from carecircle.accounts.permissions import covers
from carecircle.audit import context as audit_context
from carecircle.audit.models import AuditEvent
from carecircle.regions.models import Division
from carecircle.tips import permissions as tip_perms
from carecircle.tips import throttle
from carecircle.tips.intake_forms import receive, same_content
from carecircle.tips.models import Tip, TipEvent
from carecircle.tips.serializers import (
    PublicStatusSerializer,
    StatusQuerySerializer,
    TipConflictSerializer,
    TipCreateSerializer,
    TipDetailSerializer,
    TipFilterSerializer,
    TipSerializer,
)
from carecircle.tips.services import audit, find_by_receipt, public_history


class TipPagination(CursorPagination):
    ordering = ("-received_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _detail(user: Any, tip: Tip, *, audited: bool = True) -> dict[str, Any]:
    data = dict(TipDetailSerializer(tip, context={"user": user}).data)
    if audited:
        audit(user, AuditEvent.Action.VIEW, tip, via="api", reporter=data["reporter"] is not None)
    return data


def _refuse_area(user: Any, code: str) -> None:
    if not covers(tip_perms.hotline_prefixes(user), code):
        raise exceptions.ValidationError({"area_code": [_("Choose a division within your area.")]})
    if not Division.objects.filter(code=code, is_active=True).exists():
        raise exceptions.ValidationError({"area_code": [_("No such division is on record.")]})


INVALID = OpenApiResponse(description="Invalid input: messages per field, in Chinese.")
UNAUTHENTICATED = OpenApiResponse(description="No valid session or token.")
REFUSED = OpenApiResponse(description="The caller's roles do not enter (or read) tips.")


@extend_schema_view(
    get=extend_schema(
        parameters=[TipFilterSerializer],
        responses={
            200: TipSerializer(many=True),
            400: OpenApiResponse(description="Invalid filter: messages per parameter."),
            401: UNAUTHENTICATED,
            403: REFUSED,
        },
        summary="Tips in scope, newest first, without their content",
    ),
    post=extend_schema(
        request=TipCreateSerializer,
        responses={
            201: TipDetailSerializer,
            200: OpenApiResponse(
                TipDetailSerializer,
                description="The same ticket number and content again: nothing changed.",
            ),
            400: INVALID,
            401: UNAUTHENTICATED,
            403: REFUSED,
            409: OpenApiResponse(
                TipConflictSerializer,
                description="The ticket number was used before with other content.",
            ),
        },
        summary="Receive a 12345 ticket (idempotent by its number)",
    ),
)
class TipList(generics.ListCreateAPIView):
    queryset = Tip.objects.none()  # every query goes through tips_visible_to
    serializer_class = TipSerializer
    pagination_class = TipPagination

    def get_serializer_class(self) -> Any:
        return TipCreateSerializer if self.request.method == "POST" else TipSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tip_perms.require_reader(request.user)
        filters = TipFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tips: QuerySet[Tip] = tip_perms.tips_visible_to(request.user)
        if "external_number" in filters.validated_data:
            tips = tips.filter(external_number=filters.validated_data["external_number"])
        if "status" in filters.validated_data:
            tips = tips.filter(status=filters.validated_data["status"])
        page = self.paginate_queryset(tips) or []
        return self.get_paginated_response(TipSerializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        if not tip_perms.can_enter_hotline(user):
            raise PermissionDenied(
                _("Only 12345 operators and the protection centre enter tickets.")
            )
        given = TipCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        intake, details = given.to_intake(), given.details()
        _refuse_area(user, intake.area_code)
        got = receive(intake, actor=user, details=details)
        visible = tip_perms.tips_visible_to(user).filter(pk=got.tip.pk).exists()
        if got.created:
            return Response(_detail(user, got.tip, audited=False), status=status.HTTP_201_CREATED)
        if visible and same_content(got.tip, intake, details):
            return Response(_detail(user, got.tip), status=status.HTTP_200_OK)
        body = {
            "detail": _(
                "This ticket number was received before with other content, or by someone "
                "else. Nothing was added."
            ),
            "code": "conflict",
            "tip": got.tip.pk if visible else None,
        }
        return Response(body, status=status.HTTP_409_CONFLICT)


@extend_schema_view(
    get=extend_schema(
        responses={
            200: TipDetailSerializer,
            401: UNAUTHENTICATED,
            403: REFUSED,
            404: OpenApiResponse(description="No such tip within the caller's scope."),
        },
        summary="One tip in scope, with its content; the reporter only for the desk",
    )
)
class TipDetail(generics.RetrieveAPIView):
    queryset = Tip.objects.none()  # every lookup goes through get_tip_for_user
    serializer_class = TipDetailSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tip_perms.require_reader(request.user)
        tip = tip_perms.get_tip_for_user(request.user, int(kwargs["pk"]))
        return Response(_detail(request.user, tip))


def _public_status(tip: Tip) -> dict[str, Any]:
    steps = [
        {
            "kind": step.kind,
            "kind_display": step.get_kind_display(),
            "on": timezone.localdate(step.at),
            # The reporter's own additions are not echoed: a leaked code shows no content.
            "text": "" if step.kind == TipEvent.Kind.REPORTER_ADDED else step.text,
        }
        for step in public_history(tip)
    ]
    return {
        "status": tip.status,
        "status_display": tip.get_status_display(),
        "received_on": timezone.localdate(tip.received_at),
        "closed": not tip.is_open,
        "history": steps,
    }


class TipStatus(APIView):
    """The status of a report, by its receipt code; no account, no cookie."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=StatusQuerySerializer,
        responses={
            200: PublicStatusSerializer,
            400: INVALID,
            404: OpenApiResponse(description="No report has this receipt code."),
            429: OpenApiResponse(description="Too many unknown codes from this client lately."),
        },
        auth=[],
        summary="A report's status and public history, by receipt code",
    )
    def post(self, request: Request) -> Response:
        ctx = audit_context.current()
        if ctx is not None:
            ctx.ip = None  # a reporter's address is kept nowhere (SECURITY.md AN-1)
        if throttle.lookups_blocked(request):
            return _no_store(
                Response(
                    {"detail": _("Too many unknown codes. Try again in a quarter of an hour.")},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            )
        given = StatusQuerySerializer(data=request.data)
        given.is_valid(raise_exception=True)
        tip = find_by_receipt(given.validated_data["receipt"])
        if tip is None:
            throttle.count_lookup_failure(request)
            return _no_store(
                Response(
                    {"detail": _("No report has this receipt code. Check the digits.")},
                    status=status.HTTP_404_NOT_FOUND,
                )
            )
        return _no_store(Response(PublicStatusSerializer(_public_status(tip)).data))


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response
