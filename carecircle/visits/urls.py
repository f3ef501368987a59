"""The visits pages (prefix /visits/). The API is in ``api_urls``."""

from django.urls import path

from carecircle.visits import views

app_name = "visits"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.visit_create, name="visit-create"),
    path("new/children/", views.visit_children, name="visit-children"),
    path("<int:pk>/", views.visit_detail, name="visit-detail"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("children/", views.my_children, name="children"),
    path("due/", views.due, name="due"),
    path("overdue/", views.overdue, name="overdue"),
    path("coverage/", views.coverage, name="coverage"),
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/<int:pk>/", views.task_complete, name="task-complete"),
    path("rules/", views.visit_rules, name="rules"),
]
