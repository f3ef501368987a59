"""Escalation of overdue tips (issue 6 item 3) and the throttle's clean-up.

``tips.escalate`` (every 5 minutes) looks at open tips whose clock ran out before
the step it times: ``ack_due`` without ``acknowledged_at``, ``contact_due`` without
``first_contact_at`` (only where the reporter can be reached), ``close_due`` without
``closed_at``; a report the police must have (``Tip.needs_police``) with neither their
receipt nor a written reason ``CARECIRCLE_TIP_POLICE_HOURS`` (24) after it came in
(SECURITY.md AN-5); and at dispatches still waiting for the agency's acknowledgement past
their ``ack_due``. Each clock is escalated once: its name ("ack", "contact", "close",
"dispatch:<id>") is added to ``Tip.escalated`` with an ``ESCALATED`` event, and the
desk over the tip's division and its handler are told through the outbox, in the
same transaction. The tip is locked and checked again first, so two runs (or a
handler acknowledging at that moment) never send it twice.

Notifications name the work order, never the child or the reporter.

``tips.throttle_purge`` (hourly) deletes the public page's rate-limit counters an
hour after their window (``throttle.throttle_purge``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from carecircle.notifications.models import Notification
from carecircle.notifications.outbox import periodic
from carecircle.notifications.services import notification_send
from carecircle.tips.models import OPEN_STATUSES, Category, Channel, Dispatch, Tip, TipEvent
from carecircle.tips.services import desk_recipients, event, tip_link

ACK, CONTACT, CLOSE, POLICE = "ack", "contact", "close", "police"
DISPATCH = "dispatch:"


def _title(clock: str) -> str:
    if clock == ACK:
        return _("Report %(number)s was not acknowledged in time")
    if clock == CONTACT:
        return _("The reporter of %(number)s was not contacted in time")
    if clock == CLOSE:
        return _("Report %(number)s was not closed in time")
    if clock == POLICE:
        return _("Report %(number)s is not yet reported to the police")
    return _("The agency has not acknowledged report %(number)s in time")


def _late(tip: Tip, clock: str, now: datetime) -> bool:
    """Whether ``clock`` ran out on ``tip`` before its step (checked under the lock)."""
    if not tip.is_open or clock in tip.escalated:
        return False
    if clock == ACK:
        return tip.acknowledged_at is None and tip.ack_due < now
    if clock == CONTACT:
        return tip.reachable and tip.first_contact_at is None and tip.contact_due < now
    if clock == CLOSE:
        return tip.closed_at is None and tip.close_due < now
    if clock == POLICE:
        return tip.needs_police and not tip.police_done and tip.received_at < now - police_window()
    return Dispatch.objects.filter(
        pk=int(clock.removeprefix(DISPATCH)),
        tip=tip,
        status=Dispatch.Status.PENDING,
        ack_due__lt=now,
    ).exists()


def police_window() -> timedelta:
    """How long a report the police must have may wait for their receipt or a reason
    before the desk is alerted (the law says 立即: this is when it shows as late)."""
    return timedelta(hours=int(getattr(settings, "CARECIRCLE_TIP_POLICE_HOURS", 24)))


def overdue(now: datetime) -> list[tuple[int, str]]:
    """(tip id, clock) for every clock run out and not escalated yet."""
    open_tips = Tip.objects.filter(status__in=OPEN_STATUSES)
    found: list[tuple[int, str]] = []
    stamps = (
        (ACK, open_tips.filter(ack_due__lt=now, acknowledged_at__isnull=True)),
        (CONTACT, open_tips.filter(contact_due__lt=now, first_contact_at__isnull=True)),
        (CLOSE, open_tips.filter(close_due__lt=now, closed_at__isnull=True)),
    )
    for clock, rows in stamps:
        for tip in rows.only("pk", "escalated", "reporter_contact", "reporter_user_id"):
            if clock in tip.escalated or (clock == CONTACT and not tip.reachable):
                continue
            found.append((tip.pk, clock))
    unreported = open_tips.filter(
        Q(channel=Channel.MANDATORY)
        | ~Q(trigger="")
        | Q(category__in=[Category.ABUSE, Category.SEXUAL_HARM]),
        received_at__lt=now - police_window(),
        police_receipt="",
    ).only("pk", "escalated", "police_reason")
    for tip in unreported:
        if POLICE not in tip.escalated and not tip.police_done:
            found.append((tip.pk, POLICE))
    waiting = Dispatch.objects.filter(
        status=Dispatch.Status.PENDING, ack_due__lt=now, tip__status__in=OPEN_STATUSES
    ).values_list("pk", "tip_id", "tip__escalated")
    for dispatch_id, tip_id, escalated in waiting:
        clock = f"{DISPATCH}{dispatch_id}"
        if clock not in (escalated or []):
            found.append((tip_id, clock))
    return found


def escalate_one(tip_id: int, clock: str, now: datetime) -> bool:
    """Escalate one clock of one tip, unless it was done or escalated meanwhile."""
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        tip = Tip.objects.select_for_update().filter(pk=tip_id).first()
        if tip is None or not _late(tip, clock, now):
            return False
        tip.escalated = [*tip.escalated, clock]
        tip.save(update_fields=["escalated", "updated_at"])
        event(tip, TipEvent.Kind.ESCALATED, details={"clock": clock})
        recipients = desk_recipients(tip.area_code)
        if tip.handler_id is not None:
            recipients.append(tip.handler_id)
        notification_send(
            recipients=recipients,
            title=_title(clock) % {"number": tip.number},
            body=_("Report %(number)s, %(urgency)s.")
            % {"number": tip.number, "urgency": tip.get_urgency_display()},
            link=tip_link(tip),
            level=Notification.Level.URGENT,
            dedupe_key=f"tips.escalate:{tip.pk}:{clock}",
        )
    return True


def escalate_run(*, now: datetime | None = None) -> int:
    """Escalate every clock run out; returns how many were escalated."""
    now = now or timezone.now()
    return sum(escalate_one(tip_id, clock, now) for tip_id, clock in overdue(now))


@periodic("tips.escalate", every=timedelta(minutes=5))
def escalate() -> None:
    escalate_run()


@periodic("tips.throttle_purge", every=timedelta(hours=1))
def purge_throttle() -> None:
    from carecircle.tips.throttle import throttle_purge

    throttle_purge()
