"""The staff pages of reports (prefix /tips/). Intake forms are in ``intake_urls``."""

from django.urls import path

from carecircle.tips import views

app_name = "tips"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:pk>/contact/", views.contact, name="contact"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/urgency/", views.urgency, name="urgency"),
    path("<int:pk>/dispatch/", views.dispatch, name="dispatch"),
    path("<int:pk>/dispatch/withdraw/", views.dispatch_withdraw, name="dispatch-withdraw"),
    path(
        "<int:pk>/dispatch/acknowledge/",
        views.dispatch_acknowledge,
        name="dispatch-acknowledge",
    ),
    path("<int:pk>/dispatch/return/", views.dispatch_return, name="dispatch-return"),
    path("<int:pk>/dispatch/report/", views.dispatch_report, name="dispatch-report"),
    path("<int:pk>/extension/", views.extension_request, name="extension-request"),
    path("<int:pk>/extension/decide/", views.extension_decide, name="extension-decide"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/children/search/", views.minor_search, name="minor-search"),
    path("<int:pk>/children/link/", views.link_minor, name="link-minor"),
    path("<int:pk>/children/unlink/", views.unlink_minor, name="unlink-minor"),
    path("<int:pk>/note/", views.note, name="note"),
    path("<int:pk>/handoff/", views.handoff, name="handoff"),
    path("<int:pk>/police/", views.police, name="police"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/follow-up/", views.followup, name="followup"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
]
