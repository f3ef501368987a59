from django.urls import path

from carecircle.audit import views

app_name = "audit"
urlpatterns = [path("", views.log, name="log")]
