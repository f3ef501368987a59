"""Screening reports (prefix /screening/reports/): aggregates per school, grade and
class, never a pupil's name (``report_views``)."""

from django.urls import path

from carecircle.screening import report_views

app_name = "screening-reports"

urlpatterns = [
    path("", report_views.school_list, name="school-list"),
    # A grade or class of the school by ?part=grade-7 / class-12 (class-0: no class).
    path("schools/<int:pk>/", report_views.school_detail, name="school-detail"),
    path("schools/<int:pk>/export/", report_views.school_export, name="school-export"),
]
