"""The project's routes plus a bare view: the baseline every request figure is divided by."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [*project_urlpatterns, path("bench/hello/", hello)]
