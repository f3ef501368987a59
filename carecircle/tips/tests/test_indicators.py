"""The tips.* indicators against hand-counted tips, by period, area, channel and category.

March 2026 in 冷水滩区 (431103), local time:

====  =========  ===========================  ===================  ===================
tip   received   response (ack / contact)     closure (due, done)  follow-up call
====  =========  ===========================  ===================  ===================
t1    03-02      ack in time, unreachable     03-09, 03-05         satisfied
t2    03-03      ack and contact in time      03-10, 03-12 (late)  basically
t3    03-04      ack and contact in time;     03-11, open          unreachable
                 the 12345 hotline
t4    03-05      ack late; abuse              03-20, open          dissatisfied
t5    03-31      ack due 04-01: not this      04-07, open          —
                 period's
t8    02-27      (February)                   03-03, 03-02         03-03 dissatisfied
dup   03-06      merged into t1: never counted
far   03-06      零陵区: outside the area
====  =========  ===========================  ===================  ===================

Received 5; responded in time 3 of 4 due (75 %); closed 3 of 5 due (60 %); closed on
time 2 of 3 closed (66.7 %); satisfied 2 of 4 reached (50 %).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from carecircle.accounts.models import User
from carecircle.stats.registry import REGISTRY, compute_all
from carecircle.tips.models import Category, Channel, Satisfaction, Status, Tip
from carecircle.tips.tests.factories import tip

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
START, END = date(2026, 3, 1), date(2026, 3, 31)
IDS = (
    "tips.received",
    "tips.response_rate",
    "tips.handling_rate",
    "tips.on_time_closure_rate",
    "tips.satisfaction_rate",
)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=CST)


def made(received: datetime, *, contact: str = "", **stamps: Any) -> Tip:
    fields = {k: stamps.pop(k) for k in ("channel", "category", "area_code") if k in stamps}
    new = tip(reporter_contact=contact, anonymous=not contact, **fields)
    values = {
        "received_at": received,
        "ack_due": received + timedelta(hours=4),
        "contact_due": received + timedelta(days=1),
        "close_due": received + timedelta(days=7),
    }
    values.update(stamps)
    Tip.objects.filter(pk=new.pk).update(**values)
    new.refresh_from_db()
    return new


@pytest.fixture
def tips(district: Any) -> dict[str, Tip]:
    phone = "13800000000"
    t1 = made(
        at(3, 2),
        acknowledged_at=at(3, 2, 11),
        close_due=at(3, 9),
        closed_at=at(3, 5),
        status=Status.CLOSED,
        followup_at=at(3, 6),
        satisfaction=Satisfaction.SATISFIED,
    )
    found = {
        "t1": t1,
        "t2": made(
            at(3, 3),
            contact=phone,
            acknowledged_at=at(3, 3, 11),
            first_contact_at=at(3, 3, 16),
            close_due=at(3, 10),
            closed_at=at(3, 12),
            status=Status.CLOSED,
            followup_at=at(3, 13),
            satisfaction=Satisfaction.BASICALLY,
        ),
        "t3": made(
            at(3, 4),
            contact=phone,
            channel=Channel.HOTLINE,
            acknowledged_at=at(3, 4, 11),
            first_contact_at=at(3, 4, 12),
            close_due=at(3, 11),
            followup_at=at(3, 15),
            satisfaction=Satisfaction.UNREACHABLE,
        ),
        "t4": made(
            at(3, 5),
            category=Category.ABUSE,
            acknowledged_at=at(3, 5, 20),
            close_due=at(3, 20),
            followup_at=at(3, 21),
            satisfaction=Satisfaction.DISSATISFIED,
        ),
        "t5": made(at(3, 31, 23), close_due=at(4, 7)),
        "t8": made(
            at(2, 27),
            acknowledged_at=at(2, 27, 11),
            close_due=at(3, 3),
            closed_at=at(3, 2),
            status=Status.CLOSED,
            followup_at=at(3, 3),
            satisfaction=Satisfaction.DISSATISFIED,
        ),
        "far": made(at(3, 6), area_code="431102001001", acknowledged_at=at(3, 6, 11)),
    }
    found["dup"] = made(at(3, 6), status=Status.MERGED, merged_into=t1, close_due=at(3, 12))
    return found


def values(**kwargs: Any) -> dict[str, Any]:
    computed = compute_all(start=START, end=END, viewer_prefixes=["431103"], **kwargs)
    return {key: computed[key] for key in IDS}


def test_the_figures_match_the_hand_count(tips: dict[str, Tip]) -> None:
    assert values() == {
        "tips.received": 5,
        "tips.response_rate": Decimal("75.0"),
        "tips.handling_rate": Decimal("60.0"),
        "tips.on_time_closure_rate": Decimal("66.7"),
        "tips.satisfaction_rate": Decimal("50.0"),
    }


def test_the_denominators_are_registered_beside_the_rates(tips: dict[str, Tip]) -> None:
    from carecircle.stats.registry import scope_for

    scope = scope_for(start=START, end=END, viewer_prefixes=["431103"])
    denominators = {
        key: REGISTRY[key].denominator(scope)  # type: ignore[misc]
        for key in IDS[1:]
    }
    assert denominators == {
        "tips.response_rate": 4,
        "tips.handling_rate": 5,
        "tips.on_time_closure_rate": 3,
        "tips.satisfaction_rate": 4,
    }


def test_the_channel_and_the_category_narrow_every_figure(tips: dict[str, Tip]) -> None:
    hotline = values(filters={"channel": Channel.HOTLINE})
    assert hotline["tips.received"] == 1
    assert hotline["tips.response_rate"] == Decimal("100.0")
    assert hotline["tips.handling_rate"] == Decimal("0.0")
    assert hotline["tips.on_time_closure_rate"] is None  # nothing closed: no rate
    abuse = values(filters={"tip_category": Category.ABUSE})
    assert abuse["tips.received"] == 1 and abuse["tips.response_rate"] == Decimal("0.0")


def test_other_indicators_have_no_value_under_a_tip_filter(tips: dict[str, Tip]) -> None:
    computed = compute_all(
        start=START, end=END, viewer_prefixes=["431103"], filters={"channel": "web"}
    )
    assert computed["staff.social_workers"] is None
    assert computed["tips.received"] == 4


def test_a_registry_category_of_children_leaves_tips_out(tips: dict[str, Tip]) -> None:
    assert values(category="orphan")["tips.received"] is None


def test_the_area_narrows_to_a_township(tips: dict[str, Tip]) -> None:
    assert values(area="431103102")["tips.received"] == 0
    other = compute_all(start=START, end=END, viewer_prefixes=["431102"])
    assert other["tips.received"] == 1


def test_the_stats_page_offers_the_filters_and_shows_definitions(
    tips: dict[str, Tip], personas: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    response = client_for(personas["district_admin"]).get(
        reverse("stats:indicator-list"),
        {"start": START.isoformat(), "end": END.isoformat(), "channel": "hotline"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="channel"' in body and 'name="tip_category"' in body
    rows = {r["id"]: r for _group, items in response.context["groups"] for r in items}
    assert rows["tips.received"]["value"] == 1
    assert rows["tips.response_rate"]["denominator"] == 1
    assert rows["staff.social_workers"]["not_filtered"] is True
    assert str(rows["tips.handling_rate"]["definition"]) in body


def test_the_stats_page_refuses_an_unknown_channel(
    tips: dict[str, Tip], personas: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    response = client_for(personas["district_admin"]).get(
        reverse("stats:indicator-list"),
        {"start": "2026-03-01", "end": "2026-03-31", "channel": "x"},
    )
    assert response.status_code == 200
    assert "channel" in response.context["form"].errors


def test_the_command_takes_the_filters(tips: dict[str, Tip]) -> None:
    out = StringIO()
    call_command(
        "stats", "--from", "2026-03-01", "--to", "2026-03-31", "--area", "431103",
        "--filter", "channel=hotline", "--json", stdout=out,
    )  # fmt: skip
    printed = json.loads(out.getvalue())
    assert printed["tips.received"] == 1 and printed["staff.social_workers"] is None
    with pytest.raises(CommandError, match="Unknown filter"):
        call_command("stats", "--from", "2026-03-01", "--to", "2026-03-31", "--filter", "x=y")
    with pytest.raises(CommandError, match="takes one of"):
        call_command(
            "stats", "--from", "2026-03-01", "--to", "2026-03-31", "--filter", "channel=fax"
        )


def test_a_limit_still_ahead_is_not_yet_due(district: Any) -> None:
    # A period running past today: this morning's report, not acknowledged yet but
    # with time left, does not count against the rates; a late one does.
    today = date.today()
    fresh = tip(anonymous=True)
    stale = tip(anonymous=True)
    Tip.objects.filter(pk=stale.pk).update(
        received_at=stale.received_at - timedelta(days=1),
        ack_due=stale.ack_due - timedelta(days=1),
    )
    computed = compute_all(
        start=today - timedelta(days=3), end=today + timedelta(days=30), viewer_prefixes=["431103"]
    )
    assert fresh.acknowledged_at is None and fresh.ack_due > fresh.received_at
    assert computed["tips.received"] == 2
    assert computed["tips.response_rate"] == Decimal("0.0")  # 0 of 1: only the late one
    assert computed["tips.handling_rate"] is None  # nothing has reached its closure limit
