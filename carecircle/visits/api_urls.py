"""Routes of the visits API, unpacked into ``config/urls.py``'s /api/v1/ list ("api" namespace)."""

from django.urls import URLPattern, path

from carecircle.visits import api

urlpatterns: list[URLPattern] = [
    path("visits/", api.VisitList.as_view(), name="visit-list"),
    path("visits/<int:pk>/", api.VisitDetail.as_view(), name="visit-detail"),
]
