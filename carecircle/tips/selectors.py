"""Reading tips for the staff pages: the queue with its filters, and the clocks as words.

The queue holds only ``permissions.tips_visible_to``: the desk's area, the
handler's own, an agency's or township's dispatches, a professional's own reports.
It is sorted most urgent first, then by the clock that runs next (acknowledgement
until acknowledged, then closure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, F, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.tips.models import OPEN_STATUSES, Dispatch, Status, Tip, TipEvent
from carecircle.tips.permissions import (
    agency_organisations,
    dispatches_for,
    tips_visible_to,
    township_prefixes,
)

CLOSED_STATUSES = (Status.CLOSED, Status.MERGED)
# The steps whose words may name the reporter or hold staff-only thinking: shown with
# their text to those who handle the tip, as bare steps to everyone else.
PRIVATE_TEXT = frozenset(
    {
        TipEvent.Kind.CONTACTED,
        TipEvent.Kind.NOTE,
        TipEvent.Kind.HANDOFF,
        TipEvent.Kind.FOLLOWED_UP,
        TipEvent.Kind.REOPENED,
        TipEvent.Kind.REPORTER_ADDED,
        TipEvent.Kind.URGENCY,
        TipEvent.Kind.EXTENSION_REQUESTED,
        TipEvent.Kind.POLICE,
    }
)


@dataclass(frozen=True)
class QueueFilters:
    status: str = "open"  # "open" | "closed" | "all"
    urgency: int | None = None
    channel: str = ""
    category: str = ""
    overdue: bool = False
    mine: bool = False
    dispatched: bool = False


def receives_dispatches(user: Any) -> bool:
    return bool(agency_organisations(user) or township_prefixes(user))


def tip_queue(user: Any, filters: QueueFilters, *, now: datetime | None = None) -> QuerySet[Tip]:
    """The user's queue, filtered, most urgent and soonest due first."""
    now = now or timezone.now()
    tips = tips_visible_to(user)
    if filters.status == "open":
        tips = tips.filter(status__in=OPEN_STATUSES)
    elif filters.status == "closed":
        tips = tips.filter(status__in=CLOSED_STATUSES)
    if filters.urgency is not None:
        tips = tips.filter(urgency=filters.urgency)
    if filters.channel:
        tips = tips.filter(channel=filters.channel)
    if filters.category:
        tips = tips.filter(category=filters.category)
    if filters.overdue:
        tips = tips.filter(status__in=OPEN_STATUSES).filter(
            Q(close_due__lt=now) | Q(acknowledged_at__isnull=True, ack_due__lt=now)
        )
    if filters.mine:
        uid = user.pk
        tips = tips.filter(Q(handler_id=uid) | Q(entered_by_id=uid) | Q(reporter_user_id=uid))
    if filters.dispatched:
        tips = tips.filter(pk__in=dispatches_for(user).values("tip_id"))
    return (
        tips.select_related("handler")
        .annotate(
            next_due=Case(
                When(acknowledged_at__isnull=True, then=F("ack_due")), default=F("close_due")
            )
        )
        .order_by(
            Case(When(status__in=OPEN_STATUSES, then=0), default=1),
            "-urgency",
            "next_due",
            "-pk",
        )
    )


# --- Clocks as words ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    name: str
    due: datetime
    done_at: datetime | None
    label: str
    tone: str  # a Bootstrap colour: "success", "warning", "danger", "secondary"


def span(seconds: float) -> str:
    """A duration in the largest whole unit that reads well: "45 min", "3 h", "2 d"."""
    minutes = max(int(abs(seconds)) // 60, 1)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours = minutes // 60
    if hours < 48:
        return _("%(n)d h") % {"n": hours}
    return _("%(n)d d") % {"n": hours // 24}


def clock_view(name: str, due: datetime, done_at: datetime | None, now: datetime) -> ClockView:
    if done_at is not None:
        late = done_at > due
        label = _("done late") if late else _("done on time")
        return ClockView(name, due, done_at, label, "warning" if late else "success")
    left = (due - now).total_seconds()
    if left < 0:
        return ClockView(name, due, None, _("overdue %(time)s") % {"time": span(left)}, "danger")
    tone = "warning" if left < 3600 * 4 else "secondary"
    return ClockView(name, due, None, _("due in %(time)s") % {"time": span(left)}, tone)


def clocks_of(tip: Tip, now: datetime) -> list[ClockView]:
    """Every clock of the tip, for its page."""
    shown = [clock_view(_("Acknowledge"), tip.ack_due, tip.acknowledged_at, now)]
    if tip.reachable:
        shown.append(clock_view(_("First contact"), tip.contact_due, tip.first_contact_at, now))
    if tip.status != Status.MERGED:
        shown.append(clock_view(_("Close"), tip.close_due, tip.closed_at, now))
    return shown


def next_clock(tip: Tip, now: datetime) -> ClockView | None:
    """The clock that runs next, for a row of the queue; None once closed or merged."""
    if not tip.is_open:
        return None
    if tip.acknowledged_at is None:
        return clock_view(_("Acknowledge"), tip.ack_due, None, now)
    return clock_view(_("Close"), tip.close_due, None, now)


def dispatches_of(tip: Tip) -> QuerySet[Dispatch]:
    return tip.dispatches.select_related(
        "organisation", "dispatched_by", "acknowledged_by"
    ).order_by("pk")
