"""Visit rule versions: defaults, each save a new active version, who may set them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.visits.models import VisitRuleSet
from carecircle.visits.rules import DEFAULT_INTERVALS, active_intervals, visit_rules_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


def test_the_defaults_are_monthly_for_the_most_vulnerable_and_quarterly_otherwise() -> None:
    assert active_intervals() == DEFAULT_INTERVALS
    monthly = {k for k, days in DEFAULT_INTERVALS.items() if days == 30}
    quarterly = {k for k, days in DEFAULT_INTERVALS.items() if days == 90}
    assert monthly == {
        "orphan",
        "de_facto_unsupported",
        "key_assistance",
        "key_target",
        "risk_red",
        "risk_yellow",
    }
    assert quarterly == {"rural_left_behind", "urban_left_behind", "in_difficulty"}


def test_each_save_is_a_new_version_and_the_only_active_one(personas: dict[str, User]) -> None:
    admin = personas["district_admin"]
    first = visit_rules_create(actor=admin, intervals={"orphan": 14})
    second = visit_rules_create(actor=admin, intervals={"orphan": 21, "migrant": 60}, note=" 试行 ")
    assert (first.version, second.version) == (1, 2)
    assert list(VisitRuleSet.objects.filter(is_active=True)) == [second]
    assert active_intervals() == {"orphan": 21, "migrant": 60}
    assert second.note == "试行"
    VisitRuleSet.objects.get(pk=first.pk)  # kept for the record
    event = AuditEvent.objects.filter(object_type="visits.visitruleset").first()
    assert event is not None and event.details["intervals"] == {"orphan": 21, "migrant": 60}


@pytest.mark.parametrize("role", ["child_supervisor", "center_staff", "child_director", "analyst"])
def test_only_a_county_wide_district_administrator_sets_rules(
    personas: dict[str, User], role: str
) -> None:
    with pytest.raises(PermissionDenied):
        visit_rules_create(actor=personas[role], intervals={"orphan": 30})
    assert not VisitRuleSet.objects.exists()


def test_unknown_keys_and_impossible_intervals_are_refused(personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as caught:
        visit_rules_create(
            actor=personas["district_admin"],
            intervals={"orphans": 30, "migrant": 0, "orphan": "30", "in_difficulty": 400},
        )
    assert caught.value.message_dict["intervals"] == [
        "orphans is not a category or a risk a visit rule can name.",
        "The days between visits for migrant must be a whole number from 1 to 366.",
        "The days between visits for orphan must be a whole number from 1 to 366.",
        "The days between visits for in_difficulty must be a whole number from 1 to 366.",
    ]
    assert not VisitRuleSet.objects.exists()
