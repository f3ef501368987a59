from django.urls import path

from carecircle.cases import views

app_name = "cases"

urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
]
