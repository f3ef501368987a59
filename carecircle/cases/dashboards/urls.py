from django.urls import path

from carecircle.cases.dashboards import views

app_name = "case-dashboards"

urlpatterns = [
    path("overdue/", views.overdue, name="overdue"),
    path("caseload/", views.counselor, name="counselor"),
    path("rooms/", views.rooms, name="rooms"),
    path("organisations/", views.organisations, name="organisations"),
]
