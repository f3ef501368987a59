"""``counseling.rooms`` (个): counseling rooms in use (issue 7 item 6).

A room counts when it is in use and was opened by the last day of the period; its
area is the division of the organisation it belongs to (``Room.area_code``). A room
taken out of use is not counted in any period: the flag keeps no history, so the
figure is the rooms in use now among those that existed then.

It honours the stats filters ``counseling_organisation`` (rooms of that
organisation) and ``counseling_room`` (that room alone), registered with the
session indicators in ``cases.indicators``.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.permissions import prefix_q
from carecircle.counseling.models import Room
from carecircle.people.timeline import day_start
from carecircle.stats.registry import Scope, Unit, indicator

ROOM, ORGANISATION = "counseling_room", "counseling_organisation"


def _chosen(scope: Scope, name: str) -> int | None:
    """The id chosen for ``name``; 0 (matching nothing) for a value that is no id."""
    value = scope.filter(name)
    if value is None:
        return None
    return int(value) if value.isascii() and value.isdigit() and int(value) < 2**63 else 0


def rooms_in_use(scope: Scope) -> int:
    if scope.empty:
        return 0
    rows = Room.objects.filter(
        prefix_q("area_code", scope.prefixes) or Q(),
        is_active=True,
        created_at__lt=day_start(scope.end + timedelta(days=1)),
    )
    organisation, room = _chosen(scope, ORGANISATION), _chosen(scope, ROOM)
    if organisation is not None:
        rows = rows.filter(organisation_id=organisation)
    if room is not None:
        rows = rows.filter(pk=room)
    return rows.count()


indicator(
    "counseling.rooms",
    name=_("Counseling rooms"),
    unit=Unit.UNITS,
    group=_("Cases"),
    filters=(ROOM, ORGANISATION),
    definition=_(
        "Counseling rooms in use at organisations of the area (the protection center "
        "for minors, the comprehensive governance center, schools, hospitals, social-work "
        "stations), opened by the last day of the period."
    ),
)(rooms_in_use)
