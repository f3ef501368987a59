"""Routes of the tips API, unpacked into ``config/urls.py``'s /api/v1/ list ("api" namespace)."""

from django.urls import URLPattern, path

from carecircle.tips import api

urlpatterns: list[URLPattern] = [
    path("tips/", api.TipList.as_view(), name="tip-list"),
    path("tips/status/", api.TipStatus.as_view(), name="tip-status"),
    path("tips/<int:pk>/", api.TipDetail.as_view(), name="tip-detail"),
]
