from django.urls import path

from carecircle.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_open, name="open"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/transition/", views.transition, name="transition"),
    path("<int:pk>/plan/", views.plan, name="plan"),
    path("<int:pk>/risk/", views.risk, name="risk"),
    path("<int:pk>/crisis/", views.crisis, name="crisis"),
    path("<int:pk>/members/add/", views.member_add, name="member-add"),
    path("<int:pk>/members/remove/", views.member_remove, name="member-remove"),
    path("<int:pk>/tasks/add/", views.task_add, name="task-add"),
    path("<int:pk>/tasks/complete/", views.task_complete, name="task-complete"),
    path("<int:pk>/sessions/add/", views.session, name="session"),
]
