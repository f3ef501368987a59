"""Who records and reads visits, role by role, in and out of their divisions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from carecircle.accounts.models import User
from carecircle.accounts.roles import Role
from carecircle.testing.fixtures import AREA_B
from carecircle.visits.permissions import (
    can_read_visits,
    can_record_visits,
    get_visit_for_user,
    minors_recordable_by,
    visits_for_listing,
    visits_visible_to,
)
from carecircle.visits.tests.factories import MinorFactory, visit

pytestmark = pytest.mark.django_db
RECORDERS = {
    Role.DISTRICT_ADMIN,
    Role.CENTER_STAFF,
    Role.SOCIAL_WORKER,
    Role.CHILD_SUPERVISOR,
    Role.CHILD_DIRECTOR,
}
READERS = RECORDERS | {Role.COUNSELOR}


def test_the_roles_that_record_and_read_visits(personas: dict[str, User]) -> None:
    assert {r for r, u in personas.items() if can_record_visits(u)} == RECORDERS
    assert {r for r, u in personas.items() if can_read_visits(u)} == READERS


def test_visits_are_read_within_the_readers_divisions_only(
    district: Any, personas: dict[str, User], other_personas: dict[str, User]
) -> None:
    a = visit(date(2026, 5, 1), MinorFactory.create())
    b = visit(date(2026, 5, 1), MinorFactory.create(area_code=AREA_B), area_code=AREA_B)
    seen = {
        (side, role): set(visits_visible_to(user).values_list("pk", flat=True))
        for side, group in (("A", personas), ("B", other_personas))
        for role, user in group.items()
        if role in READERS
    }
    assert seen[("A", Role.CHILD_DIRECTOR)] == {a.pk}
    assert seen[("B", Role.CHILD_DIRECTOR)] == {b.pk}
    assert seen[("A", Role.CHILD_SUPERVISOR)] == {a.pk}
    assert seen[("A", Role.COUNSELOR)] == {a.pk, b.pk}  # district-wide
    assert seen[("B", Role.DISTRICT_ADMIN)] == set()  # the other county
    # The list's form of the filter reaches exactly the same visits.
    for group in (personas, other_personas):
        for role, user in group.items():
            listed = set(visits_for_listing(user).values_list("pk", flat=True))
            assert listed == set(visits_visible_to(user).values_list("pk", flat=True)), role
    from django.http import Http404

    with pytest.raises(Http404):
        get_visit_for_user(other_personas["child_director"], a.pk)
    with pytest.raises(Http404):
        get_visit_for_user(personas["child_director"], 2**63)  # no overflow, a 404


def test_a_director_records_visits_only_to_active_children_of_the_village(
    district: Any, personas: dict[str, User]
) -> None:
    mine = MinorFactory.create()
    MinorFactory.create(area_code=AREA_B)
    MinorFactory.create(status="moved_away")
    assert list(minors_recordable_by(personas["child_director"])) == [mine]
    assert not minors_recordable_by(personas["counselor"]).exists()
