"""One door into the queue: urgency flags, clocks, receipts, replays, alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecircle.audit.models import AuditEvent
from carecircle.notifications.models import OutboxMessage
from carecircle.tips import clocks, keywords, receipts
from carecircle.tips.models import Category, Channel, Status, Tip, TipEvent, Trigger, Urgency
from carecircle.tips.services import find_by_receipt, tip_reporter_add
from carecircle.tips.tests.factories import received, tip

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


def test_keywords_ignore_spaces_punctuation_and_full_width_forms():
    found = keywords.flags("他说 不想活了，想 自-杀")
    assert {f.term for f in found} >= {"不想活", "自杀"}
    assert keywords.flags("ＳＵＩＣＩＤＥ note")[0].term == "suicide"
    assert keywords.flags("今天天气很好") == []


def test_flags_only_raise_the_urgency():
    assert keywords.raised(Urgency.EMERGENCY, keywords.flags("离家出走")) == Urgency.EMERGENCY
    assert keywords.raised(Urgency.GENERAL, keywords.flags("离家出走")) == Urgency.URGENT


def test_a_deployment_adds_terms(settings):
    settings.CARECIRCLE_TIP_KEYWORDS = '{"网瘾": "urgent"}'
    assert keywords.flags("孩子网瘾很重")[0].urgency == Urgency.URGENT


def test_a_suicide_report_is_an_emergency_with_its_reasons(personas):
    made = tip(category=Category.OTHER, description="孩子在朋友圈说想割腕，已经好几天了")
    assert made.urgency == Urgency.EMERGENCY
    terms = {r["term"] for r in made.urgency_reasons}
    assert "割腕" in terms
    # An emergency must be handled the same day: closure by the end of the day.
    local = made.received_at.astimezone(CST)
    assert made.close_due == datetime.combine(
        local.date() + timedelta(days=1), datetime.min.time(), tzinfo=CST
    )
    assert made.ack_due - made.received_at == timedelta(minutes=15)


def test_the_category_sets_a_floor_that_the_chosen_urgency_cannot_lower():
    made = tip(
        category=Category.SELF_HARM, description="有个孩子情绪很低落", urgency=Urgency.GENERAL
    )
    assert made.urgency == Urgency.URGENT


def test_a_general_report_is_closed_within_five_working_days():
    made = tip(description="学校附近有人卖三无零食")
    assert made.urgency == Urgency.GENERAL
    assert made.close_due == clocks.after(made.received_at, "5wd")


def test_a_mandatory_report_starts_urgent_and_tells_the_desk(personas):
    teacher = personas["school_psych_teacher"]
    made = tip(
        actor=teacher,
        channel=Channel.MANDATORY,
        category=Category.ABUSE,
        description="学生手臂上有多处淤青",
        trigger=Trigger.MULTIPLE_INJURIES,
    )
    assert made.urgency >= Urgency.URGENT
    assert made.reporter_user == teacher and made.entered_by == teacher
    note = OutboxMessage.objects.get(topic="notify")
    assert personas["center_staff"].pk in note.payload["recipients"]
    assert "学生" not in note.payload["body"] + note.payload["title"]


def test_a_girl_under_14_trigger_is_an_emergency(personas):
    made = tip(
        actor=personas["child_director"],
        channel=Channel.MANDATORY,
        category=Category.SEXUAL_HARM,
        description="村里一名女孩疑似受到侵害",
        trigger=Trigger.GIRL_UNDER_14,
    )
    assert made.urgency == Urgency.EMERGENCY


def test_the_receipt_is_stored_only_as_a_hash_and_opens_the_tip():
    got = received()
    assert got.created and got.receipt and len(got.receipt) == 16
    row = Tip.objects.get(pk=got.tip.pk)
    assert got.receipt not in row.receipt_digest
    assert row.receipt_digest == receipts.digest(got.receipt)
    assert find_by_receipt(receipts.display(got.receipt)) == row
    assert find_by_receipt("0000 0000 0000 0000") is None
    assert find_by_receipt("12ab") is None


def test_the_receipt_never_reaches_the_audit_log_or_the_events():
    got = received()
    assert got.receipt
    blob = " ".join(str(e.details) + e.object_id for e in AuditEvent.objects.all()) + " ".join(
        str(e.details) for e in TipEvent.objects.all()
    )
    assert got.receipt not in blob


def test_a_replayed_hotline_ticket_is_one_tip(personas):
    operator = personas["hotline_operator"]
    first = received(actor=operator, channel=Channel.HOTLINE, external_number="12345-0001")
    again = received(actor=operator, channel=Channel.HOTLINE, external_number="12345-0001")
    assert first.created and not again.created
    assert again.tip.pk == first.tip.pk
    assert Tip.objects.count() == 1


def test_a_resent_public_form_is_one_tip():
    first = received(submission_key="challenge-1")
    again = received(submission_key="challenge-1")
    assert not again.created and again.receipt is None
    assert Tip.objects.count() == 1 and first.tip.pk == again.tip.pk


def test_a_public_report_stores_no_address_or_browser(client):
    got = received()
    audit = AuditEvent.objects.filter(object_type="tips.tip").get()
    assert audit.ip is None and audit.actor_id is None
    assert got.tip.entered_by is None and got.tip.reporter_user is None


def test_an_anonymous_report_keeps_no_name_even_if_given():
    made = tip(anonymous=True, reporter_name="张三", reporter_contact="13800000000")
    assert made.reporter_name == "" and made.reporter_contact == ""
    assert not made.reachable


def test_content_is_encrypted_at_rest():
    made = tip(description="秘密内容ABC", reporter_name="李四")
    with connection.cursor() as cursor:
        cursor.execute("SELECT description, reporter_name FROM tips_tip WHERE id = %s", [made.pk])
        description, name = cursor.fetchone()
    assert "秘密内容" not in description and "李四" not in name


def test_the_reporter_adds_information_and_a_new_flag_raises_the_urgency():
    made = tip(description="孩子最近很少出门")
    assert made.urgency == Urgency.GENERAL
    tip_reporter_add(made, text="刚才听说他想跳楼")
    made.refresh_from_db()
    assert made.urgency == Urgency.EMERGENCY
    assert made.status == Status.RECEIVED
    kinds = list(made.events.values_list("kind", flat=True))
    assert TipEvent.Kind.REPORTER_ADDED in kinds and TipEvent.Kind.URGENCY in kinds


def test_receiving_costs_a_bounded_number_of_queries():
    tip()  # warm the calendar
    with CaptureQueriesContext(connection) as ctx:
        tip(description="又一次举报")
    assert len(ctx.captured_queries) <= 14
