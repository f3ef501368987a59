"""Cases in the demo district: one of each situation a case worker meets.

- the key assistance target the counselor confirmed after the spring screening
  becomes a counseling case, assessed and planned, now in intervention, with a task
  for its team;
- the child of today's mandatory report (when the desk linked one) becomes a
  legal-aid case with a lawyer on its team; otherwise a walk-in of the demo village;
- a counseling case of last term, closed by the centre with approval after its
  review;
- a crisis: a child at red-critical, with the safety plan written, the guardian told
  and the daily follow-up running (yesterday's done, today's waiting); the child is
  referred to 永州市第三人民医院, whose clinician accepted and gave feedback;
- the legal-aid case's child, when a report of harm opened it, reported to the
  police (a statutory duty), otherwise the crisis child's school asked to watch over
  the child; that referral still awaits acceptance.

Everything goes through the services, as the pages would; the closed case's history
is then moved back to when it happened, intervals kept.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import F

from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.cases import services
from carecircle.cases.models import (
    Case,
    CaseEvent,
    CaseTask,
    Kind,
    Referral,
    Risk,
    Source,
    Status,
)
from carecircle.cases.referrals import services as referrals
from carecircle.people.models import Minor
from carecircle.screening.models import KeyTarget
from carecircle.tips.models import Channel, Tip, TipMinor

CLOSED_DAYS_AGO = 75


def _walk_to_intervention(
    case: Case, actor: User, today: date, assessment: str, goals: str
) -> None:
    services.case_transition(actor=actor, case=case, to=Status.ASSESSMENT)
    services.case_record_plan(actor=actor, case=case, assessment=assessment)
    services.case_transition(actor=actor, case=case, to=Status.PLANNING)
    services.case_record_plan(
        actor=actor,
        case=case,
        goals=goals,
        services="每周一次个体心理辅导；每月一次家庭沟通指导；班主任日常观察反馈。",
        review_on=today + timedelta(days=30),
    )
    services.case_transition(actor=actor, case=case, to=Status.INTERVENTION)


def _move_back(case: Case, days: int) -> None:
    """Shift a case and its history ``days`` back, keeping every interval."""
    delta = timedelta(days=days)
    Case.objects.filter(pk=case.pk).update(opened_at=F("opened_at") - delta)
    Case.objects.filter(pk=case.pk, closed_at__isnull=False).update(
        closed_at=F("closed_at") - delta
    )
    Case.objects.filter(pk=case.pk, review_on__isnull=False).update(
        review_on=F("review_on") - delta
    )
    CaseEvent.objects.filter(case=case).update(at=F("at") - delta)
    CaseTask.objects.filter(case=case).update(
        due_at=F("due_at") - delta, created_at=F("created_at") - delta
    )
    CaseTask.objects.filter(case=case, done_at__isnull=False).update(done_at=F("done_at") - delta)


def _from_key_target(users: dict[str, User], today: date) -> Case | None:
    target = KeyTarget.objects.filter(ended_at__isnull=True).order_by("pk").first()
    if target is None:
        return None
    counselor = users["counselor"]
    case = services.case_open(
        actor=counselor,
        minor=target.minor,
        kind=Kind.COUNSELING,
        source=Source.KEY_TARGET,
        source_target=target,
        summary="春季心理筛查结果为红色，经咨询师确认为重点帮扶对象，开案跟进。",
        risk=Risk.RED,
        risk_reasons="筛查抑郁量表得分偏高，自述睡眠差、不愿与同学交往。",
    )
    services.case_add_member(actor=counselor, case=case, user=users["social_worker"])
    _walk_to_intervention(
        case,
        counselor,
        today,
        assessment="情绪低落持续两个月以上，学业压力与同伴关系是主要诱因，家庭支持较弱。",
        goals="三个月内情绪稳定，恢复正常作息，与至少两名同学建立稳定联系。",
    )
    services.case_add_task(
        actor=counselor,
        case=case,
        title="与班主任面谈，了解近两周在校表现",
        assigned_to=users["social_worker"],
        due_on=today + timedelta(days=3),
    )
    return case


def _from_report_or_walk_in(users: dict[str, User], village: str, today: date) -> Case | None:
    worker = users["social_worker"]
    report = (
        Tip.objects.filter(channel=Channel.MANDATORY, area_code__startswith=village)
        .exclude(status="closed")
        .order_by("-received_at", "-pk")
        .first()
    )
    link = TipMinor.objects.filter(tip=report).order_by("pk").first() if report else None
    extra: dict[str, Any]
    minor: Minor | None
    if link is not None:
        minor = link.minor
        extra = {
            "source": Source.TIP,
            "source_tip": report,
            "summary": "强制报告反映孩子遭父亲殴打，已报警；开案提供法律援助并跟进安置。",
        }
    else:
        minor = (
            Minor.objects.filter(area_code=village)
            .exclude(cases__isnull=False)
            .order_by("pk")
            .first()
        )
        if minor is None:
            return None
        extra = {
            "source": Source.WALK_IN,
            "summary": "祖母带孩子来中心求助：孩子父母离异后抚养费长期未支付，需法律援助。",
        }
    case = services.case_open(
        actor=worker,
        minor=minor,
        kind=Kind.LEGAL_AID,
        risk=Risk.YELLOW,
        risk_reasons="监护人监护能力不足，孩子生活来源不稳定。",
        **extra,
    )
    services.case_add_member(actor=worker, case=case, user=users["lawyer"])
    return case


def _closed(users: dict[str, User], minor: Minor, today: date) -> Case:
    counselor, desk = users["counselor"], users["center_staff"]
    case = services.case_open(
        actor=counselor,
        minor=minor,
        kind=Kind.COUNSELING,
        source=Source.SCHOOL,
        summary="学校心理老师转介：孩子因父母外出务工出现厌学情绪。",
        risk=Risk.YELLOW,
        risk_reasons="连续两周迟到早退，课堂注意力差。",
    )
    _walk_to_intervention(
        case,
        counselor,
        today,
        assessment="留守引发的分离焦虑，无自伤风险，家庭愿意配合。",
        goals="恢复正常上学，每周与父母视频通话至少两次。",
    )
    services.case_transition(actor=counselor, case=case, to=Status.REVIEW)
    services.case_set_risk(
        actor=counselor, case=case, risk=Risk.GREEN, reasons="连续六周按时上学，情绪稳定。"
    )
    services.case_record_plan(
        actor=counselor,
        case=case,
        closure_note="干预目标均已达成，孩子适应良好；已交由班主任和儿童主任日常关注。",
    )
    services.case_transition(actor=counselor, case=case, to=Status.CLOSURE_PENDING)
    services.case_transition(actor=desk, case=case, to=Status.CLOSED)
    _move_back(case, CLOSED_DAYS_AGO)
    return case


def _crisis(users: dict[str, User], minor: Minor) -> Case:
    counselor = users["counselor"]
    case = services.case_open(
        actor=counselor,
        minor=minor,
        kind=Kind.CRISIS,
        source=Source.WALK_IN,
        summary="孩子在社交平台发布轻生言论，由家长陪同来中心。",
        risk=Risk.RED_CRITICAL,
        risk_reasons="有明确轻生想法和计划，近期有自伤行为。",
    )
    services.case_add_member(actor=counselor, case=case, user=users["social_worker"])
    services.case_record_crisis(
        actor=counselor,
        case=case,
        safety_plan="家长24小时陪护，收走药品和刀具；约定每日电话随访；出现危险立即拨打120或110。",
        guardian_told=True,
    )
    first = case.tasks.get(kind=CaseTask.Kind.CRISIS_FOLLOW_UP, status=CaseTask.Status.OPEN)
    services.case_complete_task(
        actor=counselor, task=first, note="电话随访：孩子情绪较昨日平稳，家长陪护到位。"
    )
    return case


def _organisation_of(user: User) -> Organisation | None:
    held = RoleAssignment.objects.active().filter(user=user, organisation__isnull=False).first()
    return held.organisation if held else None


def _referrals(users: dict[str, User], legal: Case | None, crisis: Case | None) -> None:
    """The crisis case referred to the hospital, accepted, with its feedback; one
    more referral, to the police or a school, awaiting acceptance."""
    clinician = users["hospital_clinician"]
    hospital = _organisation_of(clinician)
    if crisis is not None and hospital is not None:
        referral = referrals.referral_send(
            actor=users["counselor"],
            case=crisis,
            to_organisation=hospital,
            reason="孩子有明确轻生计划，已落实家长陪护；请精神科评估并给出诊疗意见。",
            shared_items=["name", "sex", "birth_year", "guardian_contact", "risk"],
            basis=Referral.Basis.VITAL_INTEREST,
        )
        referrals.referral_accept(actor=clinician, referral=referral)
        referrals.referral_feedback(
            actor=clinician,
            referral=referral,
            feedback="门诊评估后收入儿少心理科住院观察一周，药物治疗并每周心理治疗；出院后门诊随访。",
            diagnosis="中度抑郁发作（ICD-10 F32.1）",
        )
    police = _organisation_of(users["agency_officer"])
    if legal is not None and legal.source == Source.TIP and police is not None:
        referrals.referral_send(
            actor=users["social_worker"],
            case=legal,
            to_organisation=police,
            reason="强制报告反映孩子遭受监护人殴打，请依法调查处置并告知处理结果。",
            shared_items=["name", "sex", "birth_year", "guardian_contact", "case_facts"],
            basis=Referral.Basis.STATUTORY_DUTY,
        )
    elif crisis is not None and (school := crisis.minor.school) is not None:
        referrals.referral_send(
            actor=users["counselor"],
            case=crisis,
            to_organisation=school,
            reason="请班主任每日留意孩子到校和情绪情况，发现异常立即联系中心。",
            shared_items=["name", "school_class"],
            basis=Referral.Basis.STATUTORY_DUTY,
        )


def cases_demo_seed(*, users: dict[str, User], village: str, today: date) -> int:
    """The demo's cases; the number made."""
    target = _from_key_target(users, today)
    legal = _from_report_or_walk_in(users, village, today)
    made = [target, legal]
    spare = list(
        Minor.objects.filter(area_code=village).exclude(cases__isnull=False).order_by("pk")[:2]
    )
    crisis = None
    if len(spare) == 2:
        made.append(_closed(users, spare[0], today))
        crisis = _crisis(users, spare[1])
        made.append(crisis)
    _referrals(users, legal, crisis)
    return sum(case is not None for case in made)
