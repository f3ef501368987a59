"""Who sees counseling rooms, keeps their rotas and books their slots (issue 7 item 4).

Managers
    The minors' protection centre's staff and the district administrators keep the
    rooms and rotas of every organisation whose division their scope covers; a
    school's psychology teachers and administrators keep their own school's rooms
    (the organisation of their assignment). Managers see the rooms they keep.
Counselors
    See the rooms of their division scope (the centre, the governance center and the
    schools where they take turns) and the rota weeks there, but keep no rota.
Booking
    Anyone who sees a room books its free slots for a case they may work on
    (``cases.permissions.can_work``): the case's team and its supervisors.
Appointments
    Cancelled or marked "did not come" by whoever may work the case or keeps the
    room.

Nobody else reaches a room. A room, shift or appointment out of scope is a 404
recorded as a denial; a role that reaches no room is a 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.audit.services import note_denial
from carecircle.cases.models import OPEN_STATUSES, Case
from carecircle.cases.permissions import can_work, cases_visible_to
from carecircle.counseling.models import Appointment, Room, Shift

MAX_ID = 2**63 - 1
DIVISION_MANAGERS = frozenset({Role.CENTER_STAFF, Role.DISTRICT_ADMIN})
SCHOOL_MANAGERS = frozenset({Role.SCHOOL_PSYCH_TEACHER, Role.SCHOOL_ADMIN})
MANAGER_ROLES = DIVISION_MANAGERS | SCHOOL_MANAGERS
READER_ROLES = MANAGER_ROLES | {Role.COUNSELOR}
# Who may be put on a rota: counselors over the room's division, and the room's own
# school's psychology teachers.
ON_DUTY_DIVISION = frozenset({Role.COUNSELOR})
ON_DUTY_SCHOOL = frozenset({Role.SCHOOL_PSYCH_TEACHER})


def _prefixes(user: Any, roles: frozenset[str]) -> list[str]:
    return [
        a.scope_prefix
        for a in perms.assignments(user)
        if a.role in roles and a.organisation_id is None
    ]


def _organisations(user: Any, roles: frozenset[str]) -> list[int]:
    return [
        a.organisation_id
        for a in perms.assignments(user)
        if a.role in roles and a.organisation_id is not None
    ]


def reaches_rooms(user: Any) -> bool:
    return bool(perms.roles_of(user) & READER_ROLES)


def manages_rooms(user: Any) -> bool:
    return bool(perms.roles_of(user) & MANAGER_ROLES)


def require_room_reader(user: Any) -> None:
    if not reaches_rooms(user):
        raise PermissionDenied(_("Your roles do not allow seeing counseling rooms."))


def require_room_manager(user: Any) -> None:
    if not manages_rooms(user):
        raise PermissionDenied(_("Your roles do not allow keeping counseling rooms."))


def _scope_q(user: Any, roles: frozenset[str], *, area: str, org: str) -> Q | None:
    q = perms.prefix_q(area, _prefixes(user, roles))
    orgs = _organisations(user, roles)
    if orgs:
        term = Q(**{f"{org}__in": orgs})
        q = term if q is None else q | term
    return q


def rooms_visible_to(user: Any) -> QuerySet[Room]:
    q = _scope_q(user, READER_ROLES, area="area_code", org="organisation_id")
    return Room.objects.filter(q) if q is not None else Room.objects.none()


def rooms_managed_by(user: Any) -> QuerySet[Room]:
    q = _scope_q(user, MANAGER_ROLES, area="area_code", org="organisation_id")
    return Room.objects.filter(q) if q is not None else Room.objects.none()


def can_manage(user: Any, room: Room) -> bool:
    return perms.covers(
        _prefixes(user, MANAGER_ROLES), room.area_code
    ) or room.organisation_id in _organisations(user, MANAGER_ROLES)


def can_see(user: Any, room: Room) -> bool:
    return perms.covers(
        _prefixes(user, READER_ROLES), room.area_code
    ) or room.organisation_id in _organisations(user, READER_ROLES)


def organisations_for_rooms(user: Any) -> QuerySet[Organisation]:
    """The active organisations the user may open a room at."""
    q = _scope_q(user, MANAGER_ROLES, area="division_id", org="pk")
    if q is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(q, is_active=True).order_by("division_id", "name")


def may_keep_organisation(user: Any, organisation: Organisation) -> bool:
    return perms.covers(
        _prefixes(user, MANAGER_ROLES), organisation.division_id
    ) or organisation.pk in _organisations(user, MANAGER_ROLES)


def on_duty_candidates(room: Room) -> QuerySet[User]:
    """Who may be put on the room's rota."""
    at_school = RoleAssignment.objects.active().filter(
        role__in=list(ON_DUTY_SCHOOL), organisation_id=room.organisation_id
    )
    division = perms.role_holders(ON_DUTY_DIVISION, room.area_code)
    return User.objects.filter(
        Q(pk__in=division.values("pk")) | Q(pk__in=at_school.values("user_id")),
        is_active=True,
    ).order_by("full_name", "username")


def workable_open_cases(user: Any) -> QuerySet[Case]:
    """Open cases the user may book for: every case they read is one they may work on
    (the team and the supervisors)."""
    return cases_visible_to(user).filter(status__in=OPEN_STATUSES)


def _denied(user: Any, kind: str, pk: int) -> Http404:
    note_denial(actor=user, object_type=f"counseling.{kind}", object_id=pk, reason="out of scope")
    return Http404()


def get_room_for_user(user: Any, pk: int) -> Room:
    found = (
        rooms_visible_to(user).select_related("organisation").filter(pk=pk).first()
        if 0 < pk <= MAX_ID
        else None
    )
    if found is None:
        raise _denied(user, "room", pk)
    return found


def get_shift_for_user(user: Any, pk: int) -> Shift:
    rows = Shift.objects.filter(room__in=rooms_visible_to(user)).select_related("room", "counselor")
    found = rows.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise _denied(user, "shift", pk)
    return found


def get_appointment_for_user(user: Any, pk: int) -> Appointment:
    rows = Appointment.objects.filter(shift__room__in=rooms_visible_to(user)).select_related(
        "shift__room", "shift__counselor", "case"
    )
    found = rows.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise _denied(user, "appointment", pk)
    return found


def can_act_on(user: Any, appointment: Appointment) -> bool:
    """Cancel it or mark it "did not come": the case's workers and the room's keepers."""
    return can_work(user, appointment.case) or can_manage(user, appointment.shift.room)
