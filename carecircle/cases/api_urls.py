"""Routes of the cases API, unpacked into ``config/urls.py``'s /api/v1/ list ("api" namespace)."""

from django.urls import URLPattern, path

from carecircle.cases import api

urlpatterns: list[URLPattern] = [
    path("cases/", api.CaseList.as_view(), name="case-list"),
    path("cases/<int:pk>/", api.CaseDetail.as_view(), name="case-detail"),
    path("sessions/", api.SessionList.as_view(), name="session-list"),
    path("sessions/<int:pk>/", api.SessionDetail.as_view(), name="session-detail"),
]
