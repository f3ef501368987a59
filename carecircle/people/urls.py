from django.urls import path

from carecircle.people import views

app_name = "people"
urlpatterns = [
    path("", views.minor_list, name="minor-list"),
    path("<int:pk>/", views.minor_detail, name="minor-detail"),
    path("<int:pk>/reveal-id/", views.minor_reveal_id, name="minor-reveal-id"),
    path("emergency-access/", views.emergency_access, name="emergency-access"),
]
