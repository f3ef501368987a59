"""Indicators of cases (issue 7 item 6): 例, 次, 人次 and 人 (DOMAIN.md §8).

Every figure is counted from the atomic rows: one ``Case`` per opening (例), one
``Session`` per counseling session held (次), one ``SessionAttendee`` per child at a
session (人次). The area is the case's division (``Case.area_code``, the child's when
the case opened); a period runs from its first to its last day, both included, by
the local day of the opening or of the session.

- ``cases.opened`` (例): cases opened in the period. A case reopened is still one
  case, counted when it was first opened.
- ``cases.sessions`` (次): counseling sessions held in the period, whatever the
  number of children at each.
- ``cases.minors_served_person_times`` (人次): each child at each session held in the
  period; a family session with two children counts two.
- ``cases.minors_served`` (人): distinct children at a session held in the period; a
  record merged into another counts as the child it was merged into.

Two filters of the stats registry narrow them (``/stats/`` and ``manage.py stats
--filter``): ``counseling_room``, the room a session was held in, and
``counseling_organisation``, the organisation that room belongs to. A session held
by phone or at home has no room, so it is counted by neither. ``cases.opened`` is
narrowed by the organisation only, read as the case's lead organisation: a case is
not held in a room.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.models import Organisation
from carecircle.accounts.permissions import prefix_q
from carecircle.cases.models import Case, Session, SessionAttendee
from carecircle.counseling.models import Room
from carecircle.people.timeline import day_start
from carecircle.stats.registry import Scope, Unit, distinct_children, indicator, scope_filter

CASES = _("Cases")
IDS = (
    "cases.opened",
    "cases.sessions",
    "cases.minors_served_person_times",
    "cases.minors_served",
)
ROOM, ORGANISATION = "counseling_room", "counseling_organisation"
SESSION_FILTERS = (ROOM, ORGANISATION)


def _room_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Room.objects.values_list("pk", "name")]


def _organisation_choices() -> list[tuple[str, str]]:
    rows = (
        Organisation.objects.filter(counseling_rooms__isnull=False)
        .distinct()
        .order_by("name", "pk")
        .values_list("pk", "name")
    )
    return [(str(pk), name) for pk, name in rows]


scope_filter(ROOM, label=_("Counseling room"), choices=_room_choices)
scope_filter(ORGANISATION, label=_("Counseling organisation"), choices=_organisation_choices)


def _chosen(scope: Scope, name: str) -> int | None:
    """The id chosen for ``name``; 0 (matching nothing) for a value that is no id,
    as ``manage.py stats --filter`` passes it unchecked."""
    value = scope.filter(name)
    if value is None:
        return None
    return int(value) if value.isascii() and value.isdigit() and int(value) < 2**63 else 0


def _by_room(scope: Scope, session: str) -> Q:
    """The sessions (``session`` is the path to them) in the chosen room and organisation."""
    q = Q()
    room, organisation = _chosen(scope, ROOM), _chosen(scope, ORGANISATION)
    if room is not None:
        q &= Q(**{f"{session}room_id": room})
    if organisation is not None:
        q &= Q(**{f"{session}room__organisation_id": organisation})
    return q


def _within(field: str, scope: Scope) -> Q:
    return Q(
        **{
            f"{field}__gte": day_start(scope.start),
            f"{field}__lt": day_start(scope.end + timedelta(days=1)),
        }
    )


def opened_in(scope: Scope) -> QuerySet[Case]:
    if scope.empty:
        return Case.objects.none()
    rows = Case.objects.filter(
        prefix_q("area_code", scope.prefixes) or Q(), _within("opened_at", scope)
    )
    organisation = _chosen(scope, ORGANISATION)
    return rows if organisation is None else rows.filter(organisation_id=organisation)


def sessions_in(scope: Scope) -> QuerySet[Session]:
    if scope.empty:
        return Session.objects.none()
    return Session.objects.filter(
        prefix_q("case__area_code", scope.prefixes) or Q(),
        _within("held_at", scope),
        _by_room(scope, ""),
    )


def attendance_in(scope: Scope) -> QuerySet[SessionAttendee]:
    if scope.empty:
        return SessionAttendee.objects.none()
    return SessionAttendee.objects.filter(
        prefix_q("session__case__area_code", scope.prefixes) or Q(),
        _within("session__held_at", scope),
        _by_room(scope, "session__"),
    )


def cases_opened(scope: Scope) -> int:
    return opened_in(scope).count()


def session_count(scope: Scope) -> int:
    return sessions_in(scope).count()


def person_times(scope: Scope) -> int:
    return attendance_in(scope).count()


def minors_served(scope: Scope) -> int:
    return distinct_children(attendance_in(scope))


indicator(
    "cases.opened",
    name=_("Cases opened"),
    unit=Unit.CASES,
    group=CASES,
    counts_children=True,
    filters=(ORGANISATION,),
    definition=_(
        "Cases opened in the period for children of the area (the division of the child "
        "when the case opened). Each opening counts once, whatever the number of sessions; "
        "a reopened case is not counted again. By organisation: the cases it leads (a case "
        "is not held in a room, so it has no figure by room)."
    ),
)(cases_opened)
indicator(
    "cases.sessions",
    name=_("Counseling sessions"),
    unit=Unit.TIMES,
    group=CASES,
    counts_children=True,
    filters=SESSION_FILTERS,
    definition=_(
        "Counseling sessions held in the period on cases of the area. A family or group "
        "session with several children counts once. By room or organisation: sessions "
        "held in that counseling room, or in the rooms of that organisation."
    ),
)(session_count)
indicator(
    "cases.minors_served_person_times",
    name=_("Children at counseling sessions"),
    unit=Unit.PERSON_TIMES,
    group=CASES,
    counts_children=True,
    filters=SESSION_FILTERS,
    definition=_(
        "Each child counted once for each counseling session held in the period that the "
        "child attended, on cases of the area. A child at three sessions counts three times. "
        "By room or organisation: sessions held in that counseling room, or in the rooms of "
        "that organisation."
    ),
)(person_times)
indicator(
    "cases.minors_served",
    name=_("Children counseled"),
    unit=Unit.PERSONS,
    group=CASES,
    counts_children=True,
    filters=SESSION_FILTERS,
    definition=_(
        "Distinct children who attended at least one counseling session held in the "
        "period, on cases of the area. A child at three sessions counts once. By room or "
        "organisation: sessions held in that counseling room, or in the rooms of that "
        "organisation."
    ),
)(minors_served)
