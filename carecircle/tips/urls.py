from django.urls import path

from carecircle.tips import views

app_name = "tips"

urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
]
