"""The demo district's referrals: the crisis child at the city's third people's
hospital, accepted with feedback, and one more awaiting acceptance."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_demo_refers_the_crisis_child_to_the_hospital(db: Any) -> None:
    from carecircle.cases.models import Referral

    call_command("seed_demo", "--minors", "600", "--seed", "11", stdout=StringIO())
    hospital = Referral.objects.get(to_organisation__name="永州市第三人民医院")
    assert hospital.case.risk == "red_critical"
    assert hospital.status == "accepted" and hospital.feedback and hospital.diagnosis
    assert hospital.answered_by is not None
    assert hospital.answered_by.username == "hospital_clinician"
    waiting = Referral.objects.exclude(pk=hospital.pk).get()
    assert waiting.status == "sent"
    assert waiting.to_organisation.kind in {"police", "school"}
