"""Staff intake pages, mounted at /tips/new/ (issue 6 item 2)."""

from django.urls import URLPattern, path

from carecircle.tips import intake_views

app_name = "tips-intake"

urlpatterns: list[URLPattern] = [
    path("hotline/", intake_views.hotline, name="hotline"),
    path("box/", intake_views.box, name="box"),
    path("mandatory/", intake_views.mandatory, name="mandatory"),
]
