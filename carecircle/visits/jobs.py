"""Reminders before a visit is due and escalation once it is overdue (issue 5 item 3).

``visits.remind`` (every 3 hours) tells the child director over a child's village
when the child's visit falls due within ``CARECIRCLE_VISIT_REMIND_DAYS`` (3);
``visits.escalate`` (every 3 hours) tells the child supervisor over the village when
it is overdue. Each is sent once per child and due day, remembered in
``VisitNotice`` (unique per child, kind and day), whatever the number of runs; a run
that was missed is caught up by the next, which takes every child in the window.

One notification per village and run, naming how many children and no child (it
may go out by e-mail), through the outbox in the same transaction as the notices.
Where no director (or supervisor) holds the village, the next role up is told:
supervisor, then district administrator; where nobody is, the notice waits for the
next run, when someone may have been appointed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecircle.accounts.permissions import role_holders
from carecircle.accounts.roles import Role
from carecircle.notifications.models import Notification
from carecircle.notifications.outbox import periodic
from carecircle.notifications.services import notification_send
from carecircle.people.models import Minor
from carecircle.visits.due import with_due
from carecircle.visits.models import VisitNotice
from carecircle.visits.tasks import link, place

# Ids per query: far below SQLite's limit on query parameters.
CHUNK = 500
CHAIN: dict[str, tuple[str, ...]] = {
    VisitNotice.Kind.REMINDER: (Role.CHILD_DIRECTOR, Role.CHILD_SUPERVISOR, Role.DISTRICT_ADMIN),
    VisitNotice.Kind.ESCALATION: (Role.CHILD_SUPERVISOR, Role.DISTRICT_ADMIN),
}


def _recipients(kind: str, area: str) -> list[int]:
    for role in CHAIN[kind]:
        found = list(role_holders([role], area).values_list("pk", flat=True))
        if found:
            return found
    return []


def _page(kind: str, area: str) -> str:
    name = "visits:due" if kind == VisitNotice.Kind.REMINDER else "visits:overdue"
    return link(name) or f"{reverse('people:minor-list')}?area={area}"


def _pending(kind: str, rows: Iterable[tuple[int, str, date]]) -> dict[str, list[tuple[int, date]]]:
    """Children not yet told about, by village: {area: [(minor, due day)]}."""
    rows = list(rows)
    told: set[tuple[int, date]] = set()
    for start in range(0, len(rows), CHUNK):
        ids = [r[0] for r in rows[start : start + CHUNK]]
        told.update(
            VisitNotice.objects.filter(kind=kind, minor_id__in=ids).values_list(
                "minor_id", "due_on"
            )
        )
    by_area: dict[str, list[tuple[int, date]]] = defaultdict(list)
    for minor_id, area, due in rows:
        if (minor_id, due) not in told:
            by_area[area].append((minor_id, due))
    return by_area


def _send(kind: str, area: str, children: list[tuple[int, date]]) -> bool:
    recipients = _recipients(kind, area)
    if not recipients:
        return False
    stamp = hashlib.sha256(repr(sorted(children)).encode()).hexdigest()[:16]
    last = max(due for _m, due in children).isoformat()
    try:
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            VisitNotice.objects.bulk_create(
                [VisitNotice(minor_id=m, kind=kind, due_on=due) for m, due in children]
            )
            reminder = kind == VisitNotice.Kind.REMINDER
            notification_send(
                recipients=recipients,
                title=(
                    _("%(n)d children in %(place)s are due for a visit by %(day)s")
                    if reminder
                    else _("%(n)d children in %(place)s are overdue for a visit")
                )
                % {"n": len(children), "place": place(area), "day": last},
                body=(
                    _("Plan the visits before they are late.")
                    if reminder
                    else _("Their child director has not visited them in time.")
                ),
                link=_page(kind, area),
                level=Notification.Level.INFO if reminder else Notification.Level.WARNING,
                dedupe_key=f"visits.{kind}:{area}:{stamp}",
            )
    except IntegrityError:
        return False  # another run told them meanwhile
    return True


def _run(kind: str, rows: Iterable[tuple[int, str, date]]) -> int:
    told = 0
    for area, children in sorted(_pending(kind, rows).items()):
        if _send(kind, area, children):
            told += len(children)
    return told


def remind_run(*, on: date | None = None) -> int:
    """Remind of every child due within the reminder window; returns how many children."""
    on = on or timezone.localdate()
    window = on + timedelta(days=int(settings.CARECIRCLE_VISIT_REMIND_DAYS) + 1)
    due = (
        with_due(Minor.objects.filter(status=Minor.Status.ACTIVE), on=on)
        .filter(next_due_on__gte=on, next_due_on__lt=window)
        .values_list("pk", "area_code", "next_due_on")
    )
    return _run(VisitNotice.Kind.REMINDER, due)


def escalate_run(*, on: date | None = None) -> int:
    """Escalate every overdue child not escalated for its due day; returns how many."""
    on = on or timezone.localdate()
    late = (
        with_due(Minor.objects.filter(status=Minor.Status.ACTIVE), on=on)
        .filter(next_due_on__lt=on)
        .values_list("pk", "area_code", "next_due_on")
    )
    return _run(VisitNotice.Kind.ESCALATION, late)


@periodic("visits.remind", every=timedelta(hours=3))
def remind() -> None:
    remind_run()


@periodic("visits.escalate", every=timedelta(hours=3))
def escalate() -> None:
    escalate_run()
