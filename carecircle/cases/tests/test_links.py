"""The "Open a case" links on a key assistance target, a report of harm and a visit:
shown to those who may open cases, for the right child, and to nobody else."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from carecircle.accounts.models import User
from carecircle.people.models import Minor, SchoolClass
from carecircle.screening.models import Campaign, KeyTarget, Participant
from carecircle.screening.services import campaign_create, participants_issue, response_submit
from carecircle.testing.fixtures import _create_minor
from carecircle.tips.models import Dispatch, Tip, TipMinor
from carecircle.tips.tests.factories import tip
from carecircle.visits.models import Visit
from carecircle.visits.tests.factories import visit

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
SPRING = datetime(2026, 3, 2, 8, tzinfo=TZ)
RED_PHQ9 = [3, 3, 3, 3, 2, 2, 2, 2, 0]
OPEN = "Open a case"


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def href(**query: Any) -> str:
    """The link as a page writes it (``&`` escaped in the attribute)."""
    return reverse("cases:open") + "?" + "&amp;".join(f"{k}={v}" for k, v in query.items())


def page(client_for: Any, user: User, url: str) -> str:
    response = client_for(user).get(url)
    assert response.status_code == 200
    return str(response.content.decode())


# Key assistance targets ----------------------------------------------------------


@pytest.fixture
def screened(district: dict[str, Any], personas: dict[str, User]) -> dict[str, Minor]:
    """Two pupils of school A with red results: 甲 confirmed as a target, 乙 proposed."""
    school = district["orgs"]["school_A"]
    grade = SchoolClass.objects.create(school=school, grade=8, name="1班")
    common = {"sex": "F", "area_code": "431103101200", "school": school, "school_class": grade}
    pupils = {
        name: _create_minor(name=name, birth_date=date(2012, 1, n), **common)
        for n, name in enumerate(("甲", "乙"), start=1)
    }
    campaign = campaign_create(
        actor=personas["counselor"],
        school=school,
        name="筛查 2026-03",
        opens_at=SPRING,
        closes_at=SPRING + timedelta(days=7),
        basis=Campaign.Basis.STATUTORY,
        statutory_basis="《未成年人保护法》",
        instruments=[("PHQ9", 12, 18)],
    )
    participants_issue(actor=personas["counselor"], campaign=campaign)
    for minor in pupils.values():
        participant = Participant.objects.get(campaign=campaign, minor=minor)
        values = {f"q{n}": v for n, v in enumerate(RED_PHQ9, start=1)}
        with freeze_time(SPRING + timedelta(hours=1)):
            response_submit(participant=participant, code="PHQ9", answers=values)
    KeyTarget.objects.create(
        minor=pupils["甲"],
        school=school,
        confirmed_by=personas["counselor"],
        confirmed_at=timezone.now(),
    )
    return pupils


@pytest.mark.parametrize("role", ["counselor", "center_staff", "school_psych_teacher"])
def test_a_confirmed_target_offers_to_open_a_case(
    personas: dict[str, User], client_for: Any, screened: dict[str, Minor], role: str
) -> None:
    target = KeyTarget.objects.get()
    html = page(client_for, personas[role], reverse("key-targets:list"))
    assert href(minor=target.minor_id, source="key_target", target=target.pk) in html
    # Only the confirmed target: the list proposes, a counselor decides first.
    assert html.count(OPEN) == 1
    assert f"minor={screened['乙'].pk}&amp;source=key_target" not in html


def test_no_link_on_an_ended_target(
    personas: dict[str, User], client_for: Any, screened: dict[str, Minor]
) -> None:
    KeyTarget.objects.update(ended_at=timezone.now(), ended_by=personas["counselor"])
    assert OPEN not in page(client_for, personas["counselor"], reverse("key-targets:list"))


# Reports of harm -----------------------------------------------------------------


@pytest.fixture
def report(personas: dict[str, User], minor_a: Minor) -> Tip:
    made = tip()
    TipMinor.objects.create(tip=made, minor=minor_a, linked_by=personas["center_staff"])
    return made


@pytest.mark.parametrize("role", ["center_staff", "district_admin"])
def test_the_desk_may_open_a_case_for_each_linked_child(
    personas: dict[str, User], client_for: Any, report: Tip, minor_a: Minor, role: str
) -> None:
    html = page(client_for, personas[role], reverse("tips:detail", args=[report.pk]))
    assert href(minor=minor_a.pk, source="tip", tip=report.pk) in html


def test_the_handler_may_open_a_case(
    personas: dict[str, User], client_for: Any, report: Tip, minor_a: Minor
) -> None:
    Tip.objects.filter(pk=report.pk).update(handler=personas["social_worker"])
    html = page(client_for, personas["social_worker"], reverse("tips:detail", args=[report.pk]))
    assert href(minor=minor_a.pk, source="tip", tip=report.pk) in html


def test_an_agency_reading_the_report_gets_no_link(
    personas: dict[str, User], client_for: Any, district: dict[str, Any], report: Tip
) -> None:
    Dispatch.objects.create(
        tip=report,
        organisation=district["orgs"]["police_A"],
        dispatched_by=personas["center_staff"],
        ack_due=timezone.now() + timedelta(hours=1),
    )
    html = page(client_for, personas["agency_officer"], reverse("tips:detail", args=[report.pk]))
    assert OPEN not in html


def test_no_link_without_a_linked_child(personas: dict[str, User], client_for: Any) -> None:
    made = tip()
    html = page(client_for, personas["center_staff"], reverse("tips:detail", args=[made.pk]))
    assert OPEN not in html


# Visits --------------------------------------------------------------------------


@pytest.fixture
def seen(minor_a: Minor) -> Visit:
    return visit(date(2026, 3, 2), minor_a)


@pytest.mark.parametrize("role", ["social_worker", "counselor", "center_staff", "district_admin"])
def test_a_visit_offers_to_open_a_case_for_each_child_seen(
    personas: dict[str, User], client_for: Any, seen: Visit, minor_a: Minor, role: str
) -> None:
    html = page(client_for, personas[role], reverse("visits:visit-detail", args=[seen.pk]))
    assert href(minor=minor_a.pk, source="visit", visit=seen.pk) in html


@pytest.mark.parametrize("role", ["child_director", "child_supervisor"])
def test_visit_readers_who_cannot_open_cases_get_no_link(
    personas: dict[str, User], client_for: Any, seen: Visit, role: str
) -> None:
    html = page(client_for, personas[role], reverse("visits:visit-detail", args=[seen.pk]))
    assert OPEN not in html
