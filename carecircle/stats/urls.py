from django.urls import path

from carecircle.stats import views

app_name = "stats"
urlpatterns = [path("", views.indicator_list, name="indicator-list")]
