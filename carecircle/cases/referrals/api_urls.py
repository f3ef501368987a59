"""Routes of the referrals API, unpacked into the /api/v1/ list of ``config/urls.py``."""

from django.urls import URLPattern, path

from carecircle.cases.referrals import api

urlpatterns: list[URLPattern] = [
    path("referrals/", api.ReferralList.as_view(), name="referral-list"),
    path("referrals/<int:pk>/", api.ReferralDetail.as_view(), name="referral-detail"),
    path("referrals/<int:pk>/accept/", api.ReferralAccept.as_view(), name="referral-accept"),
    path("referrals/<int:pk>/decline/", api.ReferralDecline.as_view(), name="referral-decline"),
    path("referrals/<int:pk>/feedback/", api.ReferralFeedback.as_view(), name="referral-feedback"),
]
