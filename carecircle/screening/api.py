"""The screening API (issue 4 item 9): a client submits a pupil's answers, staff read results.

``POST screening/submissions/`` is for a computer-room or kiosk client answering for
a pupil who has no account. The one-time code is the credential, so the view has no
authentication classes at all: a session or a token sent along is never read (and
so no CSRF check applies), and nothing the client is told depends on who is signed
in. Every code that cannot be used — unknown, closed, waiting for the guardian,
withdrawn, used — gets the same 404 as the pupils' code form, and submissions are
throttled per client address (``SubmitThrottle``). The answer is neutral (item 7):
``{"status": "submitted", "instrument": CODE}``, never a score, band or level.

The client's idempotency key makes retries safe: the same key for a submitted
questionnaire answers 200 with the same body and changes nothing (also once the
code is used up), a different key is a 409. A submission that loses a race with
another is answered the same way, from what the winner stored.

``GET screening/results/`` and ``GET screening/results/<pk>/`` are for the people who
run campaigns (``permissions.campaigns_visible_to``: the school's psychology teacher,
the centre's staff and counselors in scope); any other role is refused before a
lookup (403), a result outside the caller's campaigns is a 404. As with the minors
API, a list page is one audited read naming its children, a detail one read of one.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from carecircle.audit.middleware import client_ip
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, note_denial
from carecircle.people.api import MAX_ID
from carecircle.screening import services
from carecircle.screening.instruments import read_answers
from carecircle.screening.instruments.model import Instrument
from carecircle.screening.instruments.result import Problem
from carecircle.screening.models import Response as ScreeningResponse
from carecircle.screening.permissions import require_runner, results_visible_to
from carecircle.screening.serializers import (
    RESULT_FIELDS,
    ScreeningResultFilterSerializer,
    ScreeningResultSerializer,
    ScreeningSubmissionSerializer,
    ScreeningSubmittedSerializer,
)

SUBMITTED = "submitted"
DEFAULT_SUBMIT_RATE = "120/min"
"""Submissions per client address: a computer room behind one address submits a
class's questionnaires within minutes; a guesser of 50-bit codes gets nowhere."""


# --- Refusals ------------------------------------------------------------------------


class CodeRefused(exceptions.NotFound):
    # The pupils' code form says the same for every code that cannot be used.
    default_detail = _("This code cannot be used now. Check it and try again, or ask your teacher.")
    default_code = "code_refused"


class AlreadySubmitted(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This questionnaire has already been submitted.")
    default_code = "already_submitted"


class SubmitThrottle(SimpleRateThrottle):
    """Per client address (``audit.middleware.client_ip``: only trusted proxies'
    X-Forwarded-For entries count), whoever is signed in.

    The rate is ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["screening_submit"]``
    (None there turns the throttle off), ``DEFAULT_SUBMIT_RATE`` when unset.
    """

    scope = "screening_submit"

    def get_rate(self) -> str | None:
        # Read at each request, not at import: DRF reloads its settings when they change.
        rates: Mapping[str, Any] = api_settings.DEFAULT_THROTTLE_RATES or {}
        rate = rates.get(self.scope, DEFAULT_SUBMIT_RATE)
        return None if rate is None else str(rate)

    def allow_request(self, request: Request, view: Any) -> bool:
        # Only submissions count: another method is answered 405 and does nothing.
        return request.method != "POST" or super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        ident = client_ip(request._request) or "unknown"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _invalid(field: str, message: Any) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def _by_item(problems: Sequence[Problem]) -> dict[str, list[str]]:
    """Problems keyed by item id, those of the whole questionnaire as non_field_errors
    (DRF's shape of a nested object's errors); each message names the item, and for a
    value that is not allowed, the values that are."""
    found: dict[str, list[str]] = {}
    for problem in problems:
        found.setdefault(problem.item or "non_field_errors", []).append(problem.message)
    return found


def _service_problems(exc: DjangoValidationError) -> dict[str, list[str]]:
    """The scoring problems the service raised (``Problem``s, when the answers merged
    with those saved before are incomplete or inconsistent), keyed as ``_by_item``."""
    if hasattr(exc, "error_dict"):
        return {"non_field_errors": [str(m) for m in exc.messages]}
    return _by_item(
        [
            e.message if isinstance(e.message, Problem) else Problem("", str(e.message))
            for e in exc.error_list
        ]
    )


# --- Submitting ----------------------------------------------------------------------


def _answers(instrument: Instrument, given: Sequence[Any] | Mapping[str, Any]) -> dict[str, Any]:
    """The answers by item id (for a mapping, only the items it names), each one
    allowed for its item, or a 400 naming every item that is wrong and its allowed
    answers: the engine reads them exactly as it scores them.

    Blanks and skip logic are left to the service, which scores the answers merged
    with those the pupil saved before.
    """
    values, problems = read_answers(instrument, given)
    if values is None or problems:
        raise exceptions.ValidationError({"answers": _by_item(problems)})
    if isinstance(given, Mapping):
        return {key: values[key] for key in given}
    return values


def _submitted(digest: str, code: str) -> ScreeningResponse | None:
    return (
        ScreeningResponse.objects.filter(
            participant__code_digest=digest, code=code, submitted_at__isnull=False
        )
        .only("pk", "idempotency_key")
        .first()
    )


def _same_key(done: ScreeningResponse, key: str) -> bool:
    return bool(done.idempotency_key) and hmac.compare_digest(done.idempotency_key, key)


def _answer(code: str, status_code: int) -> Response:
    return Response({"status": SUBMITTED, "instrument": code}, status=status_code)


def _repeat(done: ScreeningResponse, code: str, key: str) -> Response:
    """A retry of the submission that stored ``done`` (200), or another one (409)."""
    if _same_key(done, key):
        return _answer(code, status.HTTP_200_OK)
    raise AlreadySubmitted


@extend_schema(
    request=ScreeningSubmissionSerializer,
    responses={
        201: ScreeningSubmittedSerializer,
        200: OpenApiResponse(
            ScreeningSubmittedSerializer,
            description="A retry with the first submission's idempotency key: nothing changed.",
        ),
        400: OpenApiResponse(
            description=(
                "Invalid input: messages per field; for the answers, per item id "
                "(non_field_errors for the whole questionnaire)."
            )
        ),
        404: OpenApiResponse(
            description=(
                "The code cannot be used: unknown, not open now, waiting for the guardian, "
                "withdrawn or used. The same answer for each."
            )
        ),
        409: OpenApiResponse(
            description="This questionnaire was submitted before, with another idempotency key."
        ),
        429: OpenApiResponse(description="Too many submissions from this address: wait."),
    },
    summary="Submit a pupil's answers with the one-time code",
)
class ScreeningSubmit(APIView):
    """One questionnaire of one pupil, scored, triaged and stored once."""

    # The code is the credential: no session (so no CSRF check) and no token is read.
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [SubmitThrottle]

    def post(self, request: Request) -> Response:
        given = ScreeningSubmissionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        code = services.normalise_code(data["code"])
        wanted, key = data["instrument"], data["idempotency_key"]
        known = services.looks_like_a_code(code)
        stored, fresh = None, False
        if known:
            try:
                stored, fresh = services.response_submit_by_code(
                    code=code,
                    instrument=wanted,
                    read_answers=lambda instrument: _answers(instrument, data["answers"]),
                    idempotency_key=key,
                )
            except DjangoValidationError as exc:
                # Nothing was stored: the service's transaction rolled back.
                if exc.error_list[0].code == "instrument":
                    raise _invalid("instrument", exc.messages[0]) from None
                raise exceptions.ValidationError({"answers": _service_problems(exc)}) from None
        if stored is None:
            # A retry after the last questionnaire used the code up is still a retry.
            done = _submitted(services.code_digest(code), wanted) if known else None
            if done is not None and _same_key(done, key):
                return _answer(wanted, status.HTTP_200_OK)
            raise CodeRefused
        if not fresh:
            # Submitted before: a retry with the first key (200), or another
            # submission whose answers were not stored (409).
            return _repeat(stored, wanted, key)
        return _answer(wanted, status.HTTP_201_CREATED)


# --- Results -------------------------------------------------------------------------


def _results(user: Any) -> QuerySet[ScreeningResponse]:
    return results_visible_to(user).select_related(
        "participant__minor", "participant__campaign__school", "participant__school_class"
    )


def get_result_for_user(user: Any, pk: int) -> ScreeningResponse:
    """The result if ``user`` may see it; otherwise 404, recorded as a denial."""
    found = _results(user).filter(pk=pk).first() if pk <= MAX_ID else None
    if found is None:
        note_denial(actor=user, object_type="screening.response", object_id=pk, reason="scope")
        raise Http404
    return found


def _filtered(
    results: QuerySet[ScreeningResponse], filters: Mapping[str, Any]
) -> QuerySet[ScreeningResponse]:
    if "campaign" in filters:
        results = results.filter(participant__campaign_id=filters["campaign"])
    if "school" in filters:
        results = results.filter(participant__campaign__school_id=filters["school"])
    if "level" in filters:
        results = results.filter(triage=filters["level"])
    if "submitted_after" in filters:
        results = results.filter(submitted_at__gte=filters["submitted_after"])
    if "submitted_before" in filters:
        results = results.filter(submitted_at__lt=filters["submitted_before"])
    return results


class ScreeningResultPagination(CursorPagination):
    ordering = ("-submitted_at", "-pk")
    page_size_query_param = "page_size"
    max_page_size = 200


REFUSED = OpenApiResponse(
    description="Only the school's psychology teacher and the centre's staff and counselors."
)
UNAUTHENTICATED = OpenApiResponse(description="No valid session or token.")


@extend_schema_view(
    get=extend_schema(
        parameters=[ScreeningResultFilterSerializer],
        responses={
            200: ScreeningResultSerializer(many=True),
            400: OpenApiResponse(description="Invalid filter: messages per parameter."),
            401: UNAUTHENTICATED,
            403: REFUSED,
        },
        summary="Screening results in scope, newest first",
    )
)
class ResultList(generics.ListAPIView):
    """Submitted results of the campaigns in the caller's scope; ``submitted_after``
    is inclusive, ``submitted_before`` exclusive. Each page is one audited read."""

    queryset = ScreeningResponse.objects.none()  # every query goes through results_visible_to
    serializer_class = ScreeningResultSerializer
    pagination_class = ScreeningResultPagination

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_runner(request.user)
        filters = ScreeningResultFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        results = _filtered(_results(request.user), filters.validated_data)
        page = self.paginate_queryset(results) or []
        if page:
            minors = list(dict.fromkeys(r.participant.minor_id for r in page))
            audit_record(
                actor=request.user,
                action=AuditEvent.Action.LIST,
                object_type="screening.response",
                details={"ids": minors[:200], "results": [r.pk for r in page][:200]},
            )
        return self.get_paginated_response(ScreeningResultSerializer(page, many=True).data)


@extend_schema_view(
    get=extend_schema(
        responses={
            200: ScreeningResultSerializer,
            401: UNAUTHENTICATED,
            403: REFUSED,
            404: OpenApiResponse(description="No such result within the caller's scope."),
        },
        summary="One screening result in scope",
    )
)
class ResultDetail(generics.RetrieveAPIView):
    """One result, if in scope (404 otherwise); the read is audited."""

    queryset = ScreeningResponse.objects.none()  # every lookup goes through get_result_for_user
    serializer_class = ScreeningResultSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_runner(request.user)
        result = get_result_for_user(request.user, int(kwargs["pk"]))
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.VIEW,
            object_type="screening.response",
            object_id=result.pk,
            minor_id=result.participant.minor_id,
            fields=RESULT_FIELDS,
            details={"campaign": result.participant.campaign_id},
        )
        return Response(ScreeningResultSerializer(result).data)
