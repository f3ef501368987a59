"""Routes of the offline side of the visits pages, mounted at /visits/ next to the pages'
own routes (``config/urls.py``). The worker's script must live at /visits/ to control
the visits pages; see ``offline_views``."""

from django.urls import URLPattern, path

from carecircle.visits import offline_views

app_name = "visits-offline"
urlpatterns: list[URLPattern] = [
    path("sw.js", offline_views.service_worker, name="sw"),
    path("manifest.webmanifest", offline_views.manifest, name="manifest"),
    path("offline/", offline_views.shell, name="shell"),
    path("offline/config.json", offline_views.config, name="config"),
    path("offline/token/", offline_views.token, name="token"),
]
