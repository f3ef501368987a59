"""Recording a visit: what is stored, what is refused, and retries that change nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.people.models import Minor
from carecircle.testing.fixtures import AREA_A, AREA_B
from carecircle.visits.flags import RiskFlag
from carecircle.visits.models import Finding, Visit, VisitMinor, VisitTask
from carecircle.visits.services import (
    MinorSeen,
    VisitConflictError,
    VisitInput,
    common_area,
    visit_record,
    visit_view,
)
from carecircle.visits.tests.factories import HouseholdFactory, MinorFactory

pytestmark = pytest.mark.django_db
KEY = "0b6f7c1e-5d5a-4d55-9f3b-2d9c1a7e4b10"


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Messages are compared with their msgids."""


@pytest.fixture
def family(district: Any) -> dict[str, Any]:
    """Two siblings of one household in village A, a neighbour's child, a child in B."""
    home = HouseholdFactory.create()
    return {
        "home": home,
        "elder": MinorFactory.create(name="王大妹", household=home),
        "younger": MinorFactory.create(name="王小弟", household=home, young=True),
        "neighbour": MinorFactory.create(name="赵邻", household=HouseholdFactory.create()),
        "far": MinorFactory.create(name="李远", area_code=AREA_B),
    }


def given(*minors: Minor, **fields: Any) -> VisitInput:
    values: dict[str, Any] = {
        "kind": Visit.Kind.HOME,
        "occurred_at": timezone.now() - timedelta(hours=2),
        "minors": tuple(MinorSeen(m.pk) for m in minors),
        "observations": {"guardian_present": Finding.OK, "safety_hazards": Finding.CONCERN},
        "notes": "奶奶腿脚不便，屋顶漏雨。",
    }
    return VisitInput(**{**values, **fields})


def record(actor: User, data: VisitInput, key: str = KEY) -> tuple[Visit, bool]:
    return visit_record(actor=actor, data=data, idempotency_key=key)


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_it_records_a_home_visit_to_two_siblings_with_copies_for_counting(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    director = personas["child_director"]
    colleague = personas["child_supervisor"]
    data = given(family["elder"], family["younger"], visitor_ids=(colleague.pk, director.pk))
    visit, created = record(director, data)
    assert created
    assert visit.recorded_by == director
    assert visit.area_code == AREA_A
    assert visit.household == family["home"]
    assert list(visit.visitors.all()) == [colleague]  # the recorder is implied
    assert visit.safety_hazards == Finding.CONCERN
    assert visit.school_attendance == Finding.NOT_CHECKED
    assert visit.concerns == ["safety_hazards"]
    rows = VisitMinor.objects.filter(visit=visit).order_by("minor_id")
    assert [(r.minor_id, r.area_code, r.household_id) for r in rows] == [
        (family["elder"].pk, AREA_A, family["home"].pk),
        (family["younger"].pk, AREA_A, family["home"].pk),
    ]
    assert {r.visited_on for r in rows} == {timezone.localtime(data.occurred_at).date()}


def test_it_keeps_the_notes_encrypted(personas: dict[str, User], family: dict[str, Any]) -> None:
    from django.db import connection

    visit, _created = record(personas["child_director"], given(family["elder"]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM visits_visit WHERE id = %s", [visit.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("cc1$") and "屋顶" not in stored
    assert Visit.objects.get(pk=visit.pk).notes == "奶奶腿脚不便，屋顶漏雨。"


def test_it_audits_the_write_once_per_child_seen_without_values(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    record(personas["child_director"], given(family["elder"], family["younger"]))
    events = AuditEvent.objects.filter(object_type="visits.visit", action=AuditEvent.Action.CREATE)
    assert {e.minor_id for e in events} == {family["elder"].pk, family["younger"].pk}
    assert all("notes" in e.fields for e in events)
    assert "屋顶" not in str([e.details for e in events])


def test_it_audits_a_read_once_per_child(personas: dict[str, User], family: dict[str, Any]) -> None:
    visit, _created = record(personas["child_director"], given(family["elder"], family["younger"]))
    visit_view(actor=personas["child_supervisor"], visit=visit, fields=["notes"])
    reads = AuditEvent.objects.filter(object_type="visits.visit", action=AuditEvent.Action.VIEW)
    assert {(e.actor_id, e.minor_id) for e in reads} == {
        (personas["child_supervisor"].pk, family["elder"].pk),
        (personas["child_supervisor"].pk, family["younger"].pk),
    }


def test_a_retry_with_the_same_key_returns_the_visit_and_writes_nothing(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    director = personas["child_director"]
    data = given(family["elder"], minors=(MinorSeen(family["elder"].pk, ("no_parent_contact",)),))
    first, created = record(director, data)
    counts = (Visit.objects.count(), VisitMinor.objects.count(), AuditEvent.objects.count())
    tasks = VisitTask.objects.count()
    again, created_again = record(director, data)
    assert created and not created_again
    assert again.pk == first.pk
    assert (Visit.objects.count(), VisitMinor.objects.count(), AuditEvent.objects.count()) == counts
    assert VisitTask.objects.count() == tasks


def test_a_retry_trims_text_as_the_first_try_did(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    data = given(family["elder"], notes="  门前有水塘  ")
    first, _created = record(personas["child_director"], data)
    again, created = record(personas["child_director"], data)
    assert (again.pk, created) == (first.pk, False)


@pytest.mark.parametrize(
    "change",
    [
        {"notes": "另一段记录"},
        {"kind": Visit.Kind.PHONE},
        {"follow_up_needed": True},
        {"observations": {"guardian_present": Finding.CONCERN}},
    ],
)
def test_the_same_key_with_other_content_is_a_conflict(
    personas: dict[str, User], family: dict[str, Any], change: dict[str, Any]
) -> None:
    director = personas["child_director"]
    first, _created = record(director, given(family["elder"]))
    before = Visit.objects.count()
    with pytest.raises(VisitConflictError) as caught:
        record(director, replace(given(family["elder"]), **change))
    assert caught.value.visit.pk == first.pk
    assert "already sent with different details" in str(caught.value)
    assert Visit.objects.count() == before
    assert Visit.objects.get(pk=first.pk).notes == "奶奶腿脚不便，屋顶漏雨。"


def test_the_same_key_from_another_recorder_is_another_visit(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    one, _c = record(personas["child_director"], given(family["elder"]))
    two, created = record(personas["child_supervisor"], given(family["elder"]))
    assert created and one.pk != two.pk


def test_a_future_time_is_refused(personas: dict[str, User], family: dict[str, Any]) -> None:
    data = given(family["elder"], occurred_at=timezone.now() + timedelta(hours=1))
    with pytest.raises(ValidationError) as caught:
        record(personas["child_director"], data)
    assert messages(caught) == {"occurred_at": ["The visit cannot be in the future."]}
    assert not Visit.objects.exists()


def test_a_phone_clock_a_minute_fast_is_not_the_future(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    data = given(family["elder"], occurred_at=timezone.now() + timedelta(minutes=1))
    assert record(personas["child_director"], data)[1]


def test_a_child_outside_the_recorders_village_is_answered_like_no_child(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    missing = 2**64  # more than a 64-bit id holds: refused like any unknown id
    data = given(family["elder"], minors=(MinorSeen(family["far"].pk), MinorSeen(missing)))
    with pytest.raises(ValidationError) as caught:
        record(personas["child_director"], data)
    assert messages(caught)["minors"] == [
        f"Child {family['far'].pk} is not in your area or does not exist.",
        f"Child {missing} is not in your area or does not exist.",
    ]
    assert not Visit.objects.exists()


def test_a_merged_or_moved_record_cannot_be_visited(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    Minor.objects.filter(pk=family["elder"].pk).update(status=Minor.Status.MOVED_AWAY)
    with pytest.raises(ValidationError):
        record(personas["child_director"], given(family["elder"]))


def test_a_home_visit_is_to_one_household_but_a_school_visit_may_see_several(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    director = personas["child_director"]
    with pytest.raises(ValidationError) as caught:
        record(director, given(family["elder"], family["neighbour"]))
    assert messages(caught)["minors"] == [
        "A home visit is to one household: these children are not recorded as one."
    ]
    visit, created = record(director, given(family["elder"], family["neighbour"], kind="school"))
    assert created and visit.household is None


def test_a_township_supervisor_records_a_talk_across_villages_read_at_the_township(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    from carecircle.visits.permissions import visits_visible_to

    other_village = MinorFactory.create(name="钱村", area_code="431103101201")
    data = given(family["elder"], other_village, kind=Visit.Kind.TALK)
    visit, _created = record(personas["child_supervisor"], data)
    assert visit.area_code == "431103101"
    assert visits_visible_to(personas["child_supervisor"]).filter(pk=visit.pk).exists()
    # Village A's director must not read about the other village's child.
    assert not visits_visible_to(personas["child_director"]).filter(pk=visit.pk).exists()
    assert common_area(["431103101200", "431103102200"]) == "431103"


def test_a_recorder_of_two_villages_records_them_separately(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    from carecircle.regions.services import divisions_load
    from carecircle.testing.fixtures import grant

    divisions_load(rows=[("431103101201", "东村", "220")])
    director = personas["child_director"]
    grant(director, "child_director", prefix="431103101201")
    other_village = MinorFactory.create(name="钱村", area_code="431103101201")
    with pytest.raises(ValidationError) as caught:
        record(director, given(family["elder"], other_village, kind=Visit.Kind.TALK))
    assert messages(caught)["minors"] == [
        "Record the children of different villages on separate visits."
    ]


@pytest.mark.parametrize("role", ["counselor", "school_admin", "volunteer", "analyst", "auditor"])
def test_roles_that_do_not_change_children_in_a_division_record_no_visit(
    personas: dict[str, User], family: dict[str, Any], role: str
) -> None:
    with pytest.raises(PermissionDenied):
        record(personas[role], given(family["elder"]))


def test_a_malformed_key_is_refused_before_anything_else(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    for key in ("short", "has space in it", "x" * 65, "键" * 10):
        with pytest.raises(ValidationError) as caught:
            record(personas["child_director"], given(family["elder"]), key=key)
        assert list(messages(caught)) == ["idempotency_key"]


def test_flags_must_be_known_and_meant_for_the_childs_age(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    director = personas["child_director"]
    elder = family["elder"]  # 12 in 2026
    for flags, expected in (
        (("no_such_flag",), "There is no risk flag no_such_flag."),
        (
            (RiskFlag.UNDER_8_UNATTENDED,),
            f"“Child under 8 left unattended” applies only to children under 8; "
            f"{elder.name} is {elder.age_on(timezone.localdate())}.",
        ),
    ):
        with pytest.raises(ValidationError) as caught:
            record(director, given(elder, minors=(MinorSeen(elder.pk, flags),)))
        assert messages(caught) == {"minors": [expected]}
    young = family["younger"]
    visit, _c = record(
        director, given(young, minors=(MinorSeen(young.pk, ("under_8_unattended",)),))
    )
    assert visit.seen.get().risk_flags == ["under_8_unattended"]


def test_unknown_checklist_items_and_values_are_refused(
    personas: dict[str, User], family: dict[str, Any]
) -> None:
    data = given(family["elder"], observations={"mood": "ok", "living_conditions": "bad"})
    with pytest.raises(ValidationError) as caught:
        record(personas["child_director"], data)
    assert messages(caught)["observations"] == [
        "The checklist has no item mood.",
        "living_conditions: choose one of not_checked, ok, concern, not_applicable.",
    ]


def test_every_fault_is_reported_at_once(personas: dict[str, User], family: dict[str, Any]) -> None:
    data = given(
        kind="visit",
        occurred_at=timezone.now() + timedelta(days=2),
        minors=(),
        visitor_ids=(999_999, 2**64),
    )
    with pytest.raises(ValidationError) as caught:
        record(personas["child_director"], data)
    assert set(messages(caught)) == {"kind", "occurred_at", "minors", "visitors"}
