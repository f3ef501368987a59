"""The cases API (issue 7 item 7), through the same permission layer as the pages.

``GET cases/`` lists the cases the caller may read (``cases_visible_to``: the team's
and, for supervisors, their division's), newest first, without their encrypted
text; ``GET cases/<pk>/`` reads one with its plan and team, the read audited; out
of scope is a 404. The list filters by status, kind, risk, child and ``owner=me``.
``POST cases/`` opens a case (``services.case_open``): the caller
must hold an opening role (403) and read the child (400 naming the field, with no
hint whether the child exists). Roles that reach no case get 403.

``GET sessions/`` lists the counseling sessions of the cases the caller may read,
newest first, filtered by case, room and days (``from``, ``to``, both included);
``GET sessions/<pk>/`` reads one, audited like a case (404 out of scope). The notes
and the other attendees are shown only to those who may read the case's notes
(``permissions.can_work``: its team and supervisors), null to anyone else. Each page
of sessions is one audited read naming its children.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from carecircle.accounts import permissions as perms
from carecircle.accounts.errors import api_validation_error
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, note_denial
from carecircle.cases import permissions as case_perms
from carecircle.cases.models import Case, CaseMember, Session
from carecircle.cases.serializers import (
    CaseDetailSerializer,
    CaseFilterSerializer,
    CaseOpenSerializer,
    CaseSerializer,
    SessionFilterSerializer,
    SessionSerializer,
)
from carecircle.cases.services import case_open
from carecircle.people.permissions import minors_visible_to
from carecircle.people.timeline import day_start


class CasePagination(CursorPagination):
    ordering = ("-opened_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _detail(user: Any, case: Case) -> dict[str, Any]:
    with transaction.atomic():
        audit_record(
            actor=user,
            action=AuditEvent.Action.VIEW,
            object_type="cases.case",
            object_id=case.pk,
            minor_id=case.minor_id,
            details={"via": "api"},
        )
    return dict(CaseDetailSerializer(case).data)


def _links(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The target, report or visit named by id, looked up within the caller's reach:
    one that does not exist and one out of reach get the same 400 (no oracle)."""
    from carecircle.screening.models import KeyTarget
    from carecircle.tips.permissions import tips_visible_to
    from carecircle.visits.permissions import visits_visible_to

    reach = {
        "source_target": KeyTarget.objects.filter(minor__in=minors_visible_to(user)),
        "source_tip": tips_visible_to(user),
        "source_visit": visits_visible_to(user),
    }
    found: dict[str, Any] = {}
    for field, rows in reach.items():
        if field in data:
            row = rows.filter(pk=data[field]).first()
            if row is None:
                raise exceptions.ValidationError({field: [_("No such record within your reach.")]})
            found[field] = row
    return found


UNAUTHENTICATED = OpenApiResponse(description="No valid session or token.")
REFUSED = OpenApiResponse(description="The caller's roles reach no case (or open none).")


@extend_schema_view(
    get=extend_schema(
        parameters=[CaseFilterSerializer],
        responses={200: CaseSerializer(many=True), 401: UNAUTHENTICATED, 403: REFUSED},
        summary="Cases in scope, newest first",
    ),
    post=extend_schema(
        request=CaseOpenSerializer,
        responses={
            201: CaseDetailSerializer,
            400: OpenApiResponse(description="Invalid input: messages per field."),
            401: UNAUTHENTICATED,
            403: REFUSED,
        },
        summary="Open a case for a child the caller may read",
    ),
)
class CaseList(generics.ListCreateAPIView):
    queryset = Case.objects.none()  # every query goes through cases_visible_to
    serializer_class = CaseSerializer
    pagination_class = CasePagination

    def get_serializer_class(self) -> Any:
        return CaseOpenSerializer if self.request.method == "POST" else CaseSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case_perms.require_reader(request.user)
        filters = CaseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        cases = case_perms.cases_visible_to(request.user)
        for name in ("status", "kind", "risk"):
            if name in filters.validated_data:
                cases = cases.filter(**{name: filters.validated_data[name]})
        if "minor" in filters.validated_data:
            cases = cases.filter(minor_id=filters.validated_data["minor"])
        if filters.validated_data.get("owner") == "me":
            owned = CaseMember.objects.filter(
                user_id=request.user.pk or 0, is_owner=True, left_at__isnull=True
            )
            cases = cases.filter(pk__in=owned.values("case_id"))
        page = self.paginate_queryset(cases) or []
        return self.get_paginated_response(CaseSerializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not case_perms.can_open_cases(request.user):
            raise PermissionDenied(_("Your roles do not allow opening cases."))
        given = CaseOpenSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        minor = minors_visible_to(request.user).filter(pk=data["minor"]).first()
        if minor is None:
            raise exceptions.ValidationError({"minor": [_("Choose a child you may read.")]})
        links = _links(request.user, data)
        try:
            case = case_open(
                actor=request.user,
                minor=minor,
                kind=data["kind"],
                source=data["source"],
                summary=data["summary"],
                risk=data["risk"],
                risk_reasons=data.get("risk_reasons", ""),
                **links,
            )
        except DjangoValidationError as exc:
            raise api_validation_error(exc) from None
        return Response(dict(CaseDetailSerializer(case).data), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        responses={
            200: CaseDetailSerializer,
            401: UNAUTHENTICATED,
            403: REFUSED,
            404: OpenApiResponse(description="No such case within the caller's scope."),
        },
        summary="One case with its plan and team",
    )
)
class CaseDetail(generics.RetrieveAPIView):
    queryset = Case.objects.none()  # every lookup goes through get_case_for_user
    serializer_class = CaseDetailSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case_perms.require_reader(request.user)
        case = case_perms.get_case_for_user(request.user, int(kwargs["pk"]))
        return Response(_detail(request.user, case))


class SessionPagination(CursorPagination):
    ordering = ("-held_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _sessions(user: Any) -> QuerySet[Session]:
    readable = case_perms.cases_visible_to(user).values("pk")
    return (
        Session.objects.filter(case_id__in=readable)
        .select_related("case", "counselor", "room")
        .prefetch_related("attendees")
    )


def _notes_cases(user: Any, sessions: list[Session]) -> set[int]:
    """The cases among ``sessions``' whose notes the caller reads: the rule of
    ``permissions.can_work`` (the team, the supervisors), for a page in one query."""
    areas = {s.case_id: s.case.area_code for s in sessions}
    team = set(
        CaseMember.objects.filter(
            user_id=user.pk, left_at__isnull=True, case_id__in=list(areas)
        ).values_list("case_id", flat=True)
    )
    prefixes = case_perms.supervisor_prefixes(user)
    return {pk for pk, area in areas.items() if pk in team or perms.covers(prefixes, area)}


def _sessions_data(user: Any, sessions: list[Session]) -> list[dict[str, Any]]:
    context = {"notes_cases": _notes_cases(user, sessions)}
    return list(SessionSerializer(sessions, many=True, context=context).data)


SESSION_404 = OpenApiResponse(description="No such session within the caller's scope.")


@extend_schema_view(
    get=extend_schema(
        parameters=[SessionFilterSerializer],
        responses={
            200: SessionSerializer(many=True),
            400: OpenApiResponse(description="Invalid filter: messages per parameter."),
            401: UNAUTHENTICATED,
            403: REFUSED,
        },
        summary="Counseling sessions of the cases in scope, newest first",
    )
)
class SessionList(generics.ListAPIView):
    queryset = Session.objects.none()  # every query goes through cases_visible_to
    serializer_class = SessionSerializer
    pagination_class = SessionPagination

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        case_perms.require_reader(user)
        filters = SessionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        sessions = _sessions(user)
        if "case" in given:
            sessions = sessions.filter(case_id=given["case"])
        if "room" in given:
            sessions = sessions.filter(room_id=given["room"])
        if "from" in given:
            sessions = sessions.filter(held_at__gte=day_start(given["from"]))
        if "to" in given:
            sessions = sessions.filter(held_at__lt=day_start(given["to"] + timedelta(days=1)))
        page = list(self.paginate_queryset(sessions) or [])
        if page:
            with transaction.atomic():
                audit_record(
                    actor=user,
                    action=AuditEvent.Action.LIST,
                    object_type="cases.session",
                    details={
                        "ids": list(
                            dict.fromkeys(a.minor_id for s in page for a in s.attendees.all())
                        )[:200],
                        "sessions": [s.pk for s in page][:200],
                        "via": "api",
                    },
                )
        return self.get_paginated_response(_sessions_data(user, page))


@extend_schema_view(
    get=extend_schema(
        responses={200: SessionSerializer, 401: UNAUTHENTICATED, 403: REFUSED, 404: SESSION_404},
        summary="One counseling session of a case in scope",
    )
)
class SessionDetail(generics.RetrieveAPIView):
    queryset = Session.objects.none()  # every lookup goes through cases_visible_to
    serializer_class = SessionSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        case_perms.require_reader(user)
        pk = int(kwargs["pk"])
        found = _sessions(user).filter(pk=pk).first() if 0 < pk <= case_perms.MAX_ID else None
        if found is None:
            note_denial(
                actor=user, object_type="cases.session", object_id=pk, reason="out of scope"
            )
            raise Http404
        with transaction.atomic():
            for attendee in found.attendees.all():
                audit_record(
                    actor=user,
                    action=AuditEvent.Action.VIEW,
                    object_type="cases.session",
                    object_id=found.pk,
                    minor_id=attendee.minor_id,
                    details={"case": found.case_id, "via": "api"},
                )
        return Response(_sessions_data(user, [found])[0])
