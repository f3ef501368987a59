"""Campaigns, one-time codes, saving and submitting answers: who may, and what is kept."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor, SchoolClass
from carecircle.screening.models import Campaign, Participant, Response
from carecircle.screening.services import (
    CODE_ALPHABET,
    campaign_create,
    code_digest,
    participant_by_code,
    participants_issue,
    response_save,
    response_submit,
)
from carecircle.testing.fixtures import _create_minor

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
OPENS = datetime(2026, 3, 2, 8, tzinfo=TZ)
DURING = OPENS + timedelta(hours=2)
PHQ9_MODERATE = [2, 2, 1, 1, 1, 1, 1, 1, 0]  # total 10: moderate, positive, no critical item


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


@pytest.fixture
def school(district: dict[str, Any]) -> Any:
    return district["orgs"]["school_A"]


@pytest.fixture
def pupils(school: Any) -> dict[str, Minor]:
    grade7 = SchoolClass.objects.create(school=school, grade=7, name="1班")
    grade4 = SchoolClass.objects.create(school=school, grade=4, name="1班")
    common = {"area_code": "431103101200", "school": school}
    return {
        "older": _create_minor(
            name="王大", sex="M", birth_date=date(2011, 1, 5), school_class=grade7, **common
        ),
        "younger": _create_minor(
            name="王小", sex="F", birth_date=date(2013, 6, 1), school_class=grade7, **common
        ),
        "child": _create_minor(
            name="李幼", sex="F", birth_date=date(2017, 6, 1), school_class=grade4, **common
        ),
    }


def _campaign(actor: User, school: Any, **extra: Any) -> Campaign:
    fields: dict[str, Any] = {
        "actor": actor,
        "school": school,
        "name": "2026年春季心理健康筛查",
        "opens_at": OPENS,
        "closes_at": OPENS + timedelta(days=7),
        "basis": Campaign.Basis.GUARDIAN_CONSENT,
        "instruments": [("PHQ9", 12, 18)],
    }
    fields.update(extra)
    return campaign_create(**fields)


def test_it_lets_the_schools_psychology_teacher_and_the_centre_open_a_campaign(
    personas: dict[str, User], school: Any
) -> None:
    for role in ("school_psych_teacher", "center_staff", "counselor"):
        campaign = _campaign(personas[role], school, name=role)
        assert campaign.status == Campaign.Status.OPEN
        assert [(i.code, i.min_age, i.max_age) for i in campaign.instruments.all()] == [
            ("PHQ9", 12, 18)
        ]
    assert AuditEvent.objects.filter(object_type="screening.campaign").count() == 3


@pytest.mark.parametrize(
    "role", ["school_admin", "child_director", "social_worker", "analyst", "sysadmin", "auditor"]
)
def test_it_refuses_everyone_else(personas: dict[str, User], school: Any, role: str) -> None:
    with pytest.raises(PermissionDenied):
        _campaign(personas[role], school)
    assert not Campaign.objects.exists()


def test_it_refuses_the_other_schools_teacher_and_another_countys_centre(
    other_personas: dict[str, User], school: Any
) -> None:
    for role in ("school_psych_teacher", "center_staff"):
        with pytest.raises(PermissionDenied):
            _campaign(other_personas[role], school)


def test_it_explains_every_bad_field_and_saves_nothing(
    personas: dict[str, User], school: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        _campaign(
            personas["counselor"],
            school,
            closes_at=OPENS,
            basis=Campaign.Basis.STATUTORY,
            instruments=[("NOPE", 12, 18), ("PHQ9", 18, 12)],
        )
    errors = caught.value.message_dict
    assert set(errors) == {"closes_at", "statutory_basis", "instruments"}
    assert "No instrument has the code NOPE." in errors["instruments"]
    assert not Campaign.objects.exists()


def test_codes_go_to_the_pupils_of_the_right_age_with_consent_where_needed(
    personas: dict[str, User], school: Any, pupils: dict[str, Minor]
) -> None:
    campaign = _campaign(personas["school_psych_teacher"], school)
    assert participants_issue(actor=personas["school_psych_teacher"], campaign=campaign) == 2
    by_minor = {p.minor_id: p for p in campaign.participants.all()}
    # 15 on the opening day: no guardian consent needed; 12: the guardian consents first.
    assert by_minor[pupils["older"].pk].consent == Participant.Consent.NOT_NEEDED
    assert by_minor[pupils["younger"].pk].consent == Participant.Consent.PENDING
    assert pupils["child"].pk not in by_minor  # 8: no instrument for the age
    code = by_minor[pupils["older"].pk].code
    assert len(code) == 10 and set(code) <= set(CODE_ALPHABET)
    assert by_minor[pupils["older"].pk].code_digest == code_digest(code)
    # Issuing again adds nobody and keeps the codes.
    assert participants_issue(actor=personas["school_psych_teacher"], campaign=campaign) == 0
    assert campaign.participants.get(minor=pupils["older"]).code == code


def test_a_code_opens_only_its_open_consented_questionnaire(
    personas: dict[str, User], school: Any, pupils: dict[str, Minor]
) -> None:
    campaign = _campaign(personas["counselor"], school)
    participants_issue(actor=personas["counselor"], campaign=campaign)
    older = campaign.participants.get(minor=pupils["older"])
    younger = campaign.participants.get(minor=pupils["younger"])
    typed = f" {older.code[:5].lower()}-{older.code[5:]} "
    assert participant_by_code(typed, now=DURING) == older
    assert participant_by_code(older.code, now=OPENS - timedelta(minutes=1)) is None
    assert participant_by_code(older.code, now=OPENS + timedelta(days=7)) is None
    assert participant_by_code("0000000000", now=DURING) is None
    assert participant_by_code(younger.code, now=DURING) is None  # no consent yet
    younger.consent = Participant.Consent.GIVEN
    younger.save()
    assert participant_by_code(younger.code, now=DURING) == younger


def test_answers_resume_and_a_second_submit_changes_nothing(
    personas: dict[str, User], school: Any, pupils: dict[str, Minor]
) -> None:
    _resume_and_submit_twice(personas, school, pupils)


@pytest.mark.usefixtures("flushable_audit_log")
def test_committed_answers_resume_and_a_second_submit_changes_nothing(
    personas: dict[str, User], school: Any, pupils: dict[str, Minor]
) -> None:
    # Each save and submit commits for real (a transactional test): on PostgreSQL
    # their writes travel together in a pipeline.
    _resume_and_submit_twice(personas, school, pupils)


def _resume_and_submit_twice(
    personas: dict[str, User], school: Any, pupils: dict[str, Minor]
) -> None:
    campaign = _campaign(personas["counselor"], school)
    participants_issue(actor=personas["counselor"], campaign=campaign)
    older = campaign.participants.get(minor=pupils["older"])
    first = {f"q{n}": value for n, value in enumerate(PHQ9_MODERATE[:4], start=1)}
    response_save(participant=older, code="PHQ9", answers=first)
    older.refresh_from_db()
    assert older.status == Participant.Status.STARTED
    rest = {f"q{n}": value for n, value in enumerate(PHQ9_MODERATE, start=1) if n > 4}
    submitted = response_submit(participant=older, code="PHQ9", answers=rest, idempotency_key="k1")
    assert (submitted.total, submitted.band, submitted.triage) == (10, "moderate", "yellow")
    assert submitted.critical is False and submitted.triage_reasons
    assert json.loads(Response.objects.get().answers) == dict(first, **rest)
    older.refresh_from_db()
    assert older.status == Participant.Status.SUBMITTED
    again = response_submit(participant=older, code="PHQ9", answers={"q9": 3})
    assert again.pk == submitted.pk and again.total == 10 and not again.critical
    assert Response.objects.count() == 1
    with pytest.raises(ValidationError):
        response_save(participant=older, code="PHQ9", answers={"q9": 3})


def test_it_refuses_answers_outside_the_questionnaire(
    personas: dict[str, User], school: Any, pupils: dict[str, Minor]
) -> None:
    campaign = _campaign(personas["counselor"], school)
    participants_issue(actor=personas["counselor"], campaign=campaign)
    older = campaign.participants.get(minor=pupils["older"])
    for code, answers in (("PHQ9", {"q1": 7}), ("PHQ9", {"q99": 1}), ("GAD7", {"q1": 1})):
        with pytest.raises(ValidationError):
            response_save(participant=older, code=code, answers=answers)
    assert not Response.objects.exists()
    # An incomplete questionnaire is not submitted: the problems say what is missing.
    with pytest.raises(ValidationError):
        response_submit(participant=older, code="PHQ9", answers={"q1": 1})
    assert not Response.objects.filter(submitted_at__isnull=False).exists()
