"""Key assistance targets (prefix /screening/key-targets/)."""

from django.urls import path

from carecircle.screening import target_views

app_name = "key-targets"

urlpatterns = [
    path("", target_views.key_target_list, name="list"),
    path("confirm/<int:pk>/", target_views.key_target_confirm_view, name="confirm"),
    path("<int:pk>/end/", target_views.key_target_end_view, name="end"),
]
