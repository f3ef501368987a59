"""The POST-only step views: refusals first, then each answers with a redirect and a
message, or the form with its errors and a 400 that changed nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from carecircle.tips import handling
from carecircle.tips.models import (
    Category,
    Channel,
    Dispatch,
    Extension,
    Status,
    Tip,
    TipMinor,
    Trigger,
    Urgency,
)
from carecircle.tips.tests.factories import tip as make_tip

pytestmark = pytest.mark.django_db


def _url(name: str, tip: Tip) -> str:
    return reverse(f"tips:{name}", args=[tip.pk])


@pytest.fixture
def reported() -> Tip:
    return make_tip(reporter_name="王女士", reporter_contact="13800000000")


@pytest.fixture
def desk(personas: dict[str, Any]) -> Any:
    return personas["center_staff"]


@pytest.fixture
def acked(desk: Any, reported: Tip) -> Tip:
    return handling.tip_acknowledge(actor=desk, tip=reported)


def _status(tip: Tip) -> str:
    return Tip.objects.get(pk=tip.pk).status


def test_it_refuses_anonymous_wrong_roles_out_of_scope_and_gets(
    client, client_for, personas, other_personas, reported
):
    url = _url("acknowledge", reported)
    assert client.post(url).status_code == 302  # to the login page
    assert client_for(personas["center_staff"]).get(url).status_code == 405
    assert client_for(personas["auditor"]).post(url).status_code == 403
    assert client_for(other_personas["center_staff"]).post(url).status_code == 404
    assert client_for(personas["child_director"]).post(url).status_code == 404
    assert _status(reported) == Status.RECEIVED


def test_an_agency_that_reads_the_tip_cannot_handle_it(client_for, personas, district, acked):
    desk = personas["center_staff"]
    handling.tip_dispatch(actor=desk, tip=acked, organisation=district["orgs"]["police_A"])
    officer = client_for(personas["agency_officer"])
    data = {"outcome": "resolved", "note": "已处理"}
    assert officer.post(_url("close", acked), data).status_code == 403
    assert officer.post(_url("assign", acked), {}).status_code == 403
    assert _status(acked) == Status.DISPATCHED


def test_acknowledging_twice_changes_nothing_twice(client_for, desk, reported, english):
    client = client_for(desk)
    first = client.post(_url("acknowledge", reported), follow=True)
    assert first.redirect_chain[-1][0] == _url("detail", reported)
    assert "The report is acknowledged." in first.content.decode()
    again = client.post(_url("acknowledge", reported))
    assert again.status_code == 400
    assert "already acknowledged" in again.content.decode()
    assert reported.events.filter(kind="acknowledged").count() == 1


def test_a_mandatory_report_is_not_closed_without_a_receipt(client_for, desk, personas, english):
    report = make_tip(
        actor=personas["school_psych_teacher"],
        channel=Channel.MANDATORY,
        category=Category.ABUSE,
        description="学生手臂上有多处淤青",
        trigger=Trigger.MULTIPLE_INJURIES,
    )
    handling.tip_acknowledge(actor=desk, tip=report)
    client = client_for(desk)
    refused = client.post(_url("close", report), {"outcome": "referred", "note": "已移交"})
    assert refused.status_code == 400
    assert "cannot be closed without the police receipt" in refused.content.decode()
    assert _status(report) == Status.ACKNOWLEDGED
    police = client.post(_url("police", report), {"unit": "花桥派出所", "receipt": "110-1"})
    assert police.status_code == 302
    closed = client.post(_url("close", report), {"outcome": "referred", "note": "已移交"})
    assert closed.status_code == 302 and _status(report) == Status.CLOSED


def test_the_desk_dispatches_and_redispatches_with_a_reason(client_for, desk, district, acked):
    client = client_for(desk)
    police = district["orgs"]["police_A"]
    assert client.post(_url("dispatch", acked), {"organisation": police.pk}).status_code == 302
    refused = client.post(_url("dispatch", acked), {"township": "431103101"})
    assert refused.status_code == 400 and Dispatch.objects.count() == 1
    both = client.post(
        _url("dispatch", acked), {"organisation": police.pk, "township": "431103101"}
    )
    assert both.status_code == 400
    moved = client.post(
        _url("dispatch", acked), {"township": "431103101", "reason": "属地乡镇更合适"}
    )
    assert moved.status_code == 302
    assert list(Dispatch.objects.order_by("pk").values_list("status", flat=True)) == [
        Dispatch.Status.WITHDRAWN,
        Dispatch.Status.PENDING,
    ]
    withdrawn = client.post(_url("dispatch-withdraw", acked), {"reason": "中心直接处理"})
    assert withdrawn.status_code == 302 and _status(acked) == Status.ACKNOWLEDGED


def test_the_agency_answers_its_dispatch(client_for, desk, personas, district, acked):
    handling.tip_dispatch(actor=desk, tip=acked, organisation=district["orgs"]["police_A"])
    officer = client_for(personas["agency_officer"])
    assert client_for(desk).post(_url("dispatch-acknowledge", acked)).status_code == 403
    assert officer.post(_url("dispatch-acknowledge", acked)).status_code == 302
    assert _status(acked) == Status.IN_PROGRESS
    assert officer.post(_url("dispatch-return", acked), {"reason": "短"}).status_code == 400
    assert officer.post(_url("dispatch-report", acked), {"result": "已核查"}).status_code == 302
    assert Dispatch.objects.get().status == Dispatch.Status.DONE
    # Answered: no live dispatch is theirs any more.
    assert officer.post(_url("dispatch-report", acked), {"result": "再次"}).status_code == 403


def test_the_requester_cannot_approve_their_own_extension(client_for, desk, personas, acked):
    client_for(desk).post(_url("extension-request", acked), {"reason": "需要联合核查"})
    assert Extension.objects.filter(decision="pending").count() == 1
    own = client_for(desk).post(_url("extension-decide", acked), {"decision": "approve"})
    assert own.status_code == 403
    other = client_for(personas["district_admin"])
    assert other.post(_url("extension-decide", acked), {"decision": "approve"}).status_code == 302
    assert Tip.objects.get(pk=acked.pk).extended


def test_merge_by_number_and_never_into_itself(client_for, desk, acked, english):
    client = client_for(desk)
    itself = client.post(_url("merge", acked), {"into": acked.number})
    assert itself.status_code == 400 and "into itself" in itself.content.decode()
    unknown = client.post(_url("merge", acked), {"into": "not-a-number"})
    assert unknown.status_code == 400
    survivor = make_tip(description="同一件事")
    assert client.post(_url("merge", acked), {"into": survivor.number}).status_code == 302
    assert _status(acked) == Status.MERGED


def test_linking_a_child_out_of_reach_is_refused(client_for, desk, other_personas, acked, minor_a):
    client = client_for(desk)
    assert client.post(_url("link-minor", acked), {"minor": minor_a.pk}).status_code == 302
    assert client.post(_url("link-minor", acked), {"minor": minor_a.pk}).status_code == 400
    assert client.post(_url("unlink-minor", acked), {"minor": minor_a.pk}).status_code == 302
    elsewhere = make_tip(area_code="431102001001")
    other = client_for(other_personas["center_staff"])
    assert other.post(_url("link-minor", elsewhere), {"minor": minor_a.pk}).status_code == 400
    assert not TipMinor.objects.exists()


def test_urgency_follow_up_and_reopen_through_the_pages(client_for, desk, acked):
    client = client_for(desk)
    raised = client.post(_url("urgency", acked), {"urgency": Urgency.URGENT, "reason": ""})
    assert raised.status_code == 302
    assert client.post(_url("contact", acked), {"note": "电话"}).status_code == 302
    assert client.post(_url("note", acked), {"text": "备注"}).status_code == 302
    assert client.post(_url("assign", acked), {"handler": "x"}).status_code == 400
    closed = client.post(_url("close", acked), {"outcome": "resolved", "note": "已处理"})
    assert closed.status_code == 302
    followup = client.post(_url("followup", acked), {"satisfaction": "dissatisfied", "note": ""})
    assert followup.status_code == 302
    tip = Tip.objects.get(pk=acked.pk)
    assert tip.status == Status.IN_PROGRESS and tip.reopened == 1
    assert client.post(_url("reopen", acked), {"reason": "重新核查情况"}).status_code == 400


def test_an_emergency_page_asks_for_the_hand_off_first(client_for, desk, english):
    report = make_tip(description="孩子说不想活了，现在就在河边")
    page = client_for(desk).get(f"/tips/{report.pk}/")
    html = page.content.decode()
    assert "Hand it to 110 (police) or 120 (ambulance) at once" in html
    assert html.index(f"/tips/{report.pk}/handoff/") < html.index(f"/tips/{report.pk}/acknowledge/")
    answer = client_for(desk).post(f"/tips/{report.pk}/handoff/", {"line": "110"})
    assert answer.status_code == 302
    assert report.events.get(kind="handoff").details == {"line": "110"}
    assert client_for(desk).post(f"/tips/{report.pk}/handoff/", {"line": "x"}).status_code == 400


def test_the_handler_finds_a_child_by_name_and_links_it(client_for, desk, acked, minor_a, english):
    client = client_for(desk)
    page = client.get(_url("minor-search", acked), {"q": minor_a.name})
    assert page.status_code == 200
    html = page.content.decode()
    assert minor_a.name in html and _url("link-minor", acked) in html
    # htmx asks for the results alone.
    partial = client.get(_url("minor-search", acked), {"q": minor_a.name}, HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="cc-minor-results">')
    client.post(_url("link-minor", acked), {"minor": minor_a.pk})
    again = client.get(_url("minor-search", acked), {"q": minor_a.name}).content.decode()
    assert "Linked" in again


def test_the_search_shows_only_children_the_user_may_read(client_for, other_personas, minor_a):
    elsewhere = make_tip(area_code="431102001001")
    other = client_for(other_personas["center_staff"])
    page = other.get(_url("minor-search", elsewhere), {"q": minor_a.name})
    assert page.status_code == 200
    assert page.context["found"] == []
    assert f'value="{minor_a.pk}"' not in page.content.decode()


def test_the_search_is_the_handlers_alone(
    client_for, personas, other_personas, district, acked, minor_a
):
    # Another county's desk: the report is out of scope.
    other = client_for(other_personas["center_staff"])
    assert other.get(_url("minor-search", acked), {"q": "x"}).status_code == 404
    # An agency that reads a dispatched report does not link children to it.
    handling.tip_dispatch(
        actor=personas["center_staff"], tip=acked, organisation=district["orgs"]["police_A"]
    )
    agency = client_for(personas["agency_officer"])
    assert agency.get(_url("minor-search", acked), {"q": minor_a.name}).status_code == 403
    assert client_for(personas["center_staff"]).post(_url("minor-search", acked)).status_code == 405
