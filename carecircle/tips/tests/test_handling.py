"""Handling a tip: every step, every refusal, and a step sent twice changing nothing twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecircle.audit.models import AuditEvent
from carecircle.notifications.models import OutboxMessage
from carecircle.tips import clocks, handling
from carecircle.tips.models import (
    Category,
    Channel,
    Dispatch,
    Extension,
    Outcome,
    Satisfaction,
    Status,
    Tip,
    TipEvent,
    Trigger,
    Urgency,
)
from carecircle.tips.permissions import get_tip_for_user, sees_reporter, tips_visible_to
from carecircle.tips.tests.factories import tip as make_tip

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def desk(personas: dict[str, Any]) -> Any:
    return personas["center_staff"]


@pytest.fixture
def reported(personas: dict[str, Any]) -> Tip:
    return make_tip(reporter_name="王女士", reporter_contact="13800000000")


@pytest.fixture
def acked(desk: Any, reported: Tip) -> Tip:
    return handling.tip_acknowledge(actor=desk, tip=reported)


@pytest.fixture
def police_a(district: dict[str, Any]) -> Any:
    return district["orgs"]["police_A"]


@pytest.fixture
def dispatched(desk: Any, acked: Tip, police_a: Any) -> Tip:
    handling.tip_dispatch(actor=desk, tip=acked, organisation=police_a, instructions="请核查")
    return Tip.objects.get(pk=acked.pk)


def _kinds(tip: Tip) -> list[str]:
    return list(tip.events.order_by("pk").values_list("kind", flat=True))


def _notified(user: Any) -> bool:
    return any(user.pk in m.payload["recipients"] for m in OutboxMessage.objects.all())


# --- Acknowledge and contact --------------------------------------------------------------


def test_it_acknowledges_once(desk, reported):
    done = handling.tip_acknowledge(actor=desk, tip=reported)
    assert done.status == Status.ACKNOWLEDGED and done.acknowledged_at is not None
    assert done.responded_at is None  # the reporter can be reached: not yet contacted
    with pytest.raises(ValidationError, match="already acknowledged"):
        handling.tip_acknowledge(actor=desk, tip=reported)
    assert _kinds(done).count(TipEvent.Kind.ACKNOWLEDGED) == 1
    assert AuditEvent.objects.filter(object_type="tips.tip", action="update").count() == 1


def test_an_unreachable_reporter_is_responded_to_on_acknowledgement(desk):
    anonymous = make_tip(anonymous=True)
    done = handling.tip_acknowledge(actor=desk, tip=anonymous)
    assert done.responded_at == done.acknowledged_at
    with pytest.raises(ValidationError, match="no way to be contacted"):
        handling.tip_record_contact(actor=desk, tip=anonymous)


def test_responded_is_the_later_of_acknowledgement_and_contact(desk, reported):
    contacted = handling.tip_record_contact(actor=desk, tip=reported, note="电话联系")
    assert contacted.first_contact_at is not None and contacted.responded_at is None
    acked = handling.tip_acknowledge(actor=desk, tip=reported)
    assert acked.responded_at == acked.acknowledged_at
    with pytest.raises(ValidationError, match="already recorded"):
        handling.tip_record_contact(actor=desk, tip=reported)


def test_roles_without_the_tip_in_hand_cannot_acknowledge(personas, other_personas, reported):
    for user in (
        personas["agency_officer"],
        personas["social_worker"],
        other_personas["center_staff"],
    ):
        with pytest.raises(PermissionDenied):
            handling.tip_acknowledge(actor=user, tip=reported)
    assert Tip.objects.get(pk=reported.pk).status == Status.RECEIVED


# --- Assign ---------------------------------------------------------------------------------


def test_the_desk_assigns_a_handler_who_is_told(desk, personas, reported):
    worker = personas["social_worker"]
    done = handling.tip_assign(actor=desk, tip=reported, handler=worker)
    assert done.handler == worker and _notified(worker)
    assert get_tip_for_user(worker, reported.pk) == reported
    # The handler now handles, and sees the reporter; the same assignment twice is refused.
    assert sees_reporter(worker, done)
    handling.tip_acknowledge(actor=worker, tip=reported)
    with pytest.raises(ValidationError):
        handling.tip_assign(actor=desk, tip=reported, handler=worker)


def test_only_staff_over_the_area_can_be_handlers(desk, personas, other_personas, reported):
    for user in (personas["child_director"], other_personas["social_worker"]):
        with pytest.raises(ValidationError, match="counselor over this area"):
            handling.tip_assign(actor=desk, tip=reported, handler=user)
    with pytest.raises(PermissionDenied):
        handling.tip_assign(
            actor=personas["counselor"], tip=reported, handler=personas["social_worker"]
        )


# --- Urgency ----------------------------------------------------------------------------------


def test_raising_the_urgency_restarts_the_clocks_sooner(desk, reported):
    before = reported.close_due
    done = handling.tip_set_urgency(actor=desk, tip=reported, urgency=Urgency.EMERGENCY)
    assert done.urgency == Urgency.EMERGENCY
    assert done.close_due <= before
    assert done.ack_due == reported.received_at + timedelta(minutes=15)
    assert done.urgency_reasons[-1]["kind"] == "staff"


def test_lowering_needs_a_reason_and_never_goes_below_a_flag(desk):
    flagged = make_tip(description="孩子说不想活了")  # a keyword: emergency
    assert flagged.urgency == Urgency.EMERGENCY
    with pytest.raises(ValidationError, match="at least"):
        handling.tip_set_urgency(actor=desk, tip=flagged, urgency=Urgency.GENERAL)
    with pytest.raises(ValidationError, match="flags never lower it"):
        handling.tip_set_urgency(
            actor=desk, tip=flagged, urgency=Urgency.GENERAL, reason="核实后情况不紧急"
        )
    assert Tip.objects.get(pk=flagged.pk).urgency == Urgency.EMERGENCY


def test_a_staff_raise_may_be_lowered_again_with_a_reason(desk, reported):
    handling.tip_set_urgency(actor=desk, tip=reported, urgency=Urgency.URGENT, reason="")
    done = handling.tip_set_urgency(
        actor=desk, tip=reported, urgency=Urgency.GENERAL, reason="电话核实，孩子已由亲属照顾"
    )
    assert done.urgency == Urgency.GENERAL
    assert done.close_due == clocks.after(done.received_at, "5wd")
    with pytest.raises(ValidationError, match="already has"):
        handling.tip_set_urgency(actor=desk, tip=reported, urgency=Urgency.GENERAL, reason="x" * 9)


# --- Dispatch ---------------------------------------------------------------------------------


def test_a_tip_is_acknowledged_before_it_is_dispatched(desk, reported, police_a):
    with pytest.raises(ValidationError, match="Acknowledge the report"):
        handling.tip_dispatch(actor=desk, tip=reported, organisation=police_a)
    assert not Dispatch.objects.exists()


def test_the_desk_dispatches_to_an_agency_which_is_told(desk, dispatched, personas, police_a):
    live = Dispatch.objects.get(tip=dispatched)
    assert dispatched.status == Status.DISPATCHED
    assert live.organisation == police_a and live.status == Dispatch.Status.PENDING
    assert live.ack_due > live.dispatched_at
    assert _notified(personas["agency_officer"])
    with pytest.raises(ValidationError, match="already dispatched"):
        handling.tip_dispatch(actor=desk, tip=dispatched, township="431103101")
    assert Dispatch.objects.count() == 1
    public = dispatched.events.filter(public=True, kind=TipEvent.Kind.DISPATCHED).get()
    assert public.text == "" and "police" not in str(public.details)


def test_it_dispatches_only_within_the_desk_and_county(desk, acked, district, other_personas):
    outside = district["orgs"]["hospital_B"]
    # Hospital B sits in 431103102, inside the desk's county: allowed. Another county's
    # township is not.
    with pytest.raises(ValidationError, match="township of the county"):
        handling.tip_dispatch(actor=desk, tip=acked, township="431102001")
    with pytest.raises(ValidationError, match="either an agency or a township"):
        handling.tip_dispatch(actor=desk, tip=acked, organisation=outside, township="431103101")
    with pytest.raises(PermissionDenied):
        handling.tip_dispatch(actor=other_personas["center_staff"], tip=acked, organisation=outside)
    assert not Dispatch.objects.exists()


def test_a_township_dispatch_reaches_its_supervisor_not_the_child_director(desk, acked, personas):
    handling.tip_dispatch(actor=desk, tip=acked, township="431103101")
    supervisor, director = personas["child_supervisor"], personas["child_director"]
    assert _notified(supervisor)
    assert tips_visible_to(supervisor).filter(pk=acked.pk).exists()
    assert not tips_visible_to(director).filter(pk=acked.pk).exists()
    assert not sees_reporter(supervisor, acked)
    handling.tip_dispatch_acknowledge(actor=supervisor, tip=acked)
    assert Tip.objects.get(pk=acked.pk).status == Status.IN_PROGRESS


def test_the_agency_acknowledges_once_and_the_desk_cannot_for_it(desk, dispatched, personas):
    officer = personas["agency_officer"]
    with pytest.raises(PermissionDenied):
        handling.tip_dispatch_acknowledge(actor=desk, tip=dispatched)
    handling.tip_dispatch_acknowledge(actor=officer, tip=dispatched)
    assert Tip.objects.get(pk=dispatched.pk).status == Status.IN_PROGRESS
    with pytest.raises(ValidationError, match="already acknowledged"):
        handling.tip_dispatch_acknowledge(actor=officer, tip=dispatched)
    assert not sees_reporter(officer, dispatched)


def test_the_agency_sends_it_back_with_a_reason_and_the_desk_is_told(desk, dispatched, personas):
    officer = personas["agency_officer"]
    with pytest.raises(ValidationError, match="at least"):
        handling.tip_dispatch_return(actor=officer, tip=dispatched, reason="不对")
    handling.tip_dispatch_return(actor=officer, tip=dispatched, reason="不属于本所辖区，请改派")
    assert Tip.objects.get(pk=dispatched.pk).status == Status.ACKNOWLEDGED
    assert Dispatch.objects.get().status == Dispatch.Status.RETURNED
    assert _notified(desk)
    # A returned dispatch is no longer theirs to answer.
    with pytest.raises(PermissionDenied):
        handling.tip_dispatch_report(actor=officer, tip=dispatched, result="已处理")


def test_the_agency_reports_its_result_then_the_desk_closes(desk, dispatched, personas):
    officer = personas["agency_officer"]
    with pytest.raises(ValidationError):
        handling.tip_dispatch_report(actor=officer, tip=dispatched, result="  ")
    handling.tip_dispatch_report(actor=officer, tip=dispatched, result="已上门核查，孩子安全")
    done = Dispatch.objects.get()
    assert done.status == Dispatch.Status.DONE and done.acknowledged_by == officer
    closed = handling.tip_close(
        actor=desk, tip=dispatched, outcome=Outcome.RESOLVED, note="派出所已核查"
    )
    assert closed.status == Status.CLOSED and closed.closed_at is not None
    # The agency still reads the tip it answered, and nothing more is asked of it.
    assert tips_visible_to(officer).filter(pk=dispatched.pk).exists()


def test_redispatch_withdraws_the_live_dispatch_with_a_reason(desk, dispatched, personas):
    with pytest.raises(ValidationError, match="at least"):
        handling.tip_redispatch(actor=desk, tip=dispatched, reason="", township="431103101")
    with pytest.raises(ValidationError, match="already dispatched there"):
        handling.tip_redispatch(
            actor=desk,
            tip=dispatched,
            reason="换一个单位处理",
            organisation=Dispatch.objects.get().organisation,
        )
    handling.tip_redispatch(
        actor=desk, tip=dispatched, reason="属地乡镇更合适", township="431103101"
    )
    statuses = list(Dispatch.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [Dispatch.Status.WITHDRAWN, Dispatch.Status.PENDING]
    assert not tips_visible_to(personas["agency_officer"]).filter(pk=dispatched.pk).exists()


def test_the_desk_withdraws_a_dispatch(desk, dispatched):
    handling.tip_dispatch_withdraw(actor=desk, tip=dispatched, reason="举报人撤回线索")
    assert Tip.objects.get(pk=dispatched.pk).status == Status.ACKNOWLEDGED
    with pytest.raises(ValidationError, match="no dispatch"):
        handling.tip_dispatch_withdraw(actor=desk, tip=dispatched, reason="举报人撤回线索")


# --- Extensions -------------------------------------------------------------------------------


def test_an_extension_is_decided_by_someone_else(desk, personas, acked):
    request = handling.tip_request_extension(actor=desk, tip=acked, reason="需要多部门联合核查")
    assert request.new_due == clocks.complex_due(acked.received_at)
    with pytest.raises(ValidationError, match="already waiting"):
        handling.tip_request_extension(actor=desk, tip=acked, reason="需要多部门联合核查")
    with pytest.raises(PermissionDenied, match="other than the requester"):
        handling.tip_decide_extension(actor=desk, tip=acked, approve=True)
    with pytest.raises(PermissionDenied):
        handling.tip_decide_extension(actor=personas["agency_officer"], tip=acked, approve=True)
    handling.tip_decide_extension(actor=personas["district_admin"], tip=acked, approve=True)
    tip = Tip.objects.get(pk=acked.pk)
    assert tip.extended and tip.close_due == request.new_due
    assert Extension.objects.get().decision == Extension.Decision.APPROVED
    with pytest.raises(ValidationError, match="already extended"):
        handling.tip_request_extension(actor=desk, tip=tip, reason="还需要更多时间核查")


def test_a_refused_extension_changes_no_clock(desk, personas, acked):
    handling.tip_request_extension(actor=desk, tip=acked, reason="需要多部门联合核查")
    handling.tip_decide_extension(actor=personas["district_admin"], tip=acked, approve=False)
    tip = Tip.objects.get(pk=acked.pk)
    assert not tip.extended and tip.close_due == acked.close_due
    with pytest.raises(ValidationError, match="no extension request"):
        handling.tip_decide_extension(actor=personas["district_admin"], tip=acked, approve=True)


# --- Merge and link ---------------------------------------------------------------------------


def test_a_duplicate_is_merged_into_an_open_tip(desk, reported, minor_a):
    survivor = make_tip(description="同一件事的另一次举报")
    handling.tip_link_minor(actor=desk, tip=reported, minor=minor_a)
    with pytest.raises(ValidationError, match="into itself"):
        handling.tip_merge(actor=desk, tip=reported, into=reported)
    merged = handling.tip_merge(actor=desk, tip=reported, into=survivor)
    assert merged.status == Status.MERGED and merged.merged_into == survivor
    assert list(survivor.duplicates.all()) == [merged]
    # Into a merged tip, or back into the duplicate: refused.
    third = make_tip(description="第三次举报")
    with pytest.raises(ValidationError, match="still open"):
        handling.tip_merge(actor=desk, tip=third, into=merged)
    with pytest.raises(ValidationError, match="merged into another"):
        handling.tip_merge(actor=desk, tip=merged, into=third)


def test_merging_across_desks_is_refused(desk, other_personas, reported):
    elsewhere = make_tip(area_code="431102001001")
    with pytest.raises(ValidationError, match="not in your area"):
        handling.tip_merge(actor=desk, tip=reported, into=elsewhere)
    with pytest.raises(PermissionDenied):
        handling.tip_merge(actor=other_personas["center_staff"], tip=reported, into=elsewhere)


def test_a_dispatched_tip_is_not_merged_until_withdrawn(desk, dispatched):
    other = make_tip(description="另一次举报")
    with pytest.raises(ValidationError, match="Withdraw"):
        handling.tip_merge(actor=desk, tip=dispatched, into=other)


def test_linking_a_child_the_actor_may_read(desk, reported, minor_a, other_personas):
    handling.tip_link_minor(actor=desk, tip=reported, minor=minor_a)
    with pytest.raises(ValidationError, match="already linked"):
        handling.tip_link_minor(actor=desk, tip=reported, minor=minor_a)
    elsewhere = make_tip(area_code="431102001001")
    with pytest.raises(ValidationError, match="child you may read"):
        handling.tip_link_minor(actor=other_personas["center_staff"], tip=elsewhere, minor=minor_a)
    assert AuditEvent.objects.filter(object_type="tips.tip", minor_id=minor_a.pk).exists()
    handling.tip_unlink_minor(actor=desk, tip=reported, minor=minor_a)
    assert not reported.minors.exists()
    with pytest.raises(ValidationError, match="not linked"):
        handling.tip_unlink_minor(actor=desk, tip=reported, minor=minor_a)


# --- Notes, police, closure, follow-up ----------------------------------------------------------


def test_a_note_is_private(desk, reported):
    note = handling.tip_add_note(actor=desk, tip=reported, text="邻居称孩子父母外出务工")
    assert not note.public and note.text == "邻居称孩子父母外出务工"
    with pytest.raises(ValidationError):
        handling.tip_add_note(actor=desk, tip=reported, text="   ")


def test_an_emergency_is_handed_to_120_with_the_time_kept(desk, personas):
    report = make_tip(description="孩子说想割腕，现在一个人在家")
    assert report.urgency == Urgency.EMERGENCY
    handed = handling.tip_record_handoff(actor=desk, tip=report, line="120", note="已派救护车")
    assert handed.details == {"line": "120"} and not handed.public
    assert handed.at >= report.received_at
    with pytest.raises(ValidationError):
        handling.tip_record_handoff(actor=desk, tip=report, line="999")
    # The village's child director reads no report and hands nothing over.
    with pytest.raises((PermissionDenied, ValidationError)):
        handling.tip_record_handoff(actor=personas["child_director"], tip=report, line="110")
    assert report.events.filter(kind="handoff").count() == 1


@pytest.fixture
def mandatory(personas: dict[str, Any], desk: Any) -> Tip:
    report = make_tip(
        actor=personas["school_psych_teacher"],
        channel=Channel.MANDATORY,
        category=Category.ABUSE,
        description="学生手臂上有多处淤青",
        trigger=Trigger.MULTIPLE_INJURIES,
    )
    return handling.tip_acknowledge(actor=desk, tip=report)


def test_a_mandatory_report_cannot_close_without_a_receipt_or_reason(desk, mandatory):
    with pytest.raises(ValidationError, match="police receipt"):
        handling.tip_close(actor=desk, tip=mandatory, outcome=Outcome.REFERRED, note="已移交")
    assert Tip.objects.get(pk=mandatory.pk).is_open
    with pytest.raises(ValidationError, match="police unit"):
        handling.tip_record_police(actor=desk, tip=mandatory, receipt="110-2026-01")
    with pytest.raises(ValidationError, match="or write why"):
        handling.tip_record_police(actor=desk, tip=mandatory)
    handling.tip_record_police(actor=desk, tip=mandatory, unit="花桥派出所", receipt="110-2026-01")
    closed = handling.tip_close(actor=desk, tip=mandatory, outcome=Outcome.REFERRED, note="已移交")
    assert closed.status == Status.CLOSED and closed.police_reported_at is not None


def test_a_written_reason_stands_for_the_receipt(desk, mandatory):
    handling.tip_record_police(actor=desk, tip=mandatory, reason="家长已先行报警，由派出所直接受理")
    closed = handling.tip_close(actor=desk, tip=mandatory, outcome=Outcome.REFERRED, note="已移交")
    assert closed.status == Status.CLOSED


def test_closing_needs_the_dispatch_answered_and_happens_once(desk, dispatched, acked):
    with pytest.raises(ValidationError, match="reported done or withdrawn"):
        handling.tip_close(actor=desk, tip=dispatched, outcome=Outcome.RESOLVED, note="完成")
    fresh = make_tip(description="新的举报")
    with pytest.raises(ValidationError, match="Acknowledge the report before closing"):
        handling.tip_close(actor=desk, tip=fresh, outcome=Outcome.RESOLVED, note="完成")
    handling.tip_dispatch_withdraw(actor=desk, tip=dispatched, reason="已由中心直接处理")
    handling.tip_close(actor=desk, tip=dispatched, outcome=Outcome.RESOLVED, note="完成")
    with pytest.raises(ValidationError, match="closed"):
        handling.tip_close(actor=desk, tip=dispatched, outcome=Outcome.RESOLVED, note="完成")
    assert _kinds(dispatched).count(TipEvent.Kind.CLOSED) == 1


def _closed(desk: Any, tip: Tip) -> Tip:
    return handling.tip_close(actor=desk, tip=tip, outcome=Outcome.RESOLVED, note="已处理")


def test_a_dissatisfied_follow_up_reopens_the_tip(desk, acked):
    with pytest.raises(ValidationError, match="once the report is closed"):
        handling.tip_record_followup(actor=desk, tip=acked, satisfaction=Satisfaction.SATISFIED)
    _closed(desk, acked)
    before = timezone.now()
    done = handling.tip_record_followup(
        actor=desk, tip=acked, satisfaction=Satisfaction.DISSATISFIED, note="举报人认为没有解决"
    )
    assert done.status == Status.IN_PROGRESS and done.reopened == 1
    assert done.closed_at is None and done.outcome == ""
    assert done.close_due >= clocks.after(before, clocks.limits(done.urgency)["close"])
    assert TipEvent.Kind.REOPENED in _kinds(done)


def test_a_satisfied_follow_up_is_recorded_once(desk, acked):
    _closed(desk, acked)
    done = handling.tip_record_followup(actor=desk, tip=acked, satisfaction=Satisfaction.SATISFIED)
    assert done.status == Status.CLOSED and done.satisfaction == Satisfaction.SATISFIED
    with pytest.raises(ValidationError, match="already recorded"):
        handling.tip_record_followup(actor=desk, tip=acked, satisfaction=Satisfaction.DISSATISFIED)
    assert Tip.objects.get(pk=acked.pk).status == Status.CLOSED


def test_the_desk_reopens_with_a_reason(desk, personas, acked):
    with pytest.raises(ValidationError, match="Only a closed report"):
        handling.tip_reopen(actor=desk, tip=acked, reason="举报人补充了新情况")
    _closed(desk, acked)
    with pytest.raises(PermissionDenied):
        handling.tip_reopen(
            actor=personas["agency_officer"], tip=acked, reason="举报人补充了新情况"
        )
    done = handling.tip_reopen(actor=desk, tip=acked, reason="举报人补充了新情况")
    assert done.status == Status.IN_PROGRESS and done.reopened == 1
    public = done.events.filter(kind=TipEvent.Kind.REOPENED).get()
    assert public.public and public.text == ""


def test_the_hotline_operator_sees_their_ticket_but_not_the_reporter(personas):
    operator = personas["hotline_operator"]
    ticket = make_tip(
        actor=operator,
        channel=Channel.HOTLINE,
        external_number="12345-9",
        reporter_name="赵先生",
        reporter_contact="13900000000",
    )
    assert tips_visible_to(operator).filter(pk=ticket.pk).exists()
    assert not sees_reporter(operator, ticket)
    assert not tips_visible_to(personas["child_director"]).filter(pk=ticket.pk).exists()
