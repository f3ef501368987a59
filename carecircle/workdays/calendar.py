"""Working-day arithmetic over ``SpecialDay``.

A limit of *n* working days for something received on day D ends at the end of
the n-th working day after D (the receiving day is not counted, as 12345 centres
count it): received on a Friday with 1 working day, it is due at the end of the
next Monday, or of the Tuesday if that Monday is a holiday.

The special days are read at most once a minute per process (``CACHE_SECONDS``), and
at once after a change made in this process (``forget``): a limit is computed on
every ticket received, and the table holds a few dozen rows a year.
"""

from __future__ import annotations

import json
import time as clock
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from carecircle.workdays.models import SpecialDay

DATA_FILE = Path(__file__).parent / "data" / "cn_holidays.json"
# Beyond this many calendar days a limit is surely misconfigured, not long.
MAX_SPAN = 400
CACHE_SECONDS = 60

_cache: tuple[float, dict[date, str]] | None = None


def forget() -> None:
    global _cache
    _cache = None


def _special() -> dict[date, str]:
    global _cache
    now = clock.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, dict(SpecialDay.objects.values_list("date", "kind")))
    return _cache[1]


def is_workday(day: date) -> bool:
    kind = _special().get(day)
    if kind == SpecialDay.Kind.HOLIDAY:
        return False
    if kind == SpecialDay.Kind.WORKDAY:
        return True
    return day.weekday() < 5


def add_workdays(day: date, n: int) -> date:
    """The n-th working day after ``day`` (``day`` itself when n is 0)."""
    current = day
    remaining = n
    for _step in range(MAX_SPAN):
        if remaining <= 0:
            return current
        current += timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    raise ValueError(f"no {n} working days within {MAX_SPAN} days of {day}")


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in local time (the next midnight)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def workdays_deadline(start: datetime, n: int) -> datetime:
    """The end of the n-th working day after the local day of ``start``."""
    return end_of_day(add_workdays(timezone.localtime(start).date(), n))


def workdays_between(first: date, last: date) -> int:
    """Working days after ``first`` up to and including ``last`` (0 if last <= first)."""
    count = 0
    current = first
    while current < last:
        current += timedelta(days=1)
        if is_workday(current):
            count += 1
    return count


def read_file(path: Path = DATA_FILE) -> list[tuple[date, str, str]]:
    """(date, kind, name) rows of a calendar file; ValueError with the reason if bad."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        rows: list[tuple[date, str, str]] = []
        for year in data["years"].values():
            for key, kind in (
                ("holidays", SpecialDay.Kind.HOLIDAY),
                ("workdays", SpecialDay.Kind.WORKDAY),
            ):
                for day, name in year.get(key, []):
                    rows.append((date.fromisoformat(day), str(kind), str(name)))
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    seen: set[date] = set()
    for day, _kind, _name in rows:
        if day in seen:
            raise ValueError(f"{path}: {day} is listed twice")
        seen.add(day)
    return rows


@transaction.atomic
def load(rows: list[tuple[date, str, str]]) -> int:
    """Store the rows (replacing the same dates); the number written."""
    for day, kind, name in rows:
        SpecialDay.objects.update_or_create(date=day, defaults={"kind": kind, "name": name})
    transaction.on_commit(forget)
    return len(rows)
