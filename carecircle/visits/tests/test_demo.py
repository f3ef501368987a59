"""The demo's visits: never recorded ahead of the clock, whenever the demo is loaded."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from freezegun import freeze_time

from carecircle.visits.demo import _at

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("clock", ["00:05", "08:59", "12:30", "23:50"])
def test_a_demo_visit_today_is_before_now(clock: str) -> None:
    hour, minute = (int(part) for part in clock.split(":"))
    now = datetime(2026, 12, 8, hour, minute, tzinfo=SHANGHAI)
    with freeze_time(now), timezone.override(SHANGHAI):
        today = timezone.localdate()
        moments = [_at(today, random.Random(n)) for n in range(50)]  # noqa: S311 - demo data
        earlier = [_at(today - timedelta(days=1), random.Random(n)) for n in range(50)]  # noqa: S311
    assert all(moment < now for moment in moments)
    # A day before today keeps its working hours.
    assert all(9 <= moment.astimezone(SHANGHAI).hour < 17 for moment in earlier)
