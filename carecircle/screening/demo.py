"""Screening in the demo district: two rounds at the demo middle school.

The spring round is over: its pupils answered, their follow-ups were done, and the
counselor confirmed one key assistance target. The autumn round is open: some
pupils have answered, their red and yellow results wait for the psychology teacher,
and the rest still hold their codes (print them from the campaign page and answer at
/q/). Answers are drawn from a seeded generator, mostly low, so that each level
appears in realistic proportions; only one class per grade takes part, so that the demo's
time does not grow with ``--minors``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from carecircle.accounts.models import Organisation, User
from carecircle.accounts.roles import Role
from carecircle.people.models import Minor, SchoolClass
from carecircle.screening.instruments import get_instrument, hidden_items
from carecircle.screening.models import Campaign, FollowUp, Participant, Response
from carecircle.screening.services import (
    campaign_create,
    instruments_for,
    participants_issue,
    response_submit,
)
from carecircle.screening.targets import candidates_for, key_target_confirm

INSTRUMENTS = [("PHQ9", 12, 18), ("GAD7", 12, 18), ("ASQ", 10, 18), ("SCARED", 8, 11)]
# Per pupil and round: how troubled the answers are (share of pupils).
PROFILES = (("calm", 0.78), ("mild", 0.12), ("moderate", 0.07), ("severe", 0.03))
_ITEM_CEILING = {"calm": 1, "mild": 1, "moderate": 2, "severe": 3}


def _answers(instrument: Any, profile: str, rng: random.Random) -> dict[str, Any]:
    """Answers to every item asked, drawn from the profile."""
    values: dict[str, Any] = {}
    for item in instrument.items:
        options = [o.value for o in item.option_set.options]
        if isinstance(options[0], str):  # ASQ: yes / no / refused
            troubled = profile == "severe" and (item.id == "q1" or rng.random() < 0.3)
            values[item.id] = "Y" if troubled else "N"
            continue
        numeric = sorted(v for v in options if isinstance(v, int))
        ceiling = min(_ITEM_CEILING[profile], numeric[-1])
        chance = {"calm": 0.25, "mild": 0.5, "moderate": 0.7, "severe": 0.85}[profile]
        values[item.id] = rng.randint(1, ceiling) if rng.random() < chance else numeric[0]
    if "q9" in values and instrument.code == "PHQ9" and profile != "severe":
        values["q9"] = 0  # thoughts of self-harm only in the severe profile
    return values


def _profile(rng: random.Random) -> str:
    draw, total = rng.random(), 0.0
    for name, share in PROFILES:
        total += share
        if draw < total:
            return name
    return PROFILES[0][0]


def _round(
    *,
    teacher: User,
    school: Organisation,
    classes: list[SchoolClass],
    name: str,
    opens: datetime,
    days: int,
    answering: float,
    rng: random.Random,
) -> Campaign:
    campaign = campaign_create(
        actor=teacher,
        school=school,
        name=name,
        opens_at=opens,
        closes_at=opens + timedelta(days=days),
        basis=Campaign.Basis.STATUTORY,
        statutory_basis="《中华人民共和国未成年人保护法》第三十条；教育部办公厅教思政厅函〔2021〕10号",
        notice_sent_on=timezone.localdate(opens) - timedelta(days=7),
        instruments=INSTRUMENTS,
        classes=classes,
    )
    participants_issue(actor=teacher, campaign=campaign)
    # Its instruments once, not once per pupil (instruments_for reads them).
    campaign = Campaign.objects.prefetch_related("instruments").get(pk=campaign.pk)
    day = timezone.localdate(opens)
    # The first answering pupils show the levels a demo needs; the others are drawn.
    shown = ["severe", "moderate", "mild"]
    for participant in campaign.participants.select_related("minor").order_by("pk"):
        if rng.random() >= answering:
            continue
        profile = shown.pop(0) if shown else _profile(rng)
        for chosen in instruments_for(campaign, participant.minor, day):
            instrument = get_instrument(chosen.code)
            answers = _answers(instrument, profile, rng)
            for hidden in hidden_items(instrument, answers):
                answers[hidden] = None  # not asked (ASQ's question 5 after a negative screen)
            response_submit(participant=participant, code=chosen.code, answers=answers)
    return campaign


def _date_back(campaign: Campaign, rng: random.Random, counselor: User) -> None:
    """Move the spring round's answers and follow-ups to its window, follow-ups done."""
    for response in Response.objects.filter(participant__campaign=campaign):
        at = campaign.opens_at + timedelta(hours=rng.randint(1, 72))
        Response.objects.filter(pk=response.pk).update(submitted_at=at)
        Participant.objects.filter(pk=response.participant_id).update(submitted_at=at)
        FollowUp.objects.filter(response=response).update(
            due_at=at + timedelta(days=3),
            status=FollowUp.Status.DONE,
            acknowledged_by=counselor,
            acknowledged_at=at + timedelta(hours=2),
            done_by=counselor,
            done_at=at + timedelta(days=1),
            escalated_at=None,
        )
    for follow_up in FollowUp.objects.filter(response__participant__campaign=campaign):
        follow_up.outcome = "已面谈；与家长沟通并制定关爱计划，两周后复评。"
        follow_up.save(update_fields=["outcome"])


def screening_demo_seed(
    *,
    users: dict[str, User],
    orgs: dict[str, Organisation],
    school_key: str,
    today: date,
    seed: int,
) -> int:
    """The two rounds at ``orgs[school_key]``; returns how many results were submitted."""
    school = orgs[school_key]
    classes = list(
        SchoolClass.objects.filter(school=school, grade__in=(7, 8, 9), name="1班").order_by("grade")
    )
    if not classes or not Minor.objects.filter(school_class__in=classes).exists():
        return 0
    rng = random.Random(f"carecircle-demo:{seed}:screening")  # noqa: S311 - demo data
    teacher, counselor = users[Role.SCHOOL_PSYCH_TEACHER], users[Role.COUNSELOR]
    tz = timezone.get_current_timezone()
    spring = _round(
        teacher=teacher,
        school=school,
        classes=classes,
        name=f"{today.year}年春季学生心理健康筛查",
        opens=datetime.combine(today - timedelta(days=200), time(8), tz),
        days=14,
        answering=0.95,
        rng=rng,
    )
    _date_back(spring, rng, counselor)
    Campaign.objects.filter(pk=spring.pk).update(status=Campaign.Status.CLOSED)
    offered = candidates_for(counselor, today=today)
    if offered:
        key_target_confirm(
            actor=counselor, minor=offered[0].minor, note="每两周面谈一次，班主任日常观察。"
        )
    _round(
        teacher=teacher,
        school=school,
        classes=classes,
        name=f"{today.year}年秋季学生心理健康筛查",
        opens=datetime.combine(today - timedelta(days=2), time(8), tz),
        days=14,
        answering=0.6,
        rng=rng,
    )
    return Response.objects.filter(submitted_at__isnull=False).count()
