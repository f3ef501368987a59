"""Staff pages of screening campaigns (prefix /screening/).

No URL here carries a one-time code: codes appear only in the printed sheet's text
and in the fragment of its QR codes (``sheets``).
"""

from django.urls import path

from carecircle.screening import followup_views, views

app_name = "screening"

urlpatterns = [
    path("", views.campaign_list, name="campaign-list"),
    path("new/", views.campaign_create, name="campaign-create"),
    path("new/scope/", views.campaign_scope, name="campaign-scope"),
    path("<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("<int:pk>/progress/", views.campaign_progress, name="campaign-progress"),
    path("<int:pk>/issue/", views.campaign_issue, name="campaign-issue"),
    path("<int:pk>/close/", views.campaign_close_view, name="campaign-close"),
    # A class by its pk; 0 for the pupils enrolled without a class (views.NO_CLASS).
    path("<int:pk>/classes/<int:class_pk>/", views.class_detail, name="class-detail"),
    path("<int:pk>/classes/<int:class_pk>/sheet/", views.class_sheet, name="class-sheet"),
    path("<int:pk>/classes/<int:class_pk>/consent/", views.class_consent, name="class-consent"),
    path("participants/<int:pk>/consent/", views.participant_consent, name="participant-consent"),
    # Follow-ups of triaged results (issue 4 item 5, followup_views.py).
    path("follow-ups/", followup_views.follow_up_list, name="follow-ups"),
    path("follow-ups/<int:pk>/", followup_views.follow_up_detail, name="follow-up"),
]
