from django.urls import path  # noqa: F401

app_name = "tips-public"

urlpatterns: list = []
