"""The case workflow (cases/services.py): every step guarded, audited, and refused
cleanly when it may not be taken."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.cases import services
from carecircle.cases.models import (
    Case,
    CaseEvent,
    CaseMember,
    CaseTask,
    Kind,
    Risk,
    Source,
    Status,
)
from carecircle.cases.permissions import cases_visible_to
from carecircle.notifications.models import OutboxMessage
from carecircle.people.models import Minor
from carecircle.people.permissions import minors_visible_to
from carecircle.screening.models import KeyTarget
from carecircle.testing.fixtures import build_minor_b, make_user
from carecircle.tips.models import TipMinor
from carecircle.tips.tests.factories import tip
from carecircle.visits.tests.factories import visit

pytestmark = pytest.mark.django_db

SUMMARY = "孩子近两周情绪低落，多次在课堂上哭泣。"
REASONS = "孩子说过不想活了，有具体计划。"
NOT_OPENERS = (
    "family_educator",
    "lawyer",
    "child_supervisor",
    "child_director",
    "school_admin",
    "hospital_clinician",
    "agency_officer",
    "hotline_operator",
    "volunteer",
    "auditor",
    "analyst",
    "sysadmin",
)
# The fields an illegal step must leave alone.
STATE = ("status", "closure_requested_by_id", "closed_by_id", "closed_at", "reopened")


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def open_case(actor: User, minor: Minor, **fields: Any) -> Case:
    values: dict[str, Any] = {
        "kind": Kind.COUNSELING,
        "source": Source.WALK_IN,
        "summary": SUMMARY,
        "risk": Risk.YELLOW,
    }
    values.update(fields)
    return services.case_open(actor=actor, minor=minor, **values)


def state(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    return tuple(getattr(case, name) for name in STATE)


def events(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))


def to_review(case: Case, actor: User) -> Case:
    """Intake → assessment → plan → intervention → review, with what each step needs."""
    services.case_transition(actor=actor, case=case, to=Status.ASSESSMENT)
    services.case_record_plan(actor=actor, case=case, assessment="评估：轻度抑郁情绪。")
    services.case_transition(actor=actor, case=case, to=Status.PLANNING)
    services.case_record_plan(
        actor=actor,
        case=case,
        goals="情绪稳定，按时上学。",
        services="每周一次个体咨询。",
        review_on=timezone.localdate() + timedelta(days=30),
    )
    services.case_transition(actor=actor, case=case, to=Status.INTERVENTION)
    return services.case_transition(actor=actor, case=case, to=Status.REVIEW)


def to_closure_pending(case: Case, actor: User) -> Case:
    to_review(case, actor)
    services.case_record_plan(actor=actor, case=case, closure_note="目标达成，孩子情绪稳定。")
    return services.case_transition(actor=actor, case=case, to=Status.CLOSURE_PENDING)


def closed(case: Case, actor: User, approver: User) -> Case:
    to_closure_pending(case, actor)
    return services.case_transition(actor=approver, case=case, to=Status.CLOSED)


def fresh(user: User) -> User:
    """The user as a new request would load them (no cached team access)."""
    return User.objects.get(pk=user.pk)


# Opening ---------------------------------------------------------------------------


def test_the_opener_becomes_the_owner_and_the_opening_is_recorded(
    personas: Any, minor_a: Minor
) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    assert case.status == Status.INTAKE
    assert case.area_code == minor_a.area_code
    assert case.opened_by == counselor
    assert case.number.startswith(f"C{case.opened_at:%Y%m%d}-")
    [member] = case.members.all()
    assert (member.user, member.is_owner, member.role) == (counselor, True, "counselor")
    assert events(case) == ["opened"]
    audit = AuditEvent.objects.get(object_type="cases.case", object_id=case.pk)
    assert audit.action == AuditEvent.Action.CREATE
    assert audit.minor_id == minor_a.pk


@pytest.mark.parametrize(
    "role", ["counselor", "social_worker", "center_staff", "district_admin", "school_psych_teacher"]
)
def test_each_opening_role_opens_a_case_for_a_child_it_reads(
    personas: Any, minor_a: Minor, role: str
) -> None:
    case = open_case(personas[role], minor_a)
    assert case.members.get().user == personas[role]


@pytest.mark.parametrize("role", NOT_OPENERS)
def test_other_roles_cannot_open_a_case(personas: Any, minor_a: Minor, role: str) -> None:
    with pytest.raises(PermissionDenied, match="do not allow opening cases"):
        open_case(personas[role], minor_a)
    assert not Case.objects.exists()


def test_a_child_the_opener_cannot_read_is_refused(other_personas: Any, minor_a: Minor) -> None:
    with pytest.raises(ValidationError, match="Choose a child you may read"):
        open_case(other_personas["counselor"], minor_a)
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "diagnosis", "Choose the type of case"),
        ("source", "rumour", "Say where the case came from"),
        ("risk", "purple", "Choose a risk level"),
        ("summary", "  短  ", "Say in a sentence or two"),
    ],
)
def test_bad_input_opens_nothing(
    personas: Any, minor_a: Minor, field: str, value: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        open_case(personas["counselor"], minor_a, **{field: value})
    assert not Case.objects.exists()
    assert not CaseMember.objects.exists()


def test_one_open_case_per_child_and_type(personas: Any, minor_a: Minor) -> None:
    first = open_case(personas["counselor"], minor_a)
    with pytest.raises(ValidationError, match="already has an open case of this type"):
        open_case(personas["social_worker"], minor_a)
    assert Case.objects.count() == 1
    # Another type is another case; after closure the same type opens again.
    open_case(personas["social_worker"], minor_a, kind=Kind.LEGAL_AID)
    closed(first, personas["counselor"], personas["center_staff"])
    again = open_case(personas["social_worker"], minor_a)
    assert again.pk != first.pk


def test_a_case_from_a_key_target_links_back_to_it(personas: Any, minor_a: Minor) -> None:
    target = KeyTarget.objects.create(
        minor=minor_a, confirmed_by=personas["counselor"], confirmed_at=timezone.now()
    )
    case = open_case(personas["counselor"], minor_a, source=Source.KEY_TARGET, source_target=target)
    assert case.source_target == target
    assert list(target.cases.all()) == [case]


def test_a_key_target_of_another_child_is_refused(
    personas: Any, district: Any, minor_a: Minor
) -> None:
    other = build_minor_b(district)
    target = KeyTarget.objects.create(
        minor=other, confirmed_by=personas["counselor"], confirmed_at=timezone.now()
    )
    with pytest.raises(ValidationError, match="key assistance target is another child"):
        open_case(personas["counselor"], minor_a, source=Source.KEY_TARGET, source_target=target)
    assert not Case.objects.exists()


def test_a_visit_must_have_seen_the_child(personas: Any, district: Any, minor_a: Minor) -> None:
    other = build_minor_b(district)
    elsewhere = visit(date(2026, 3, 2), other)
    with pytest.raises(ValidationError, match="not seen on that visit"):
        open_case(personas["counselor"], minor_a, source=Source.VISIT, source_visit=elsewhere)
    assert not Case.objects.exists()
    seen = visit(date(2026, 3, 3), minor_a)
    case = open_case(personas["counselor"], minor_a, source=Source.VISIT, source_visit=seen)
    assert list(seen.cases.all()) == [case]


def test_a_report_must_have_the_child_linked(personas: Any, minor_a: Minor) -> None:
    report = tip()
    with pytest.raises(ValidationError, match="Link the child to the report first"):
        open_case(personas["counselor"], minor_a, source=Source.TIP, source_tip=report)
    assert not Case.objects.exists()
    TipMinor.objects.create(tip=report, minor=minor_a, linked_by=personas["center_staff"])
    # A counselor who does not handle the report cannot open a case from it.
    with pytest.raises(ValidationError, match="You cannot read that report"):
        open_case(personas["counselor"], minor_a, source=Source.TIP, source_tip=report)
    case = open_case(personas["center_staff"], minor_a, source=Source.TIP, source_tip=report)
    assert list(report.cases.all()) == [case]


# The state machine -----------------------------------------------------------------


def test_a_case_walks_the_whole_workflow_and_back(personas: Any, minor_a: Minor) -> None:
    counselor, desk, admin = (
        personas["counselor"],
        personas["center_staff"],
        personas["district_admin"],
    )
    case = open_case(counselor, minor_a)
    to_review(case, counselor)
    # Review may send the case back to intervention.
    services.case_transition(actor=counselor, case=case, to=Status.INTERVENTION)
    services.case_transition(actor=counselor, case=case, to=Status.REVIEW)
    services.case_record_plan(actor=counselor, case=case, closure_note="目标达成，孩子情绪稳定。")
    services.case_transition(actor=counselor, case=case, to=Status.CLOSURE_PENDING)
    assert state(case)[:2] == (Status.CLOSURE_PENDING, counselor.pk)
    # A supervisor refuses, with a reason; the team asks again; another approves.
    services.case_transition(actor=desk, case=case, to=Status.REVIEW, note="还需再跟进一个月。")
    services.case_transition(actor=counselor, case=case, to=Status.CLOSURE_PENDING)
    services.case_transition(actor=admin, case=case, to=Status.CLOSED)
    case.refresh_from_db()
    assert (case.status, case.closed_by, case.is_open) == (Status.CLOSED, admin, False)
    assert case.closed_at is not None
    # Reopened with a reason: back to assessment, closure cleared.
    services.case_transition(actor=desk, case=case, to=Status.ASSESSMENT, note="孩子再次出现厌学。")
    case.refresh_from_db()
    assert (case.status, case.reopened, case.closed_at, case.closed_by) == (
        Status.ASSESSMENT,
        1,
        None,
        None,
    )
    steps = [
        (e.details["from"], e.details["to"])
        for e in CaseEvent.objects.filter(case=case, kind="transition").order_by("pk")
    ]
    assert steps == [
        ("intake", "assessment"),
        ("assessment", "planning"),
        ("planning", "intervention"),
        ("intervention", "review"),
        ("review", "intervention"),
        ("intervention", "review"),
        ("review", "closure_pending"),
        ("closure_pending", "review"),
        ("review", "closure_pending"),
        ("closure_pending", "closed"),
        ("closed", "assessment"),
    ]
    texts = [e.text for e in CaseEvent.objects.filter(case=case, kind="transition").order_by("pk")]
    assert texts[7] == "还需再跟进一个月。"
    assert texts[10] == "孩子再次出现厌学。"
    # Every step is in the audit log, with the child.
    updates = AuditEvent.objects.filter(
        object_type="cases.case", object_id=case.pk, action=AuditEvent.Action.UPDATE
    )
    assert updates.filter(details__status__isnull=False).count() == len(steps)
    assert set(updates.values_list("minor_id", flat=True)) == {minor_a.pk}


ILLEGAL = [
    (start, to)
    for start in Status.values
    for to in [*Status.values, "nowhere"]
    if to not in services.TRANSITIONS[start]
]


@pytest.mark.parametrize(("start", "to"), ILLEGAL)
def test_every_step_outside_the_state_machine_is_refused_and_changes_nothing(
    personas: Any, minor_a: Minor, start: str, to: str
) -> None:
    case = open_case(personas["counselor"], minor_a)
    Case.objects.filter(pk=case.pk).update(status=start)
    before, logged = state(case), events(case)
    with pytest.raises(ValidationError, match="A case cannot go from"):
        services.case_transition(
            actor=personas["center_staff"], case=case, to=to, note="一个足够长的理由。"
        )
    assert state(case) == before
    assert events(case) == logged


def test_the_refusal_names_both_states(personas: Any, minor_a: Minor) -> None:
    case = open_case(personas["counselor"], minor_a)
    with pytest.raises(ValidationError) as caught:
        services.case_transition(actor=personas["counselor"], case=case, to=Status.CLOSED)
    assert caught.value.messages == ["A case cannot go from Intake to Closed."]


@pytest.mark.parametrize(
    ("start", "to", "message"),
    [
        (Status.ASSESSMENT, Status.PLANNING, "Record the assessment before planning"),
        (Status.PLANNING, Status.INTERVENTION, "goals and a review date first"),
        (Status.REVIEW, Status.CLOSURE_PENDING, "Write the closure note"),
    ],
)
def test_a_step_needs_what_comes_before_it(
    personas: Any, minor_a: Minor, start: str, to: str, message: str
) -> None:
    case = open_case(personas["counselor"], minor_a)
    Case.objects.filter(pk=case.pk).update(status=start)
    with pytest.raises(ValidationError, match=message):
        services.case_transition(actor=personas["counselor"], case=case, to=to)
    assert state(case)[0] == start


def test_goals_without_a_review_date_do_not_start_the_intervention(
    personas: Any, minor_a: Minor
) -> None:
    case = open_case(personas["counselor"], minor_a)
    Case.objects.filter(pk=case.pk).update(status=Status.PLANNING, goals="按时上学。")
    with pytest.raises(ValidationError, match="goals and a review date"):
        services.case_transition(actor=personas["counselor"], case=case, to=Status.INTERVENTION)


def test_a_case_in_crisis_or_with_open_tasks_cannot_ask_to_close(
    personas: Any, minor_a: Minor
) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    to_review(case, counselor)
    services.case_record_plan(actor=counselor, case=case, closure_note="目标达成，孩子情绪稳定。")
    task = services.case_add_task(
        actor=counselor,
        case=case,
        title="联系班主任了解近况",
        assigned_to=counselor,
        due_on=timezone.localdate(),
    )
    with pytest.raises(ValidationError, match="open tasks first"):
        services.case_transition(actor=counselor, case=case, to=Status.CLOSURE_PENDING)
    services.case_complete_task(actor=counselor, task=task, note="已与班主任面谈。")
    services.case_set_risk(actor=counselor, case=case, risk=Risk.RED_CRITICAL, reasons=REASONS)
    with pytest.raises(ValidationError, match="A case in crisis cannot close"):
        services.case_transition(actor=counselor, case=case, to=Status.CLOSURE_PENDING)
    assert state(case)[0] == Status.REVIEW


def test_team_steps_are_refused_to_those_off_the_team(
    personas: Any, other_personas: Any, minor_a: Minor
) -> None:
    case = open_case(personas["counselor"], minor_a)
    for outsider in (personas["social_worker"], other_personas["center_staff"]):
        with pytest.raises(PermissionDenied, match="not on this case's team"):
            services.case_transition(actor=outsider, case=case, to=Status.ASSESSMENT)
    assert state(case)[0] == Status.INTAKE
    # A supervisor over the division works the case without being on the team.
    services.case_transition(actor=personas["center_staff"], case=case, to=Status.ASSESSMENT)


def test_closure_is_approved_only_by_a_supervisor_who_did_not_ask(
    personas: Any, other_personas: Any, minor_a: Minor
) -> None:
    desk = personas["center_staff"]
    case = open_case(desk, minor_a)
    to_closure_pending(case, desk)
    before = state(case)
    for who, error, message in (
        (desk, PermissionDenied, "other than who asked"),
        (personas["counselor"], PermissionDenied, "Only a supervisor"),
        (other_personas["center_staff"], PermissionDenied, "Only a supervisor"),
    ):
        with pytest.raises(error, match=message):
            services.case_transition(actor=who, case=case, to=Status.CLOSED)
        assert state(case) == before
    services.case_transition(actor=personas["district_admin"], case=case, to=Status.CLOSED)
    assert state(case)[0] == Status.CLOSED


def test_a_refused_closure_and_a_reopening_need_a_reason(personas: Any, minor_a: Minor) -> None:
    counselor, desk = personas["counselor"], personas["center_staff"]
    case = open_case(counselor, minor_a)
    to_closure_pending(case, counselor)
    before = state(case)
    with pytest.raises(ValidationError, match="why the closure is refused"):
        services.case_transition(actor=desk, case=case, to=Status.REVIEW, note="不")
    assert state(case) == before
    services.case_transition(actor=desk, case=case, to=Status.CLOSED)
    before = state(case)
    with pytest.raises(ValidationError, match="why the case is reopened"):
        services.case_transition(actor=desk, case=case, to=Status.ASSESSMENT, note="  ")
    with pytest.raises(PermissionDenied, match="Only a supervisor"):
        services.case_transition(
            actor=counselor, case=case, to=Status.ASSESSMENT, note="孩子再次出现厌学。"
        )
    assert state(case) == before


def test_reopening_while_another_case_of_the_type_is_open_is_a_clear_refusal(
    personas: Any, minor_a: Minor
) -> None:
    counselor, desk = personas["counselor"], personas["center_staff"]
    first = closed(open_case(counselor, minor_a), counselor, desk)
    open_case(counselor, minor_a)
    with pytest.raises(ValidationError):
        services.case_transition(
            actor=desk, case=first, to=Status.ASSESSMENT, note="再次开案跟进。"
        )


def test_asking_to_close_tells_the_supervisors(personas: Any, minor_a: Minor) -> None:
    case = open_case(personas["counselor"], minor_a)
    to_closure_pending(case, personas["counselor"])
    message = OutboxMessage.objects.get(payload__title="A case asks to be closed")
    assert personas["center_staff"].pk in message.payload["recipients"]
    assert personas["district_admin"].pk in message.payload["recipients"]
    assert minor_a.name not in message.payload["body"]
    assert case.number in message.payload["body"]


# The plan --------------------------------------------------------------------------


def test_the_plan_is_recorded_by_the_team_and_audited_by_field_name(
    personas: Any, minor_a: Minor
) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    review = timezone.localdate() + timedelta(days=14)
    services.case_record_plan(actor=counselor, case=case, goals="按时上学。", review_on=review)
    case.refresh_from_db()
    assert (case.goals, case.review_on) == ("按时上学。", review)
    event = CaseEvent.objects.get(case=case, kind="plan")
    assert event.details == {"fields": ["goals", "review_on"]}
    audit = AuditEvent.objects.filter(object_type="cases.case", details__fields__isnull=False)
    assert audit.get().minor_id == minor_a.pk
    assert "按时上学" not in str(audit.get().details)


def test_a_review_date_in_the_past_is_refused(personas: Any, minor_a: Minor) -> None:
    case = open_case(personas["counselor"], minor_a)
    with pytest.raises(ValidationError, match="review date cannot be in the past"):
        services.case_record_plan(
            actor=personas["counselor"],
            case=case,
            goals="按时上学。",
            review_on=timezone.localdate() - timedelta(days=1),
        )
    case.refresh_from_db()
    assert (case.goals, case.review_on) == ("", None)
    # Today is not in the past.
    services.case_record_plan(
        actor=personas["counselor"], case=case, review_on=timezone.localdate()
    )


def test_a_plan_that_changes_nothing_or_from_outside_or_on_a_closed_case_is_refused(
    personas: Any, minor_a: Minor
) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    services.case_record_plan(actor=counselor, case=case, goals="按时上学。")
    with pytest.raises(ValidationError, match="Nothing was changed"):
        services.case_record_plan(actor=counselor, case=case, goals=" 按时上学。 ")
    with pytest.raises(PermissionDenied):
        services.case_record_plan(actor=personas["social_worker"], case=case, goals="别的目标。")
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    with pytest.raises(ValidationError, match="reopen it first"):
        services.case_record_plan(actor=counselor, case=case, goals="别的目标。")
    case.refresh_from_db()
    assert case.goals == "按时上学。"


# The team --------------------------------------------------------------------------


def test_the_owner_adds_a_lawyer_who_reaches_the_child_until_the_case_closes(
    personas: Any, minor_a: Minor
) -> None:
    counselor, lawyer = personas["counselor"], personas["lawyer"]
    assert not minors_visible_to(fresh(lawyer)).filter(pk=minor_a.pk).exists()
    case = open_case(counselor, minor_a, kind=Kind.LEGAL_AID)
    member = services.case_add_member(actor=counselor, case=case, user=lawyer)
    assert (member.role, member.is_owner) == ("lawyer", False)
    assert minors_visible_to(fresh(lawyer)).filter(pk=minor_a.pk).exists()
    assert cases_visible_to(fresh(lawyer)).filter(pk=case.pk).exists()
    notice = OutboxMessage.objects.get(payload__title="You were added to a case's team")
    assert notice.payload["recipients"] == [lawyer.pk]
    closed(case, counselor, personas["center_staff"])
    assert not minors_visible_to(fresh(lawyer)).filter(pk=minor_a.pk).exists()


def test_a_removed_member_no_longer_reaches_the_child(personas: Any, minor_a: Minor) -> None:
    counselor, lawyer = personas["counselor"], personas["lawyer"]
    case = open_case(counselor, minor_a, kind=Kind.LEGAL_AID)
    member = services.case_add_member(actor=counselor, case=case, user=lawyer)
    services.case_remove_member(actor=personas["center_staff"], case=case, member=member)
    member.refresh_from_db()
    assert member.left_at is not None
    assert not minors_visible_to(fresh(lawyer)).filter(pk=minor_a.pk).exists()
    assert not cases_visible_to(fresh(lawyer)).filter(pk=case.pk).exists()
    assert events(case)[-2:] == ["member_added", "member_removed"]
    # They may be added again.
    services.case_add_member(actor=counselor, case=case, user=lawyer)


def test_only_the_owner_or_a_supervisor_changes_the_team(
    personas: Any, other_personas: Any, minor_a: Minor
) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    worker = services.case_add_member(
        actor=personas["center_staff"], case=case, user=personas["social_worker"]
    )
    for who in (personas["social_worker"], other_personas["center_staff"], personas["lawyer"]):
        with pytest.raises(PermissionDenied, match="Only the owner or a supervisor"):
            services.case_add_member(actor=who, case=case, user=personas["volunteer"])
        with pytest.raises(PermissionDenied, match="Only the owner or a supervisor"):
            services.case_remove_member(actor=who, case=case, member=worker)
    assert case.members.filter(left_at__isnull=True).count() == 2


def test_bad_team_changes_are_refused(personas: Any, minor_a: Minor) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    other = open_case(counselor, minor_a, kind=Kind.WELFARE)
    nobody = make_user("no_roles")
    with pytest.raises(ValidationError, match="holds a role"):
        services.case_add_member(actor=counselor, case=case, user=nobody)
    with pytest.raises(ValidationError, match="already on the team"):
        services.case_add_member(actor=counselor, case=case, user=counselor)
    with pytest.raises(ValidationError, match="their role on the team"):
        services.case_add_member(
            actor=counselor, case=case, user=personas["volunteer"], role="boss"
        )
    owner = case.members.get(is_owner=True)
    with pytest.raises(ValidationError, match="The owner stays on the team"):
        services.case_remove_member(actor=counselor, case=case, member=owner)
    with pytest.raises(ValidationError, match="not on the team"):
        services.case_remove_member(
            actor=counselor, case=case, member=other.members.get(is_owner=True)
        )
    assert case.members.filter(left_at__isnull=True).count() == 1
    assert events(case) == ["opened"]


def test_a_member_takes_the_role_they_hold(personas: Any, minor_a: Minor) -> None:
    case = open_case(personas["center_staff"], minor_a)
    assert case.members.get().role == CaseMember.Role.OTHER
    for role, expected in (
        ("volunteer", "volunteer"),
        ("family_educator", "family_educator"),
        ("school_psych_teacher", "teacher"),
        ("analyst", "other"),
    ):
        member = services.case_add_member(
            actor=personas["center_staff"], case=case, user=personas[role]
        )
        assert member.role == expected


# Risk and the crisis protocol --------------------------------------------------------


def crisis_tasks(case: Case) -> Any:
    return CaseTask.objects.filter(case=case, kind=CaseTask.Kind.CRISIS_FOLLOW_UP)


def test_a_case_opened_in_crisis_gets_its_daily_follow_up_and_alerts_the_supervisors(
    personas: Any, minor_a: Minor
) -> None:
    before = timezone.now()
    case = open_case(personas["social_worker"], minor_a, kind=Kind.CRISIS, risk=Risk.RED_CRITICAL)
    [task] = crisis_tasks(case)
    assert task.assigned_to == personas["social_worker"]
    assert task.status == CaseTask.Status.OPEN
    assert before + timedelta(days=1) <= task.due_at <= timezone.now() + timedelta(days=1)
    alert = OutboxMessage.objects.get(payload__title="A case is in crisis")
    assert alert.payload["level"] == "urgent"
    assert set(alert.payload["recipients"]) == {
        personas["center_staff"].pk,
        personas["district_admin"].pk,
    }
    assert minor_a.name not in str(alert.payload)


def test_the_follow_up_renews_each_day_until_the_risk_is_lowered(
    personas: Any, minor_a: Minor
) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    assert not crisis_tasks(case).exists()
    services.case_set_risk(actor=counselor, case=case, risk=Risk.RED_CRITICAL, reasons=REASONS)
    [first] = crisis_tasks(case)
    done = services.case_complete_task(actor=counselor, task=first, note="电话随访，孩子情绪平稳。")
    [following] = crisis_tasks(case).filter(status=CaseTask.Status.OPEN)
    assert following.pk != first.pk
    assert done.done_at is not None
    assert following.due_at == done.done_at + timedelta(days=1)
    assert following.assigned_to == counselor
    services.case_set_risk(
        actor=counselor, case=case, risk=Risk.RED, reasons="已住院治疗，情况稳定。"
    )
    following.refresh_from_db()
    assert following.status == CaseTask.Status.DONE
    assert following.done_by == counselor
    assert following.done_note == "The crisis ended: risk lowered."
    assert not crisis_tasks(case).filter(status=CaseTask.Status.OPEN).exists()
    risk_events = CaseEvent.objects.filter(case=case, kind="risk").order_by("pk")
    assert [(e.details["from"], e.details["to"]) for e in risk_events] == [
        ("yellow", "red_critical"),
        ("red_critical", "red"),
    ]


def test_a_follow_up_done_after_the_crisis_schedules_nothing(personas: Any, minor_a: Minor) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a, risk=Risk.RED_CRITICAL)
    [task] = crisis_tasks(case)
    Case.objects.filter(pk=case.pk).update(risk=Risk.RED)
    services.case_complete_task(actor=counselor, task=task, note="电话随访，孩子情绪平稳。")
    assert crisis_tasks(case).count() == 1


@pytest.mark.parametrize(
    ("risk", "reasons", "message"),
    [
        (Risk.YELLOW, REASONS, "Choose a new risk level"),
        ("purple", REASONS, "Choose a new risk level"),
        (Risk.RED, "差", "Give the reasons"),
    ],
)
def test_a_bad_risk_change_is_refused(
    personas: Any, minor_a: Minor, risk: str, reasons: str, message: str
) -> None:
    case = open_case(personas["counselor"], minor_a)
    with pytest.raises(ValidationError, match=message):
        services.case_set_risk(actor=personas["counselor"], case=case, risk=risk, reasons=reasons)
    case.refresh_from_db()
    assert case.risk == Risk.YELLOW
    assert events(case) == ["opened"]


def test_the_risk_of_a_closed_case_or_by_an_outsider_is_refused(
    personas: Any, minor_a: Minor
) -> None:
    case = open_case(personas["counselor"], minor_a)
    with pytest.raises(PermissionDenied):
        services.case_set_risk(
            actor=personas["social_worker"], case=case, risk=Risk.RED, reasons=REASONS
        )
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    with pytest.raises(ValidationError, match="reopen it first"):
        services.case_set_risk(
            actor=personas["counselor"], case=case, risk=Risk.RED_CRITICAL, reasons=REASONS
        )
    assert not crisis_tasks(case).exists()


def test_the_crisis_records_the_safety_plan_and_the_guardian_told_once(
    personas: Any, minor_a: Minor
) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a, risk=Risk.RED_CRITICAL)
    with pytest.raises(ValidationError, match="Write the safety plan"):
        services.case_record_crisis(actor=counselor, case=case, safety_plan="无")
    with pytest.raises(ValidationError, match="Nothing was changed"):
        services.case_record_crisis(actor=counselor, case=case)
    services.case_record_crisis(
        actor=counselor, case=case, safety_plan="24小时有人陪护，收走危险物品。", guardian_told=True
    )
    case.refresh_from_db()
    told = case.guardian_told_at
    assert told is not None and case.safety_plan.startswith("24小时")
    with pytest.raises(ValidationError, match="Nothing was changed"):
        services.case_record_crisis(actor=counselor, case=case, guardian_told=True)
    case.refresh_from_db()
    assert case.guardian_told_at == told
    with pytest.raises(PermissionDenied):
        services.case_record_crisis(actor=personas["lawyer"], case=case, guardian_told=True)
    event = CaseEvent.objects.get(case=case, kind="crisis")
    assert event.details == {"fields": ["safety_plan", "guardian_told_at"]}


# Tasks -----------------------------------------------------------------------------


def test_tasks_go_to_the_team_and_are_not_due_in_the_past(personas: Any, minor_a: Minor) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    with pytest.raises(ValidationError, match="someone on the team"):
        services.case_add_task(
            actor=counselor,
            case=case,
            title="联系班主任了解近况",
            assigned_to=personas["social_worker"],
            due_on=timezone.localdate(),
        )
    with pytest.raises(ValidationError, match="due date cannot be in the past"):
        services.case_add_task(
            actor=counselor,
            case=case,
            title="联系班主任了解近况",
            assigned_to=counselor,
            due_on=timezone.localdate() - timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="what is to be done"):
        services.case_add_task(
            actor=counselor, case=case, title="  ", assigned_to=counselor, due_on=date(2100, 1, 1)
        )
    assert not case.tasks.exists()
    task = services.case_add_task(
        actor=counselor,
        case=case,
        title="联系班主任了解近况",
        assigned_to=counselor,
        due_on=timezone.localdate() + timedelta(days=3),
    )
    # Due by the end of that day.
    last_instant = timezone.localtime(task.due_at - timedelta(microseconds=1))
    assert last_instant.date() == timezone.localdate() + timedelta(days=3)


def test_a_task_is_done_once_with_what_was_done(personas: Any, minor_a: Minor) -> None:
    counselor = personas["counselor"]
    case = open_case(counselor, minor_a)
    task = services.case_add_task(
        actor=counselor,
        case=case,
        title="联系班主任了解近况",
        assigned_to=counselor,
        due_on=timezone.localdate(),
    )
    with pytest.raises(ValidationError, match="Say what was done"):
        services.case_complete_task(actor=counselor, task=task, note="好")
    with pytest.raises(PermissionDenied):
        services.case_complete_task(actor=personas["social_worker"], task=task, note="已完成面谈。")
    services.case_complete_task(actor=counselor, task=task, note="已与班主任面谈。")
    with pytest.raises(ValidationError, match="already done"):
        services.case_complete_task(actor=counselor, task=task, note="又做了一次。")
    task.refresh_from_db()
    assert (task.status, task.done_by, task.done_note) == ("done", counselor, "已与班主任面谈。")
    audit = AuditEvent.objects.get(object_type="cases.case", details__task_done=task.pk)
    assert audit.minor_id == minor_a.pk


def test_a_closed_case_takes_no_new_task(personas: Any, minor_a: Minor) -> None:
    counselor = personas["counselor"]
    case = closed(open_case(counselor, minor_a), counselor, personas["center_staff"])
    with pytest.raises(ValidationError, match="reopen it first"):
        services.case_add_task(
            actor=personas["center_staff"],
            case=case,
            title="联系班主任了解近况",
            assigned_to=counselor,
            due_on=timezone.localdate(),
        )


def test_supervisors_of_are_the_desk_and_admins_over_the_division(
    personas: Any, other_personas: Any, minor_a: Minor
) -> None:
    case = open_case(personas["counselor"], minor_a)
    assert services.supervisors_of(case) == sorted(
        [personas["center_staff"].pk, personas["district_admin"].pk]
    )


def test_a_source_without_its_link_is_refused(personas: Any, minor_a: Minor) -> None:
    with pytest.raises(ValidationError):
        open_case(personas["counselor"], minor_a, source=Source.KEY_TARGET)


def test_the_crisis_records_of_a_closed_case_are_refused(personas: Any, minor_a: Minor) -> None:
    case = open_case(personas["counselor"], minor_a)
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    with pytest.raises(ValidationError):
        services.case_record_crisis(actor=personas["counselor"], case=case, guardian_told=True)
