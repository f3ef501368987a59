from __future__ import annotations

import json
from datetime import datetime
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from carecircle.accounts.models import RoleAssignment, User
from carecircle.regions.codes import parse_code
from carecircle.stats.registry import REGISTRY

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
STAFF = [
    "staff.social_workers",
    "staff.counselors",
    "staff.family_educators",
    "staff.lawyers",
    "staff.child_supervisors",
    "staff.child_directors",
    "staff.school_psych_teachers",
]


@pytest.fixture
def staffed(
    personas: dict[str, User], other_personas: dict[str, User]
) -> dict[str, dict[str, User]]:
    """Both jurisdictions' personas, all in post since the start of 2026."""
    RoleAssignment.objects.update(granted_at=datetime(2026, 1, 2, tzinfo=SHANGHAI))
    return {"A": personas, "B": other_personas}


def stats(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("stats", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_it_prints_every_registered_indicator(staffed: Any) -> None:
    values = stats("--from", "2026-01-01", "--to", "2026-12-31")
    assert set(values) == set(REGISTRY)
    assert set(STAFF) <= set(values)
    # One persona per role on each side, counted over the whole database.
    assert {key: values[key] for key in STAFF} == dict.fromkeys(STAFF, 2)


def test_a_category_leaves_out_what_cannot_be_counted_by_category(staffed: Any) -> None:
    values = stats("--from", "2026-01-01", "--to", "2026-12-31", "--category", "orphan")
    assert set(values) == set(REGISTRY)
    for key, ind in REGISTRY.items():
        if not ind.by_category:
            assert values[key] is None, key
    assert values["visits.count"] == 0
    with pytest.raises(CommandError, match="invalid choice"):
        stats("--from", "2026-01-01", "--to", "2026-12-31", "--category", "astronaut")


def test_it_narrows_to_an_area(staffed: Any) -> None:
    town_a = stats("--from", "2026-01-01", "--to", "2026-12-31", "--area", "431103101")
    assert {key: town_a[key] for key in STAFF} == {
        # District-wide roles are held at 431103, outside the town's subtree.
        "staff.social_workers": 0,
        "staff.counselors": 0,
        "staff.family_educators": 0,
        "staff.lawyers": 0,
        "staff.child_supervisors": 1,
        "staff.child_directors": 1,
        "staff.school_psych_teachers": 1,
    }
    district = stats("--from", "2026-01-01", "--to", "2026-12-31", "--area", "431103000000")
    assert district["staff.social_workers"] == 1
    assert district["staff.child_supervisors"] == 2
    assert district["staff.school_psych_teachers"] == 2
    village_b = stats("--from", "2026-01-01", "--to", "2026-12-31", "--area", "431103102200")
    assert village_b["staff.child_directors"] == 1 and village_b["staff.child_supervisors"] == 0


def test_it_does_not_count_revoked_roles_or_inactive_accounts(
    staffed: dict[str, dict[str, User]],
) -> None:
    RoleAssignment.objects.filter(user=staffed["A"]["social_worker"]).update(
        revoked_at=datetime(2026, 6, 1, tzinfo=SHANGHAI)
    )
    User.objects.filter(pk=staffed["B"]["child_director"].pk).update(is_active=False)
    values = stats("--from", "2026-01-01", "--to", "2026-12-31")
    assert values["staff.social_workers"] == 1
    assert values["staff.child_directors"] == 1


def test_it_counts_a_role_revoked_after_the_period_for_that_period(
    staffed: dict[str, dict[str, User]],
) -> None:
    RoleAssignment.objects.filter(user=staffed["A"]["lawyer"]).update(
        revoked_at=datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI)
    )
    assert stats("--from", "2026-01-01", "--to", "2026-02-28")["staff.lawyers"] == 2
    assert stats("--from", "2026-01-01", "--to", "2026-03-01")["staff.lawyers"] == 1


def test_it_does_not_count_a_role_granted_after_the_period(
    staffed: dict[str, dict[str, User]],
) -> None:
    RoleAssignment.objects.filter(user=staffed["B"]["counselor"]).update(
        granted_at=datetime(2026, 7, 1, tzinfo=SHANGHAI)
    )
    assert stats("--from", "2026-01-01", "--to", "2026-06-30")["staff.counselors"] == 1
    assert stats("--from", "2025-01-01", "--to", "2025-12-31")["staff.counselors"] == 0


def test_it_counts_a_person_once_whatever_their_number_of_scopes(
    staffed: dict[str, dict[str, User]],
) -> None:
    director = staffed["A"]["child_director"]
    RoleAssignment.objects.create(
        user=director,
        role="child_director",
        division_id="431103102200",
        scope_prefix="431103102200",
        granted_at=datetime(2026, 1, 2, tzinfo=SHANGHAI),
    )
    assert stats("--from", "2026-01-01", "--to", "2026-12-31")["staff.child_directors"] == 2


def test_it_prints_a_table_without_json(staffed: Any) -> None:
    out = StringIO()
    call_command("stats", "--from", "2026-01-01", "--to", "2026-12-31", stdout=out)
    assert "staff.lawyers\t2\t人" in out.getvalue().splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01", "--to", "2026-12-31"], "Not a date"),
        (["--from", "2026-01-01", "--to", "yesterday"], "Not a date"),
        (["--from", "2026-12-31", "--to", "2026-01-01"], "--from must not be after --to"),
        (["--to", "2026-12-31"], "--from"),
    ],
)
def test_it_explains_bad_arguments(district: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("stats", *args, "--json", stdout=StringIO())


@pytest.mark.parametrize("area", ["43110X", "4311031", "09", "4300"])
def test_it_explains_a_bad_area_code_in_chinese(district: Any, area: str) -> None:
    with pytest.raises(ValidationError) as expected, translation.override("zh-hans"):
        parse_code(area)
    with translation.override("zh-hans"):
        message = " ".join(expected.value.messages)
        with pytest.raises(CommandError) as info:
            call_command(
                "stats", "--from", "2026-01-01", "--to", "2026-12-31", "--area", area, "--json"
            )
    assert str(info.value) == message
    assert area in message or expected.value.error_list[0].code == "division_not_digits"
