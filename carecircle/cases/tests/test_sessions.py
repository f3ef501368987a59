"""Counseling sessions on a case (issue 7 item 2): who records them, what a session
needs, what the case's page shows, and that no diagnosis is ever stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import ModelMultipleChoiceField
from django.urls import reverse
from django.utils import timezone

from carecircle.audit.models import AuditEvent
from carecircle.cases import services
from carecircle.cases.forms import SessionForm
from carecircle.cases.models import Case, CaseEvent, Kind, Risk, Session, Source
from carecircle.cases.sessions import session_record
from carecircle.cases.tests.test_services import closed
from carecircle.counseling import services as counseling
from carecircle.counseling.models import Appointment, Room, Shift
from carecircle.people.models import Minor
from carecircle.testing.fixtures import _create_minor, build_minor_b

pytestmark = pytest.mark.django_db

NOTE = "孩子愿意谈起与同学的矛盾"
DIAGNOSIS = "重度抑郁障碍F32.2"


@pytest.fixture
def case(personas: dict[str, Any], minor_a: Minor) -> Case:
    return services.case_open(
        actor=personas["counselor"],
        minor=minor_a,
        kind=Kind.COUNSELING,
        source=Source.WALK_IN,
        summary="孩子近期情绪低落，需要辅导。",
        risk=Risk.YELLOW,
    )


def _held() -> Any:
    """Now: the case was opened today, and a session cannot come before its day."""
    return timezone.now()


def _record(actor: Any, case: Case, **fields: Any) -> Session:
    data: dict[str, Any] = {
        "kind": Session.Kind.INDIVIDUAL,
        "held_at": _held(),
        "duration_minutes": 50,
        "counselor": actor,
        "mode": Session.Mode.IN_PERSON,
        "notes": NOTE,
    }
    data.update(fields)
    return session_record(actor=actor, case=case, **data)


def _post_data(who: Any, **fields: Any) -> dict[str, Any]:
    data = {
        "kind": "individual",
        "held_at": timezone.localtime(_held()).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "45",
        "counselor": who.pk,
        "mode": "phone",
        "place": "咨询室1",
        "notes": NOTE,
    }
    data.update(fields)
    return data


def _url(case: Case) -> str:
    return reverse("cases:session", args=[case.pk])


# The service -----------------------------------------------------------------------


def test_the_team_records_a_session_with_the_child_an_event_and_an_audit(personas, case):
    counselor = personas["counselor"]
    session = _record(counselor, case)
    assert session.case == case
    assert session.recorded_by == counselor
    assert list(session.attendees.values_list("minor_id", flat=True)) == [case.minor_id]
    event = CaseEvent.objects.get(case=case, kind="session")
    assert event.details["session"] == session.pk
    audits = AuditEvent.objects.filter(object_type="cases.session", object_id=str(session.pk))
    assert list(audits.values_list("minor_id", flat=True)) == [case.minor_id]


def test_a_family_session_counts_each_child_and_audits_each(personas, district, case):
    sibling = build_minor_b(district)
    session = _record(
        personas["counselor"],
        case,
        kind=Session.Kind.FAMILY,
        other_minors=[sibling, case.minor],
        other_attendees="母亲、外婆",
    )
    assert set(session.attendees.values_list("minor_id", flat=True)) == {
        case.minor_id,
        sibling.pk,
    }
    audits = AuditEvent.objects.filter(object_type="cases.session", object_id=str(session.pk))
    assert set(audits.values_list("minor_id", flat=True)) == {case.minor_id, sibling.pk}
    session.refresh_from_db()
    assert session.other_attendees == "母亲、外婆"


def test_only_the_team_records_a_session(personas, case):
    with pytest.raises(PermissionDenied):
        _record(personas["center_staff"], case, counselor=personas["counselor"])
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("field", "fields"),
    [
        ("held_at", {"held_at": timezone.now() + timedelta(hours=2)}),
        ("held_at", {"held_at": timezone.now() - timedelta(days=30)}),
        ("duration_minutes", {"duration_minutes": 0}),
        ("duration_minutes", {"duration_minutes": 481}),
        ("kind", {"kind": "diagnosis"}),
        ("mode", {"mode": "letter"}),
    ],
)
def test_bad_input_records_nothing(personas, case, english, field, fields):
    with pytest.raises(ValidationError) as caught:
        _record(personas["counselor"], case, **fields)
    assert field in caught.value.message_dict
    assert not Session.objects.exists()
    assert not CaseEvent.objects.filter(kind="session").exists()


def test_the_counselor_must_be_on_the_team(personas, case, english):
    with pytest.raises(ValidationError) as caught:
        _record(personas["counselor"], case, counselor=personas["social_worker"])
    assert "counselor" in caught.value.message_dict
    assert not Session.objects.exists()


def test_other_children_need_a_family_or_group_session_and_must_be_readable(
    personas, district, case, english
):
    sibling = build_minor_b(district)
    with pytest.raises(ValidationError) as caught:
        _record(personas["counselor"], case, other_minors=[sibling])
    assert "other_minors" in caught.value.message_dict
    stranger = _create_minor(name="王小军", sex="M", birth_date=case.minor.birth_date,
                             area_code="431102001001", id_number="431102201405010011")  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        _record(personas["counselor"], case, kind=Session.Kind.GROUP, other_minors=[stranger])
    assert "other_minors" in caught.value.message_dict
    assert not Session.objects.exists()


def test_a_closed_case_takes_no_session(personas, case, english):
    closed(case, personas["counselor"], personas["center_staff"])
    with pytest.raises(ValidationError):
        _record(personas["counselor"], case)
    assert not Session.objects.exists()


# No diagnosis -----------------------------------------------------------------------


def test_there_is_no_diagnosis_field_anywhere():
    assert not [name for name in SessionForm.base_fields if "diagnos" in name]
    model_fields = [f.name for f in Session._meta.get_fields()]
    assert not [name for name in model_fields if "diagnos" in name]


def test_posting_a_diagnosis_stores_nothing_of_it(client_for, personas, case):
    counselor = personas["counselor"]
    data = _post_data(counselor, diagnosis=DIAGNOSIS, notes=NOTE)
    response = client_for(counselor).post(_url(case), data)
    assert response.status_code == 302
    session = Session.objects.get()
    stored = [session.notes, session.other_attendees, session.place]
    assert not [value for value in stored if DIAGNOSIS in value]
    assert not [e for e in CaseEvent.objects.filter(case=case) if DIAGNOSIS in str(e.details)]
    assert not AuditEvent.objects.filter(details__icontains="F32").exists()


# The page -------------------------------------------------------------------------


def test_a_counselor_records_a_session_from_the_case_page(client_for, personas, case):
    counselor = personas["counselor"]
    response = client_for(counselor).post(_url(case), _post_data(counselor))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    session = Session.objects.get()
    assert session.mode == Session.Mode.PHONE
    assert session.duration_minutes == 45
    assert session.place == "咨询室1"


def test_bad_input_on_the_page_is_a_400_with_the_errors_and_changes_nothing(
    client_for, personas, case, english
):
    counselor = personas["counselor"]
    future = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client = client_for(counselor)
    response = client.post(_url(case), _post_data(counselor, held_at=future))
    assert response.status_code == 400
    assert "once it has been held" in response.content.decode()
    response = client.post(_url(case), _post_data(counselor, duration_minutes="600"))
    assert response.status_code == 400
    response = client.post(_url(case), _post_data(counselor, counselor=personas["auditor"].pk))
    assert response.status_code == 400
    assert not Session.objects.exists()


def test_the_page_refuses_anonymous_wrong_roles_supervisors_out_of_scope_and_get(
    client, client_for, personas, other_personas, case
):
    url = _url(case)
    data = _post_data(personas["counselor"])
    assert client.post(url, data).status_code == 302
    assert client_for(personas["auditor"]).post(url, data).status_code == 403
    # A supervisor reads the case but did not hold the session.
    assert client_for(personas["center_staff"]).post(url, data).status_code == 403
    assert client_for(other_personas["center_staff"]).post(url, data).status_code == 404
    assert client_for(personas["social_worker"]).post(url, data).status_code == 404
    assert client_for(personas["counselor"]).get(url).status_code == 405
    assert not Session.objects.exists()


def test_the_case_page_shows_sessions_with_notes_to_the_team_and_supervisors(
    client_for, personas, case, english
):
    _record(personas["counselor"], case, place="咨询室2")
    page = client_for(personas["counselor"]).get(reverse("cases:detail", args=[case.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert NOTE in html and "咨询室2" in html
    assert "Record a session" in html and _url(case) in html
    page = client_for(personas["center_staff"]).get(reverse("cases:detail", args=[case.pk]))
    html = page.content.decode()
    assert NOTE in html
    assert _url(case) not in html  # the supervisor reads, the team records


def test_the_form_offers_the_household_and_the_users_other_cases_only(personas, district, case):
    from carecircle.people.models import Household

    counselor = personas["counselor"]
    home = Household.objects.create(area_code=case.minor.area_code)
    Minor.objects.filter(pk=case.minor_id).update(household=home)
    case.minor.refresh_from_db()
    sibling = _create_minor(
        name="张小红", sex="F", birth_date=case.minor.birth_date, area_code=case.minor.area_code,
        household=home,
    )  # fmt: skip
    stranger = _create_minor(
        name="李四", sex="M", birth_date=case.minor.birth_date, area_code=case.minor.area_code
    )
    other = build_minor_b(district)
    services.case_open(
        actor=counselor, minor=other, kind=Kind.COUNSELING, source=Source.WALK_IN,
        summary="另一名孩子前来咨询", risk=Risk.GREEN,
    )  # fmt: skip
    field = SessionForm(user=counselor, case=case).fields["other_minors"]
    assert isinstance(field, ModelMultipleChoiceField)
    offered = set(field.queryset or ())
    # The sibling and the child of the counselor's other case, never the whole district.
    assert offered == {sibling, other}
    assert stranger not in offered


# The room and the rota slot (issue 7 item 4) -----------------------------------------


@pytest.fixture
def room(personas: dict[str, Any], district: dict[str, Any]) -> Room:
    return counseling.room_add(
        actor=personas["center_staff"],
        name="心理辅导室",
        kind=Room.Kind.SCHOOL,
        organisation=district["orgs"]["school_A"],
    )


def _booked(personas: dict[str, Any], room: Room, case: Case, *, begun: bool = True) -> Any:
    """An appointment of the case in a slot that began five minutes ago (or starts in
    an hour). Shifts already begun are not put on the rota through the service."""
    start = timezone.now().replace(second=0, microsecond=0) + (
        timedelta(minutes=-5) if begun else timedelta(hours=1)
    )
    shift = Shift.objects.create(
        room=room,
        counselor=personas["counselor"],
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        slot_minutes=50,
        created_by=personas["center_staff"],
    )
    return counseling.appointment_book(
        actor=personas["counselor"], shift=shift, case=case, starts_at=start
    )


def test_a_session_in_a_slot_takes_its_room_and_marks_it_held(personas, room, case):
    appointment = _booked(personas, room, case)
    session = _record(personas["counselor"], case, appointment=appointment)
    assert session.room == room
    assert session.appointment == appointment
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.HELD
    event = CaseEvent.objects.get(case=case, kind="session")
    assert event.details["appointment"] == appointment.pk
    assert AuditEvent.objects.filter(
        object_type="counseling.appointment", object_id=str(appointment.pk), details__status="held"
    ).exists()


def test_a_slot_has_one_session_at_most(personas, room, case, english):
    appointment = _booked(personas, room, case)
    _record(personas["counselor"], case, appointment=appointment)
    with pytest.raises(ValidationError) as caught:
        _record(personas["counselor"], case, appointment=appointment)
    assert "already recorded" in " ".join(caught.value.message_dict["appointment"])
    assert Session.objects.count() == 1


def test_a_race_for_the_slot_is_caught_by_the_one_to_one(
    personas, room, case, english, monkeypatch
):
    appointment = _booked(personas, room, case)
    first = _record(personas["counselor"], case, appointment=appointment)
    # The second recording checked the slot before the first one's row was written.
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.BOOKED)
    monkeypatch.setattr(
        "carecircle.cases.sessions.Session.objects.filter",
        lambda **kw: Session.objects.none(),
    )
    with pytest.raises(ValidationError) as caught:
        _record(personas["counselor"], case, appointment=appointment)
    assert "appointment" in caught.value.message_dict
    assert list(Session.objects.all()) == [first]


def test_a_slot_not_begun_cancelled_or_of_another_case_takes_no_session(
    personas, room, case, minor_b, english
):
    later = _booked(personas, room, case, begun=False)
    with pytest.raises(ValidationError) as caught:
        _record(personas["counselor"], case, appointment=later)
    assert "appointment" in caught.value.message_dict
    counseling.appointment_cancel(actor=personas["counselor"], appointment=later, reason="改约")
    with pytest.raises(ValidationError):
        _record(personas["counselor"], case, appointment=later)
    other = services.case_open(
        actor=personas["counselor"], minor=minor_b, kind=Kind.COUNSELING,
        source=Source.WALK_IN, summary="另一名孩子前来咨询", risk=Risk.GREEN,
    )  # fmt: skip
    theirs = _booked(personas, room, other)
    with pytest.raises(ValidationError):
        _record(personas["counselor"], case, appointment=theirs)
    assert not Session.objects.exists()
    theirs.refresh_from_db()
    assert theirs.status == Appointment.Status.BOOKED


def test_a_room_must_be_one_the_recorder_sees(personas, other_personas, case, english):
    from carecircle.accounts.models import Organisation
    from carecircle.regions.models import Division

    school_c = Organisation.objects.create(
        name="C-school", kind="school", division=Division.objects.get(prefix="431102001")
    )
    far = counseling.room_add(
        actor=other_personas["center_staff"], name="远处的咨询室", kind="school",
        organisation=school_c,
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        _record(personas["counselor"], case, room=far)
    assert "room" in caught.value.message_dict
    assert not Session.objects.exists()


def test_the_form_offers_the_rooms_the_user_sees_and_the_cases_booked_slots(personas, room, case):
    appointment = _booked(personas, room, case)
    form = SessionForm(user=personas["counselor"], case=case)
    assert list(form.fields["room"].queryset) == [room]  # type: ignore[attr-defined]
    assert list(form.fields["appointment"].queryset) == [appointment]  # type: ignore[attr-defined]
