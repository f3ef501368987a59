"""The public reporting page, mounted at /report/ (no account needed)."""

from django.urls import path

from carecircle.tips import public_views

app_name = "tips-public"

urlpatterns = [
    path("", public_views.report, name="form"),
    path("challenge/", public_views.challenge, name="challenge"),
    path("status/", public_views.status, name="status"),
    path("status/add/", public_views.add, name="add"),
]
