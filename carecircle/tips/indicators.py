"""Indicators of reports of harm (issue 6 item 6): 件 and the hotline's rates.

Every figure is counted from the tips' own stamps (DOMAIN.md §4.1, §8), in 件 (work
orders), never in children. A tip merged into another as a duplicate counts as
nothing: the surviving tip counts. The area is the tip's division; a period runs
from its first to its last day, both included, by local time. Each rate has its
denominator registered beside it and shown on the page.

- ``tips.received`` (件): tips received in the period.
- ``tips.response_rate`` (%, 响应率): of the tips whose acknowledgement fell due in
  the period (``ack_due``), the share acknowledged by ``ack_due`` and, when the
  reporter left a way to be reached, first contacted by ``contact_due``.
- ``tips.handling_rate`` (%, 处置率): of the tips whose closure fell due in the
  period (``close_due``), the share closed by the end of the period.

A limit still ahead (a period that runs past today) is not yet due: a report that
came in this morning does not lower this year's rates until its time is up, unless
it was already handled.
- ``tips.on_time_closure_rate`` (%, 按时办结率): of the tips closed in the period,
  the share closed by their ``close_due``.
- ``tips.satisfaction_rate`` (%, 满意率): of the follow-up calls in the period that
  reached the reporter, the share satisfied or basically satisfied.

Each can be narrowed by the tip's channel (``channel``) and category
(``tip_category``), the filters registered here with the stats registry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.permissions import prefix_q
from carecircle.people.timeline import day_start
from carecircle.stats.registry import Scope, Unit, indicator, scope_filter, shared
from carecircle.tips.models import Category, Channel, Satisfaction, Status, Tip

TIPS = _("Reports of harm")
FILTERS = ("channel", "tip_category")

scope_filter("channel", label=_("Channel of reports"), choices=lambda: list(Channel.choices))
scope_filter(
    "tip_category", label=_("What the report is about"), choices=lambda: list(Category.choices)
)


def _bounds(scope: Scope) -> tuple[datetime, datetime]:
    return day_start(scope.start), day_start(scope.end + timedelta(days=1))


def _within(field: str, scope: Scope) -> Q:
    first, after = _bounds(scope)
    return Q(**{f"{field}__gte": first, f"{field}__lt": after})


def _fell_due(field: str, done: str, scope: Scope) -> Q:
    """``field`` in the period and either past or already done."""
    return _within(field, scope) & (
        Q(**{f"{field}__lte": timezone.now()}) | Q(**{f"{done}__isnull": False})
    )


def tips_in(scope: Scope) -> QuerySet[Tip]:
    """Tips of the scope's divisions, channel and category; merged duplicates left out."""
    rows = Tip.objects.filter(prefix_q("area_code", scope.prefixes) or Q()).exclude(
        status=Status.MERGED
    )
    channel, category = scope.filter("channel"), scope.filter("tip_category")
    if channel:
        rows = rows.filter(channel=channel)
    if category:
        rows = rows.filter(category=category)
    return rows


def _rate(done: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(done * 100) / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def received(scope: Scope) -> int:
    return tips_in(scope).filter(_within("received_at", scope)).count()


@shared
def responses(scope: Scope) -> tuple[int, int]:
    """(responded in time, due for response) in the period."""
    due = tips_in(scope).filter(_fell_due("ack_due", "acknowledged_at", scope))
    # Whether the reporter is reachable is read from the encrypted contact: in Python.
    rows = due.only(
        "pk", "ack_due", "acknowledged_at", "contact_due", "first_contact_at",
        "reporter_contact", "reporter_user_id",
    )  # fmt: skip
    done = total = 0
    for tip in rows:
        total += 1
        acknowledged = tip.acknowledged_at is not None and tip.acknowledged_at <= tip.ack_due
        contacted = not tip.reachable or (
            tip.first_contact_at is not None and tip.first_contact_at <= tip.contact_due
        )
        done += acknowledged and contacted
    return done, total


def due_for_response(scope: Scope) -> int:
    return responses(scope)[1]


def response_rate(scope: Scope) -> Decimal | None:
    return _rate(*responses(scope))


@shared
def handling(scope: Scope) -> tuple[int, int]:
    """(closed by the end of the period, due for closure in the period)."""
    due = tips_in(scope).filter(_fell_due("close_due", "closed_at", scope))
    _first, after = _bounds(scope)
    return due.filter(closed_at__lt=after).count(), due.count()


def due_for_closure(scope: Scope) -> int:
    return handling(scope)[1]


def handling_rate(scope: Scope) -> Decimal | None:
    return _rate(*handling(scope))


@shared
def closures(scope: Scope) -> tuple[int, int]:
    """(closed by their limit, closed) in the period."""
    closed = tips_in(scope).filter(_within("closed_at", scope))
    return closed.filter(closed_at__lte=F("close_due")).count(), closed.count()


def closed(scope: Scope) -> int:
    return closures(scope)[1]


def on_time_closure_rate(scope: Scope) -> Decimal | None:
    return _rate(*closures(scope))


@shared
def satisfaction(scope: Scope) -> tuple[int, int]:
    """(satisfied or basically satisfied, follow-up calls that reached the reporter)."""
    reached = tips_in(scope).filter(
        _within("followup_at", scope),
        satisfaction__in=[
            Satisfaction.SATISFIED,
            Satisfaction.BASICALLY,
            Satisfaction.DISSATISFIED,
        ],
    )
    pleased = reached.filter(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY])
    return pleased.count(), reached.count()


def reached_by_followup(scope: Scope) -> int:
    return satisfaction(scope)[1]


def satisfaction_rate(scope: Scope) -> Decimal | None:
    return _rate(*satisfaction(scope))


def figures(scope: Scope) -> dict[str, Any]:
    """Every tips.* figure for the scope (for tests and reports)."""
    return {
        "tips.received": received(scope),
        "tips.response_rate": response_rate(scope),
        "tips.handling_rate": handling_rate(scope),
        "tips.on_time_closure_rate": on_time_closure_rate(scope),
        "tips.satisfaction_rate": satisfaction_rate(scope),
    }


indicator(
    "tips.received",
    name=_("Reports received"),
    unit=Unit.ITEMS,
    group=TIPS,
    filters=FILTERS,
    definition=_(
        "Reports of harm to minors received in the period for a division of the area, by "
        "every channel: the public page, the 12345 hotline, school report boxes and "
        "mandatory reports. A report merged into another as a duplicate is not counted."
    ),
)(received)
indicator(
    "tips.response_rate",
    name=_("Response rate"),
    unit=Unit.PERCENT,
    group=TIPS,
    filters=FILTERS,
    denominator=due_for_response,
    definition=_(
        "Of the reports whose acknowledgement fell due in the period (the denominator), the "
        "share acknowledged within its time limit and, when the reporter left a way to be "
        "reached, whose reporter was also contacted within that time limit."
    ),
)(response_rate)
indicator(
    "tips.handling_rate",
    name=_("Handling rate"),
    unit=Unit.PERCENT,
    group=TIPS,
    filters=FILTERS,
    denominator=due_for_closure,
    definition=_(
        "Of the reports whose closure fell due in the period (the denominator), the share "
        "closed by the end of the period, late or not."
    ),
)(handling_rate)
indicator(
    "tips.on_time_closure_rate",
    name=_("On-time closure rate"),
    unit=Unit.PERCENT,
    group=TIPS,
    filters=FILTERS,
    denominator=closed,
    definition=_(
        "Of the reports closed in the period (the denominator), the share closed within "
        "their closure limit, an approved extension included."
    ),
)(on_time_closure_rate)
indicator(
    "tips.satisfaction_rate",
    name=_("Satisfaction rate"),
    unit=Unit.PERCENT,
    group=TIPS,
    filters=FILTERS,
    denominator=reached_by_followup,
    definition=_(
        "Of the follow-up calls in the period that reached the reporter (the denominator), "
        "the share whose reporter was satisfied or basically satisfied."
    ),
)(satisfaction_rate)
