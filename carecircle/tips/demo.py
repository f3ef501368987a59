"""Reports of harm in the demo district: a year of them, and today's queue.

The article counts 15 reports in the year, all responded to and handled (100 %
响应率 and 处置率): those are here, through every channel, acknowledged, handled,
closed and called back, one reporter dissatisfied (the report was reopened and
closed again). Today's queue then shows each state a desk meets:

- an anonymous report from the public page this morning, with a photo, that speaks
  of self-harm (an emergency: the matched words are shown);
- a 12345 ticket from yesterday, dispatched to the demo township's child supervisor,
  not yet acknowledged by them;
- a teacher's mandatory report from three days ago: reported to the police with the
  receipt number, dispatched to the police, who acknowledged it;
- a school report-box note from last week, with an extension waiting for approval.

Everything goes through the services, as the pages would; the timestamps of the
year's reports are then moved back to when they happened, clocks and history alike.
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from typing import Any

from django.db.models import F
from django.utils import timezone
from PIL import Image

from carecircle.accounts.models import Organisation, User
from carecircle.tips import handling
from carecircle.tips.attachments import clean_upload
from carecircle.tips.models import (
    Category,
    Channel,
    Dispatch,
    Outcome,
    RequestType,
    Satisfaction,
    Sector,
    Tip,
    TipEvent,
    Trigger,
    Urgency,
)
from carecircle.tips.services import Intake, tip_receive

# (days ago, channel, category, description) of the year's reports.
YEAR: tuple[tuple[int, str, str, str], ...] = (
    (
        340,
        Channel.HOTLINE,
        Category.NEGLECT,
        "来电反映村里一名8岁孩子父母外出务工，爷爷住院，孩子独自在家。",
    ),
    (318, Channel.WEB, Category.BULLYING, "孩子在学校被几名高年级同学索要零花钱，不给就推搡。"),
    (296, Channel.HOTLINE, Category.UNATTENDED, "有个小孩每天晚上九点多还一个人在网吧门口。"),
    (270, Channel.MANDATORY, Category.ABUSE, "学生背部有多处条状淤青，自述被继父用皮带抽打。"),
    (
        251,
        Channel.REPORT_BOX,
        Category.SCHOOL_SAFETY,
        "举报箱纸条：学校后门围墙有缺口，常有校外人员进出。",
    ),
    (229, Channel.HOTLINE, Category.NEGLECT, "邻居家孩子经常饿着肚子上学，家里大人酗酒。"),
    (205, Channel.WEB, Category.SELF_HARM, "我同学最近总说活着没意思，手腕上有划痕。"),
    (183, Channel.HOTLINE, Category.OTHER, "咨询：留守儿童可以申请哪些帮扶？"),
    (160, Channel.MANDATORY, Category.UNATTENDED, "村委会走访发现一名6岁儿童长期无人照料。"),
    (139, Channel.WEB, Category.BULLYING, "女儿被同学在班级群里辱骂、孤立，已经不想上学。"),
    (117, Channel.HOTLINE, Category.ABUSE, "楼上经常传来孩子哭喊和打骂声，持续一个多月。"),
    (
        96,
        Channel.REPORT_BOX,
        Category.BULLYING,
        "举报箱纸条：宿舍里有人被要求替别人洗衣服，不做就挨打。",
    ),
    (71, Channel.HOTLINE, Category.NEGLECT, "一名初中生辍学在家，父母在外地，无人过问。"),
    (44, Channel.WEB, Category.SCHOOL_SAFETY, "校车超载，座位不够，孩子们站着坐车。"),
    (23, Channel.HOTLINE, Category.UNATTENDED, "小区里有两个孩子经常在河边玩水，没有大人看管。"),
)
OUTCOMES = (Outcome.RESOLVED, Outcome.RESOLVED, Outcome.REFERRED, Outcome.UNFOUNDED)
CALLERS = ("刘女士", "王先生", "陈女士", "李先生", "张女士")


def _photo() -> Any:
    """A small photo of nothing in particular, with an EXIF block the upload strips."""
    image = Image.new("RGB", (640, 480), (150, 170, 190))
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"  # the camera's maker: metadata the copy must lose
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    out.seek(0)
    out.name = "photo.jpg"
    return out


def _intake(
    n: int, channel: str, category: str, text: str, orgs: dict[str, Organisation], village: str
) -> Intake:
    fields: dict[str, Any] = {
        "channel": channel,
        "category": category,
        "description": text,
        "area_code": village,
    }
    if channel == Channel.HOTLINE:
        fields.update(
            external_number=f"YZ12345-{2026_0000 + n:08d}",
            request_type=RequestType.INQUIRY if category == Category.OTHER else RequestType.REPORT,
            reporter_name=CALLERS[n % len(CALLERS)],
            reporter_contact=f"1397465{n:04d}",
        )
    elif channel == Channel.REPORT_BOX:
        school = orgs["huaqiao_middle"]
        fields.update(external_number=f"{school.pk}-{n:03d}", box_organisation_id=school.pk)
    elif channel == Channel.MANDATORY:
        fields.update(
            trigger=Trigger.MULTIPLE_INJURIES if category == Category.ABUSE else Trigger.ABANDONED,
            reporter_sector=Sector.SCHOOL if category == Category.ABUSE else Sector.COMMITTEE,
            reporter_unit="花桥街镇中学" if category == Category.ABUSE else "石门村村委会",
        )
    else:
        fields.update(anonymous=True)
    return Intake(**fields)


def _move_back(tip: Tip, days: int) -> None:
    """Shift a tip and its history ``days`` back, keeping every interval."""
    delta = timedelta(days=days)
    Tip.objects.filter(pk=tip.pk).update(
        received_at=F("received_at") - delta,
        ack_due=F("ack_due") - delta,
        contact_due=F("contact_due") - delta,
        close_due=F("close_due") - delta,
    )
    for name in ("acknowledged_at", "first_contact_at", "responded_at", "closed_at", "followup_at"):
        Tip.objects.filter(pk=tip.pk, **{f"{name}__isnull": False}).update(
            **{name: F(name) - delta}
        )
    TipEvent.objects.filter(tip=tip).update(at=F("at") - delta)
    Dispatch.objects.filter(tip=tip).update(
        dispatched_at=F("dispatched_at") - delta, ack_due=F("ack_due") - delta
    )
    for name in ("acknowledged_at", "answered_at"):
        Dispatch.objects.filter(tip=tip, **{f"{name}__isnull": False}).update(
            **{name: F(name) - delta}
        )


def _handle_to_the_end(n: int, tip: Tip, desk: User, supervisor: User, rng: random.Random) -> None:
    handling.tip_acknowledge(actor=desk, tip=tip)
    if tip.reachable and tip.first_contact_at is None:
        handling.tip_record_contact(actor=desk, tip=tip, note="电话联系举报人，核实情况。")
    if tip.needs_police:
        handling.tip_record_police(
            actor=desk,
            tip=tip,
            unit="永州市公安局冷水滩分局",
            receipt=f"冷公(刑)受字〔2026〕{100 + n}号",
            reported_at=timezone.now(),
        )
    if tip.category in (Category.NEGLECT, Category.UNATTENDED):
        handling.tip_dispatch(
            actor=desk, tip=tip, township=tip.area_code[:9], instructions="请督导员入户核实并反馈。"
        )
        handling.tip_dispatch_acknowledge(actor=supervisor, tip=tip)
        handling.tip_dispatch_report(
            actor=supervisor, tip=tip, result="已入户核实，联系监护人落实照料，纳入走访。"
        )
    handling.tip_close(
        actor=desk,
        tip=tip,
        outcome=OUTCOMES[n % len(OUTCOMES)],
        note="已核实并处置，相关情况已告知举报人。",
    )
    if tip.reachable:
        unhappy = n == 5
        handling.tip_record_followup(
            actor=desk,
            tip=tip,
            satisfaction=Satisfaction.DISSATISFIED
            if unhappy
            else rng.choice(
                [Satisfaction.SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASICALLY]
            ),
            note="回访举报人。",
        )
        if unhappy:  # reopened by the call: handled again, closed, called back
            handling.tip_add_note(actor=desk, tip=tip, text="举报人反映孩子仍常饿肚子，再次核实。")
            handling.tip_close(
                actor=desk, tip=tip, outcome=Outcome.RESOLVED, note="已协调村委会落实午餐补助。"
            )
            handling.tip_record_followup(actor=desk, tip=tip, satisfaction=Satisfaction.SATISFIED)


def tips_demo_seed(
    *, users: dict[str, User], orgs: dict[str, Organisation], village: str, today: date, seed: int
) -> int:
    """The year's reports and today's queue; the number of reports made."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    desk, supervisor = users["center_staff"], users["child_supervisor"]
    operator, teacher = users["hotline_operator"], users["school_psych_teacher"]
    police = users["agency_officer"]
    made = 0
    for n, (days, channel, category, text) in enumerate(YEAR):
        actor: User | None = {
            Channel.HOTLINE.value: operator,
            Channel.REPORT_BOX.value: teacher,
            Channel.MANDATORY.value: teacher,
        }.get(channel)
        tip = tip_receive(_intake(n, channel, category, text, orgs, village), actor=actor).tip
        _handle_to_the_end(n, tip, desk, supervisor, rng)
        _move_back(tip, days)
        made += 1

    tip_receive(
        Intake(
            channel=Channel.WEB,
            category=Category.OTHER,
            description="我表妹这几天在空间里说不想活了，还发了割腕的照片，她一个人在家。",
            area_code=village,
            anonymous=True,
        ),
        files=[clean_upload(_photo())],
    )
    yesterday = tip_receive(
        _intake(
            90,
            Channel.HOTLINE,
            Category.NEGLECT,
            "来电反映一名留守儿童连续几天没去上学，爷爷奶奶年迈管不了。",
            orgs,
            village,
        ),
        actor=operator,
    ).tip
    handling.tip_acknowledge(actor=desk, tip=yesterday)
    handling.tip_record_contact(actor=desk, tip=yesterday, note="已回电来电人。")
    handling.tip_dispatch(
        actor=desk, tip=yesterday, township=village[:9], instructions="请督导员今日入户核实。"
    )
    mandatory = tip_receive(
        Intake(
            channel=Channel.MANDATORY,
            category=Category.ABUSE,
            description="学生脸部和手臂有新伤，说是周末被父亲殴打，不敢回家。",
            area_code=village,
            trigger=Trigger.MULTIPLE_INJURIES,
            reporter_sector=Sector.SCHOOL,
            reporter_unit="花桥街镇中学",
            found_at=timezone.now() - timedelta(hours=2),
            notified=["education"],
        ),
        actor=teacher,
    ).tip
    handling.tip_acknowledge(actor=desk, tip=mandatory)
    handling.tip_record_police(
        actor=desk,
        tip=mandatory,
        unit="永州市公安局冷水滩分局花桥派出所",
        receipt="冷公(花)受字〔2026〕318号",
        reported_at=timezone.now() - timedelta(hours=1),
    )
    handling.tip_set_urgency(actor=desk, tip=mandatory, urgency=Urgency.EMERGENCY)
    handling.tip_dispatch(
        actor=desk,
        tip=mandatory,
        organisation=orgs["police"],
        instructions="请派出所依法处置并反馈。",
    )
    handling.tip_dispatch_acknowledge(actor=police, tip=mandatory)
    box = tip_receive(
        _intake(
            91,
            Channel.REPORT_BOX,
            Category.BULLYING,
            "举报箱纸条：初二有同学被人拍了不雅视频在群里传，被威胁不许告诉老师。",
            orgs,
            village,
        ),
        actor=teacher,
    ).tip
    handling.tip_acknowledge(actor=desk, tip=box)
    handling.tip_request_extension(
        actor=desk, tip=box, reason="涉及多名学生和家长，需学校、派出所共同调查取证。"
    )
    _move_back(yesterday, 1)
    _move_back(mandatory, 3)
    _move_back(box, 6)
    return made + 4
