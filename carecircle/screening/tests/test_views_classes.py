"""A class in a campaign: its pupils' consent, their results (for whom), the code sheet."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.accounts.tests.helpers import zh
from carecircle.audit.models import AuditEvent
from carecircle.people.models import SchoolClass
from carecircle.screening.models import Campaign, Participant
from carecircle.screening.services import participants_issue, response_submit
from carecircle.screening.sheets import grouped, qr_svg
from carecircle.screening.tests.test_views_campaigns import open_campaign, pupil
from carecircle.testing.fixtures import AREA_A, _create_minor

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
# PHQ-A: the nine items (item 9 answered 2: a critical item), then difficulty and the
# three yes/no questions.
PHQA_CRITICAL = {f"q{n}": 1 for n in range(1, 9)} | {"q9": 2}


@pytest.fixture
def school(district: dict[str, Any]) -> Any:
    return district["orgs"]["school_A"]


@pytest.fixture
def g8(school: Any) -> SchoolClass:
    return SchoolClass.objects.create(school=school, grade=8, name="2班")


@pytest.fixture
def g9(school: Any) -> SchoolClass:
    return SchoolClass.objects.create(school=school, grade=9, name="1班")


@pytest.fixture
def issued(
    personas: dict[str, User], school: Any, g8: SchoolClass, g9: SchoolClass
) -> dict[str, Participant]:
    """Codes for 王大 (15) and 王小, 钱二 (13, guardians asked) of 2班, 孙三 (13) of 1班."""
    teacher = personas["school_psych_teacher"]
    campaign = open_campaign(teacher, school)
    minors = {
        "older": pupil("王大", 15, g8),
        "younger": pupil("王小", 13, g8),
        "second": pupil("钱二", 13, g8),
        "elsewhere": pupil("孙三", 13, g9),
    }
    participants_issue(actor=teacher, campaign=campaign)
    return {key: campaign.participants.get(minor=m) for key, m in minors.items()}


def class_url(participant: Participant, name: str = "class-detail") -> str:
    assert participant.school_class_id is not None
    return reverse(f"screening:{name}", args=[participant.campaign_id, participant.school_class_id])


def answer_phqa(participant: Participant) -> None:
    rest = {"difficulty": 1, "past_year": "N", "past_month": "N", "lifetime_attempt": "N"}
    response_submit(participant=participant, code="PHQA", answers=PHQA_CRITICAL | rest)


# --- Consent ---------------------------------------------------------------------------


def test_it_records_a_guardians_answer_with_its_date(
    personas: dict[str, User], client_for: ClientFor, issued: dict[str, Participant]
) -> None:
    younger = issued["younger"]
    assert younger.consent == Participant.Consent.PENDING
    day = timezone.localdate() - timedelta(days=2)
    client = client_for(personas["school_psych_teacher"])
    url = reverse("screening:participant-consent", args=[younger.pk])
    response = client.post(url, {"consent": "given", "on": str(day)})
    assert response.status_code == 302
    assert response["Location"] == class_url(younger) + f"#p{younger.pk}"
    younger.refresh_from_db()
    assert (younger.consent, younger.consent_on) == (Participant.Consent.GIVEN, day)
    event = AuditEvent.objects.get(object_type="screening.participant", action="update")
    assert (event.minor_id, event.details["consent"]) == (younger.minor_id, "given")
    client.post(url, {"consent": "refused", "on": str(day)})
    younger.refresh_from_db()
    assert younger.consent == Participant.Consent.REFUSED


def test_it_refuses_a_bad_consent_and_changes_nothing(
    personas: dict[str, User], client_for: ClientFor, issued: dict[str, Participant]
) -> None:
    client = client_for(personas["counselor"])
    younger, older = issued["younger"], issued["older"]
    url = reverse("screening:participant-consent", args=[younger.pk])
    future = str(timezone.localdate() + timedelta(days=1))
    page = client.post(url, {"consent": "given", "on": future}, follow=True)
    assert zh("This date is in the future.") in page.content.decode()
    client.post(url, {"consent": "maybe", "on": str(timezone.localdate())})
    client.post(
        reverse("screening:participant-consent", args=[older.pk]),
        {"consent": "refused", "on": str(timezone.localdate())},
    )
    younger.refresh_from_db()
    older.refresh_from_db()
    assert younger.consent == Participant.Consent.PENDING
    assert older.consent == Participant.Consent.NOT_NEEDED  # 15: nobody's consent needed
    assert not AuditEvent.objects.filter(object_type="screening.participant", action="update")


def test_a_class_wide_consent_covers_only_that_class_and_audits_each_pupil(
    personas: dict[str, User], client_for: ClientFor, issued: dict[str, Participant]
) -> None:
    Participant.objects.filter(pk=issued["second"].pk).update(consent="refused")
    response = client_for(personas["school_psych_teacher"]).post(
        class_url(issued["younger"], "class-consent"), {"on": str(timezone.localdate())}
    )
    assert response.status_code == 302
    consent = {k: Participant.objects.get(pk=p.pk).consent for k, p in issued.items()}
    assert consent == {
        "older": "not_needed",
        "younger": "given",
        "second": "refused",  # a refusal is never overwritten
        "elsewhere": "pending",  # another class
    }
    events = AuditEvent.objects.filter(object_type="screening.participant", action="update")
    assert [e.minor_id for e in events] == [issued["younger"].minor_id]


# --- Results ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["school_psych_teacher", "center_staff", "counselor"])
def test_the_psychology_teacher_and_the_centre_see_results_by_name(
    personas: dict[str, User], client_for: ClientFor, issued: dict[str, Participant], role: str
) -> None:
    answer_phqa(issued["older"])
    page = client_for(personas[role]).get(class_url(issued["older"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "王大" in html and "王小" in html and "孙三" not in html
    [result] = page.context["results"][issued["older"].pk]
    assert result["response"].triage == "red_critical"
    assert result["response"].triage_reasons
    assert str(result["response"].get_triage_display()) in html
    event = AuditEvent.objects.get(object_type="screening.participant", action="list")
    assert issued["older"].minor_id in event.details["ids"]


@pytest.mark.parametrize("role", ["school_admin", "district_admin", "child_supervisor"])
def test_results_are_hidden_from_school_administrators_and_others(
    personas: dict[str, User], client_for: ClientFor, issued: dict[str, Participant], role: str
) -> None:
    answer_phqa(issued["older"])
    client = client_for(personas[role])
    for name in ("class-detail", "class-sheet"):
        response = client.get(class_url(issued["older"], name))
        assert response.status_code == 403
        assert "王大" not in response.content.decode()
    detail = client.get(reverse("screening:campaign-detail", args=[issued["older"].campaign_id]))
    assert detail.status_code == 403


def test_a_class_of_another_school_is_not_found(
    personas: dict[str, User],
    client_for: ClientFor,
    issued: dict[str, Participant],
    district: dict[str, Any],
) -> None:
    other = SchoolClass.objects.create(school=district["orgs"]["school_B"], grade=8, name="2班")
    client = client_for(personas["center_staff"])
    campaign_id = issued["older"].campaign_id
    for name in ("class-detail", "class-sheet"):
        assert (
            client.get(reverse(f"screening:{name}", args=[campaign_id, other.pk])).status_code
            == 404
        )


# --- The code sheet --------------------------------------------------------------------


def test_the_sheet_prints_a_card_per_pupil_with_an_svg_qr_and_no_code_in_any_url(
    personas: dict[str, User], client_for: ClientFor, issued: dict[str, Participant]
) -> None:
    Participant.objects.filter(pk=issued["second"].pk).update(consent="refused")
    url = class_url(issued["older"], "class-sheet")
    page = client_for(personas["school_psych_teacher"]).get(url)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    html = page.content.decode()
    older, younger = issued["older"], issued["younger"]
    for participant in (older, younger):
        assert grouped(participant.code) in html
        assert qr_svg(f"http://testserver/q/#{participant.code}") in html
    assert html.count("<svg") == 2
    assert issued["second"].code not in html and "钱二" not in html  # the guardian refused
    assert issued["elsewhere"].code not in html  # another class
    assert zh("Works once the guardian has consented.") in html  # 王小's guardian: not yet
    # No code in the page's own address nor in any address the page links or loads.
    addresses = [url, *re.findall(r'(?:href|src|action)="([^"]*)"', html)]
    assert addresses
    for code in (older.code, younger.code):
        assert all(code not in a and grouped(code) not in a for a in addresses)
    event = AuditEvent.objects.get(object_type="screening.code")
    assert event.action == AuditEvent.Action.REVEAL
    assert set(event.details["ids"]) == {older.minor_id, younger.minor_id}


def test_a_pupil_who_has_answered_is_left_off_the_sheet(
    personas: dict[str, User], client_for: ClientFor, issued: dict[str, Participant]
) -> None:
    answer_phqa(issued["older"])
    html = client_for(personas["counselor"]).get(class_url(issued["older"], "class-sheet"))
    assert grouped(issued["older"].code) not in html.content.decode()
    assert grouped(issued["younger"].code) in html.content.decode()


def test_pupils_without_a_class_have_their_own_page_and_sheet(
    personas: dict[str, User], client_for: ClientFor, school: Any
) -> None:
    teacher = personas["school_psych_teacher"]
    campaign: Campaign = open_campaign(teacher, school)
    _create_minor(
        name="周无班",
        sex="M",
        birth_date=timezone.localdate().replace(year=timezone.localdate().year - 15, day=1),
        area_code=AREA_A,
        school=school,
    )
    participants_issue(actor=teacher, campaign=campaign)
    client = client_for(teacher)
    detail = client.get(reverse("screening:campaign-detail", args=[campaign.pk]))
    [row] = detail.context["rows"]
    assert row["class"] is None and row["class_pk"] == 0
    sheet = client.get(reverse("screening:class-sheet", args=[campaign.pk, 0]))
    assert grouped(campaign.participants.get().code) in sheet.content.decode()
