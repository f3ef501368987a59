"""The pupils' questionnaire behind a one-time code (prefix /q/): no account.

The printed slip's QR code points at ``/q/#CODE``: the code travels in the fragment,
which browsers never send, so it never reaches a server or proxy log.
"""

from django.urls import path

from carecircle.screening import public_views

app_name = "questionnaire"

urlpatterns = [
    path("", public_views.start, name="start"),
    path("answer/", public_views.answer, name="answer"),
    path("thanks/", public_views.thanks, name="thanks"),
]
