"""The project's routes plus the baselines that request figures are divided by.

- ``bench/hello/``: a bare view, the ceiling of the stack itself.
- ``bench/participants/<pk>/``: a read by id (one screening participant's row by
  primary key, as JSON): the baseline of starting a questionnaire (G5).
- ``bench/screening/submit/``: the minimal DRF submit of PERFORMANCE.md B3 (a
  serializer for the submit API's body, a sum of the answers, one INSERT into a
  plain table, its own commit): the baseline of the screening submit (G4).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from carecircle.screening.models import Participant
from config.urls import urlpatterns as project_urlpatterns


def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def participant_read(request: HttpRequest, pk: int) -> JsonResponse:
    row = Participant.objects.values("pk", "campaign_id", "status").get(pk=pk)
    return JsonResponse(row)


class MinimalSubmission(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    instrument = serializers.CharField(max_length=32)
    answers = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=3, allow_null=True), max_length=200
    )
    idempotency_key = serializers.CharField(max_length=64)


class MinimalSubmit(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    def post(self, request: Request) -> Response:
        from bench.screening import plain_submission

        given = MinimalSubmission(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        answers = data["answers"]
        plain_submission().objects.create(
            code=data["code"],
            instrument=data["instrument"],
            answers=json.dumps(answers),
            total=sum(a for a in answers if a is not None),
            idempotency_key=data["idempotency_key"],
            submitted_at=timezone.now(),
        )
        return Response(
            {"status": "submitted", "instrument": data["instrument"]},
            status=status.HTTP_201_CREATED,
        )


urlpatterns = [
    *project_urlpatterns,
    path("bench/hello/", hello),
    path("bench/participants/<int:pk>/", participant_read),
    path("bench/screening/submit/", MinimalSubmit.as_view()),
]
