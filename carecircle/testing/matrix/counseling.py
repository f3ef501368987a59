"""The counseling rows of the authorization table (issue 7 item 4), and the rooms,
shifts and appointments of the world.

Every page first refuses the roles that reach no room (403), then looks the room,
shift or appointment up among the rooms the user sees (404 outside them). Keeping a
room and its rota is the managers' (a counselor who sees the room gets the 403);
booking needs an open case the user works on (the school's psychology teacher and
administrator, on no case, get the 403); recording the session of an appointment is
the case team's (only the counselor owns a case in the world).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carecircle.testing.matrix.core import (
    CHILDREN,
    OK,
    ROOM_KEEPERS,
    ROOM_READERS,
    WRONG_METHOD,
    Body,
    Expect,
    R,
    Route,
    to,
)

WEEK = to("counseling:room-week")
SIDE = {"A": "a", "B": "c"}
BOOKERS = frozenset({R.DISTRICT_ADMIN, R.CENTER_STAFF, R.COUNSELOR})


def _label(side: str) -> str:
    return SIDE.get(side, "a")


def _wrong_get(objects: str) -> Expect:
    return Expect("GET", WRONG_METHOD, objects=objects, out_of_scope=WRONG_METHOD)


def _form(objects: str | None, allowed: frozenset[str], data: Body) -> Route:
    return Route(
        CHILDREN,
        Expect("GET", OK, allowed, objects=objects),
        Expect("POST", WEEK, allowed, objects=objects, data=data, writes=True),
    )


def _local(moment: Any) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _room_add(world: Any, side: str) -> dict[str, Any]:
    return {
        "name": "新建心理辅导室",
        "kind": "school",
        "organisation": world.registry["school_a"].pk,
    }


def _shift_add(world: Any, side: str) -> dict[str, Any]:
    from django.utils import timezone

    day = timezone.localtime() + timedelta(days=3)
    start = day.replace(hour=14, minute=0, second=0, microsecond=0)
    return {
        "counselor": world.registry["rota_counselor"].pk,
        "starts_at": _local(start),
        "ends_at": _local(start + timedelta(hours=2)),
        "slot_minutes": "50",
    }


def _book(world: Any, side: str) -> dict[str, Any]:
    label = _label(side)
    shift = world.registry[f"shift_{label}"]
    return {
        "starts_at": _local(shift.starts_at + timedelta(minutes=shift.slot_minutes)),
        "case": world.registry[f"case_{label}"].pk,
    }


COUNSELING_ROUTES: dict[str, Route] = {
    "counseling:room-list": Route(CHILDREN, Expect("GET", OK, ROOM_READERS)),
    "counseling:mine": Route(CHILDREN, Expect("GET", OK, ROOM_READERS)),
    "counseling:room-add": _form(None, ROOM_KEEPERS, _room_add),
    "counseling:room-edit": _form(
        "room", ROOM_KEEPERS, {"name": "心理辅导室（新）", "kind": "school", "is_active": "on"}
    ),
    "counseling:room-week": Route(CHILDREN, Expect("GET", OK, ROOM_READERS, objects="room")),
    "counseling:shift-add": _form("room", ROOM_KEEPERS, _shift_add),
    "counseling:shift-cancel": _form("rota", ROOM_KEEPERS, {"reason": "值班咨询师外出培训"}),
    "counseling:book": _form("shift", BOOKERS, _book),
    "counseling:appointment-cancel": Route(
        CHILDREN,
        _wrong_get("appointment"),
        Expect(
            "POST",
            WEEK,
            ROOM_READERS,
            objects="appointment",
            data={"reason": "家长临时有事，改约"},
            writes=True,
        ),
    ),
    "counseling:appointment-no-show": Route(
        CHILDREN,
        _wrong_get("appointment"),
        Expect("POST", WEEK, ROOM_READERS, objects="appointment", data={}, writes=True),
    ),
    # The team records a session: the supervisors and the room's keepers get the 403.
    "counseling:appointment-session": Route(
        CHILDREN, Expect("GET", OK, frozenset({R.COUNSELOR}), objects="appointment")
    ),
}


def build_counseling(
    minors: dict[str, Any],
    personas: dict[str, Any],
    other_personas: dict[str, Any],
    registry: dict[str, Any],
) -> dict[str, Any]:
    """Rooms at schools A, B and C; in rooms a and c a shift that began half an hour
    ago with the case's appointment in its first slot, and an empty shift to come."""
    from django.utils import timezone

    from carecircle.counseling.models import Appointment, Room, Shift
    from carecircle.testing import fixtures

    rota_counselor = fixtures.make_user("rota_counselor")
    fixtures.grant(rota_counselor, R.COUNSELOR, prefix="4311")
    built: dict[str, Any] = {"rota_counselor": rota_counselor}
    for label in ("a", "b", "c"):
        school = registry[f"school_{label}"]
        built[f"room_{label}"] = Room.objects.create(
            name="心理辅导室",
            kind=Room.Kind.SCHOOL,
            organisation=school,
            area_code=school.division_id,
            created_by=personas[R.CENTER_STAFF],
        )
    began = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=30)
    tomorrow = began + timedelta(days=1)
    for label, side in (("a", personas), ("c", other_personas)):
        room, counselor = built[f"room_{label}"], side[R.COUNSELOR]
        shift = Shift.objects.create(
            room=room,
            counselor=counselor,
            starts_at=began,
            ends_at=began + timedelta(hours=3),
            created_by=side[R.CENTER_STAFF],
        )
        built[f"shift_{label}"] = shift
        built[f"rota_{label}"] = Shift.objects.create(
            room=room,
            counselor=counselor,
            starts_at=tomorrow,
            ends_at=tomorrow + timedelta(hours=2),
            created_by=side[R.CENTER_STAFF],
        )
        built[f"appointment_{label}"] = Appointment.objects.create(
            shift=shift,
            case=registry[f"case_{label}"],
            starts_at=began,
            ends_at=began + timedelta(minutes=shift.slot_minutes),
            booked_by=counselor,
        )
    return built
