"""When each child is next due for a visit, computed by the database (issue 5 item 3).

For every child the query derives, as of a day ``on`` (today by default):

- ``visit_interval``: the shortest interval among the rule keys that apply to the
  child that day (``rules``): a CASE over the distinct intervals, shortest first,
  each an OR of EXISTS on indexed foreign keys (category memberships, open key
  targets, recent screening results); NULL when no rule applies;
- ``last_visited_on``: the day of the child's latest visit by then, one probe of
  the index ``visit_minor_latest`` (minor, visited_on);
- ``next_due_on``: the last visit plus the interval; for a child never visited, the
  day the child was registered plus the interval (a child enters the lists with one
  interval to be visited first, not overdue the day it is imported);
- ``is_overdue``: ``next_due_on`` before ``on``.

So a list of children in a scope is one query whose cost follows the scope, not the
size of the database: the scope is an index range on ``area_code``, and each child
costs a handful of index probes. The reasons behind an interval are not exposed:
a red screening result is for the eyes of those who read results only.

The lists (``my_children``, ``due_this_week``, ``overdue``) and the coverage tables
(``coverage``: per village for a supervisor, per township for the district) go
through ``permissions.minors_tracked_by``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Substr, TruncDate
from django.db.models.lookups import IsNull
from django.utils import timezone

from carecircle.people.models import Category, CategoryMembership, Minor
from carecircle.people.timeline import day_start
from carecircle.regions.models import Division
from carecircle.regions.selectors import division_names
from carecircle.screening.models import KeyTarget, Participant
from carecircle.screening.models import Response as ScreeningResponse
from carecircle.visits import rules
from carecircle.visits.models import VisitMinor
from carecircle.visits.permissions import minors_tracked_by

DUE_FIELDS = ("visit_interval", "last_visited_on", "next_due_on", "is_overdue")
_RISK_LEVELS = {
    rules.RISK_RED: (ScreeningResponse.Triage.RED, ScreeningResponse.Triage.RED_CRITICAL),
    rules.RISK_YELLOW: (ScreeningResponse.Triage.YELLOW,),
}
VILLAGE, TOWNSHIP = 12, 9


def _risk_days() -> int:
    return int(getattr(settings, "CARECIRCLE_VISIT_RISK_DAYS", 180))


def _probe(rows: QuerySet[Any]) -> Q:
    """The child has one of ``rows``: the first row's key is not NULL.

    Not ``EXISTS``: inside the CASE of the due date PostgreSQL may run an EXISTS as a
    "hashed SubPlan", reading every matching row of the whole table into a hash
    (every category membership of the province) to answer for a village's children.
    A scalar subquery with LIMIT 1 is always probed per child through the foreign
    key's index, so a list costs what its scope holds, whatever the table's size.
    """
    return Q(IsNull(Subquery(rows.order_by().values("pk")[:1]), False))


def _applies(keys: list[str], on: date) -> Q | None:
    """The child is under one of ``keys`` on ``on``: an OR of EXISTS, one per source."""
    parts: list[Q] = []
    categories = [k for k in keys if k in Category.values]
    if categories:
        parts.append(
            _probe(
                CategoryMembership.objects.filter(
                    Q(valid_to__isnull=True) | Q(valid_to__gte=on),
                    minor=OuterRef("pk"),
                    category__in=categories,
                    valid_from__lte=on,
                )
            )
        )
    next_day = day_start(on + timedelta(days=1))
    if rules.KEY_TARGET in keys:
        parts.append(
            _probe(
                KeyTarget.objects.filter(
                    Q(ended_at__isnull=True) | Q(ended_at__gte=day_start(on)),
                    minor=OuterRef("pk"),
                    confirmed_at__lt=next_day,
                )
            )
        )
    levels = [level for key in keys for level in _RISK_LEVELS.get(key, ())]
    if levels:
        # From the child's few participations to their results, never the other way:
        # offered (triage, time), a planner would scan every red result per child.
        results = ScreeningResponse.objects.filter(
            participant=OuterRef("pk"),
            triage__in=levels,
            submitted_at__gte=day_start(on - timedelta(days=_risk_days())),
            submitted_at__lt=next_day,
        )
        parts.append(_probe(Participant.objects.filter(Exists(results), minor=OuterRef("pk"))))
    # None for keys that name nothing known (a rule version edited by hand): no rule.
    return reduce(or_, parts) if parts else None


def rule_groups(intervals: Mapping[str, int], on: date) -> list[tuple[int, Q]]:
    """(days, condition) per distinct interval, shortest first: the first that holds wins."""
    by_days: dict[int, list[str]] = defaultdict(list)
    for key, days in intervals.items():
        by_days[int(days)].append(key)
    groups = [(days, _applies(sorted(keys), on)) for days, keys in sorted(by_days.items())]
    return [(days, condition) for days, condition in groups if condition is not None]


def due_expressions(
    *, on: date | None = None, intervals: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The expressions of ``DUE_FIELDS`` over ``Minor``, for ``annotate`` or ``alias``."""
    on = on or timezone.localdate()
    groups = rule_groups(rules.active_intervals() if intervals is None else intervals, on)
    last = Subquery(
        VisitMinor.objects.filter(minor=OuterRef("pk"), visited_on__lte=on)
        .order_by("-visited_on")
        .values("visited_on")[:1],
        output_field=DateField(),
    )
    anchor = Coalesce(last, TruncDate("created_at"), output_field=DateField())
    if not groups:
        none = Value(None, output_field=DateField())
        return {
            "visit_interval": Value(None, output_field=IntegerField()),
            "last_visited_on": last,
            "next_due_on": none,
            "is_overdue": Value(False, output_field=BooleanField()),
        }
    interval = Case(
        *[When(condition, then=Value(days)) for days, condition in groups],
        default=Value(None),
        output_field=IntegerField(),
    )
    # One branch per interval with a constant duration: date arithmetic with a
    # constant is portable; the cast keeps a date (SQLite would return a datetime).
    next_due = Case(
        *[
            When(condition, then=Cast(anchor + timedelta(days=days), output_field=DateField()))
            for days, condition in groups
        ],
        default=Value(None),
        output_field=DateField(),
    )
    return {
        "visit_interval": interval,
        "last_visited_on": last,
        "next_due_on": next_due,
        # A CASE, not the comparison itself: NULL < day is NULL, and "no rule" is not late.
        "is_overdue": Case(
            When(next_due_on__lt=on, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    }


# Children annotated with ``DUE_FIELDS``. Typed loosely on purpose: the type checker
# cannot follow annotations made from a dict, and the lists filter on them.
DueQuerySet = QuerySet[Any]


def with_due(
    queryset: QuerySet[Minor],
    *,
    on: date | None = None,
    intervals: Mapping[str, int] | None = None,
) -> DueQuerySet:
    """``queryset`` with ``DUE_FIELDS`` annotated on each child."""
    expressions = due_expressions(on=on, intervals=intervals)
    overdue = expressions.pop("is_overdue")
    annotated: DueQuerySet = queryset.annotate(**expressions)
    return annotated.annotate(is_overdue=overdue)


# --- The lists ------------------------------------------------------------------------


def my_children(user: Any, *, on: date | None = None) -> DueQuerySet:
    """Every active child the user follows, soonest due first, those without a rule last."""
    return with_due(minors_tracked_by(user), on=on).order_by(
        F("next_due_on").asc(nulls_last=True), "name", "pk"
    )


def due_between(user: Any, start: date, end: date, *, on: date | None = None) -> DueQuerySet:
    """Children due from ``start`` up to but not including ``end``."""
    return (
        with_due(minors_tracked_by(user), on=on)
        .filter(next_due_on__gte=start, next_due_on__lt=end)
        .order_by("next_due_on", "name", "pk")
    )


def due_this_week(user: Any, *, on: date | None = None) -> DueQuerySet:
    """Children due today or in the six days after: what to plan this week."""
    on = on or timezone.localdate()
    return due_between(user, on, on + timedelta(days=7), on=on)


def overdue(user: Any, *, on: date | None = None) -> DueQuerySet:
    """Children whose due day has passed, the longest overdue first."""
    on = on or timezone.localdate()
    return (
        with_due(minors_tracked_by(user), on=on)
        .filter(next_due_on__lt=on)
        .order_by("next_due_on", "name", "pk")
    )


# --- Coverage -------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRow:
    """One division: children under a visit rule, visited on time, overdue."""

    area: str
    name: str
    tracked: int
    overdue: int

    @property
    def on_time(self) -> int:
        return self.tracked - self.overdue

    @property
    def on_time_share(self) -> Decimal | None:
        """Percent visited on time, one decimal; None without a child to count."""
        if not self.tracked:
            return None
        share = Decimal(self.on_time * 100) / Decimal(self.tracked)
        return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def coverage_rows(
    queryset: QuerySet[Minor], *, length: int, on: date | None = None
) -> list[CoverageRow]:
    """Per division of ``length`` digits (12 village, 9 township): one grouped query."""
    on = on or timezone.localdate()
    expressions = due_expressions(on=on)
    aliased: DueQuerySet = queryset.alias(
        visit_interval=expressions["visit_interval"], next_due_on=expressions["next_due_on"]
    )
    rows = (
        aliased.annotate(area=Substr("area_code", 1, length))
        .values("area")
        .annotate(
            tracked=Count("pk", filter=Q(visit_interval__isnull=False)),
            late=Count("pk", filter=Q(next_due_on__lt=on)),
        )
        .order_by("area")
    )
    found = [(r["area"], r["tracked"], r["late"]) for r in rows]
    codes = {area.ljust(12, "0") for area, _t, _l in found}
    if length == VILLAGE:
        names = division_names(codes)  # "township / village"
    else:
        names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    return [
        CoverageRow(area=area, name=names.get(area.ljust(12, "0"), area), tracked=t, overdue=late)
        for area, t, late in found
    ]


def due_counts(user: Any, *, on: date | None = None) -> dict[str, int]:
    """The user's children, those overdue and those due in the coming week: one query
    (the visits home page's counts)."""
    on = on or timezone.localdate()
    expressions = due_expressions(on=on)
    aliased: DueQuerySet = minors_tracked_by(user).alias(next_due_on=expressions["next_due_on"])
    week = on + timedelta(days=7)
    counts = aliased.aggregate(
        children=Count("pk"),
        overdue=Count("pk", filter=Q(next_due_on__lt=on)),
        due=Count("pk", filter=Q(next_due_on__gte=on, next_due_on__lt=week)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def coverage(user: Any, *, length: int = VILLAGE, on: date | None = None) -> list[CoverageRow]:
    """The user's children per village (``VILLAGE``) or per township (``TOWNSHIP``)."""
    return coverage_rows(minors_tracked_by(user), length=length, on=on)
