"""Working days on the statutory calendar, with holidays and make-up workdays."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from carecircle.workdays import calendar
from carecircle.workdays.models import SpecialDay

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def fresh_cache():
    calendar.forget()
    yield
    calendar.forget()


def test_the_builtin_calendar_is_loaded_by_the_migrations():
    assert SpecialDay.objects.get(date=date(2026, 2, 17)).kind == SpecialDay.Kind.HOLIDAY
    assert SpecialDay.objects.get(date=date(2026, 2, 14)).kind == SpecialDay.Kind.WORKDAY


def test_weekends_holidays_and_make_up_days():
    assert calendar.is_workday(date(2026, 12, 7))  # a Monday
    assert not calendar.is_workday(date(2026, 12, 5))  # a Saturday
    assert not calendar.is_workday(date(2026, 10, 5))  # National Day, a Monday
    assert calendar.is_workday(date(2026, 10, 10))  # a Saturday worked in exchange


def test_the_receiving_day_does_not_count():
    # Friday + 1 working day = Monday.
    assert calendar.add_workdays(date(2026, 12, 4), 1) == date(2026, 12, 7)
    assert calendar.add_workdays(date(2026, 12, 4), 0) == date(2026, 12, 4)


def test_a_limit_runs_across_the_national_day_week():
    # Received Wednesday 30 September 2026: 1–7 October are holidays, 10 October
    # (Saturday) is worked. 5 working days: 8, 9, 10, 12, 13 October.
    assert calendar.add_workdays(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_a_deadline_is_the_end_of_the_local_day():
    received = datetime(2026, 12, 4, 23, 30, tzinfo=CST)
    assert calendar.workdays_deadline(received, 1) == datetime(2026, 12, 8, 0, 0, tzinfo=CST)


def test_working_days_between_two_days():
    assert calendar.workdays_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert calendar.workdays_between(date(2026, 10, 13), date(2026, 9, 30)) == 0


def test_loading_a_file_replaces_the_same_dates(tmp_path: Path):
    path = tmp_path / "cal.json"
    path.write_text(
        json.dumps(
            {
                "years": {
                    "2027": {
                        "holidays": [["2027-01-01", "元旦"]],
                        "workdays": [["2026-12-05", "x"]],
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    call_command("workdays_load", str(path))
    calendar.forget()
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.is_workday(date(2026, 12, 5))


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"years": {"2027": {"holidays": [["2027-13-01", "x"]]}}}),
        json.dumps(
            {
                "years": {
                    "2027": {"holidays": [["2027-01-01", "a"]], "workdays": [["2027-01-01", "b"]]}
                }
            }
        ),
    ],
)
def test_a_bad_file_changes_nothing(tmp_path: Path, content: str):
    path = tmp_path / "cal.json"
    path.write_text(content, encoding="utf-8")
    before = SpecialDay.objects.count()
    with pytest.raises(CommandError):
        call_command("workdays_load", str(path))
    assert SpecialDay.objects.count() == before
