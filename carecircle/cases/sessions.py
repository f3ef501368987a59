"""Counseling sessions on a case (issue 7 item 2).

``session_record`` follows the house style of ``services``: keyword-only with
``actor`` first, one transaction that locks the case's row and checks its state after
the lock, a ``CaseEvent`` and audit records, ``ValidationError`` /
``PermissionDenied`` on refusal.

The rules:

- only a current member of the case's team records a session (a supervisor reads
  sessions but did not hold them);
- the case is open, at any step: the first interview at intake is itself a session,
  so sessions are not held back until the assessment;
- the session was held, not planned: ``held_at`` is not in the future, nor before
  the day the case opened;
- the counselor who held it is on the team;
- the case's child always attends; other children (a family or group session) are
  children the recorder may read, and an individual session has none;
- nothing here records a diagnosis (DOMAIN.md §5.5).

Audit: one record per attending child (``minor_id`` is that child), so a child's
access history shows the session.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.cases.models import Case, CaseEvent, Session, SessionAttendee
from carecircle.cases.permissions import is_member
from carecircle.people.models import Minor
from carecircle.people.permissions import minors_visible_to
from carecircle.people.timeline import day_start


def _check(
    actor: Any,
    case: Case,
    *,
    kind: str,
    held_at: datetime,
    duration_minutes: int,
    counselor: Any,
    mode: str,
    others: list[Minor],
) -> None:
    errors: dict[str, str] = {}
    if kind not in Session.Kind.values:
        errors["kind"] = _("Choose the kind of session.")
    if mode not in Session.Mode.values:
        errors["mode"] = _("Choose how the session was held.")
    if not Session.MIN_MINUTES <= int(duration_minutes or 0) <= Session.MAX_MINUTES:
        errors["duration_minutes"] = _("A session lasts from 1 to 480 minutes.")
    if held_at > timezone.now():
        errors["held_at"] = _("Record a session once it has been held, not before.")
    elif held_at < day_start(timezone.localdate(case.opened_at)):
        errors["held_at"] = _("The session cannot be before the case was opened.")
    if counselor is None or not is_member(counselor, case):
        errors["counselor"] = _("Choose a counselor on the case's team.")
    if others and kind == Session.Kind.INDIVIDUAL:
        errors["other_minors"] = _(
            "An individual session is with the case's child alone; choose a family or "
            "group session for other children."
        )
    elif others:
        visible = set(
            minors_visible_to(actor)
            .filter(pk__in=[m.pk for m in others])
            .values_list("pk", flat=True)
        )
        if any(m.pk not in visible for m in others):
            errors["other_minors"] = _("Choose children you may read.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def session_record(
    *,
    actor: Any,
    case: Case,
    kind: str,
    held_at: datetime,
    duration_minutes: int,
    counselor: Any,
    mode: str,
    place: str = "",
    other_minors: Iterable[Minor] = (),
    other_attendees: str = "",
    notes: str = "",
) -> Session:
    """Record a session held on the case; the case's child is always an attendee."""
    if not is_member(actor, case):
        raise PermissionDenied(_("Only the case's team records its sessions."))
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not case.is_open:
        raise ValidationError(_("The case is closed; reopen it first."))
    others = list({m.pk: m for m in other_minors if m.pk != case.minor_id}.values())
    _check(
        actor,
        case,
        kind=kind,
        held_at=held_at,
        duration_minutes=duration_minutes,
        counselor=counselor,
        mode=mode,
        others=others,
    )
    session = Session.objects.create(
        case=case,
        kind=kind,
        held_at=held_at,
        duration_minutes=int(duration_minutes),
        counselor=counselor,
        mode=mode,
        place=(place or "").strip(),
        other_attendees=(other_attendees or "").strip(),
        notes=(notes or "").strip(),
        recorded_by=actor,
    )
    attending = [case.minor_id, *(m.pk for m in others)]
    SessionAttendee.objects.bulk_create(
        [SessionAttendee(session=session, minor_id=pk) for pk in attending]
    )
    CaseEvent.objects.create(
        case=case,
        kind="session",
        actor=actor,
        details={
            "session": session.pk,
            "kind": kind,
            "mode": mode,
            "minutes": int(duration_minutes),
            "children": len(attending),
        },
    )
    for minor_id in attending:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            object_type="cases.session",
            object_id=session.pk,
            minor_id=minor_id,
            details={"case": case.pk, "kind": kind},
        )
    return session


def sessions_of(case: Case) -> list[Session]:
    """The case's sessions, latest first, with their counselor and number of children."""
    return list(
        case.sessions.select_related("counselor")
        .prefetch_related("attendees")
        .order_by("-held_at", "-pk")
    )
