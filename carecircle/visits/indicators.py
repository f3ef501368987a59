"""Indicators of visits (issue 5 item 5): 次, 人次, 人, 户次 and the on-time rate.

Every figure is derived from the atomic rows (DOMAIN.md §8): one ``VisitMinor`` per
child seen on a visit, carrying the day of the visit and the child's village and
household as they were then. A period runs from its first to its last day, both
included, by the local day of the visit; the area is the child's village at the
visit, so a child who moved later still counts where the visit happened.

- ``visits.count`` (次): visits with at least one child seen in the area.
- ``visits.person_times`` (人次): each child on each visit.
- ``visits.minors`` (人): distinct children visited; a record merged into another
  counts as the child it was merged into.
- ``visits.households`` (户次): each household reached on each visit; a child with
  no household on record counts as a household of its own.
- ``visits.on_time_rate`` (%): of the children under a visit rule on the last day
  of the period (living in the area, active), the share not overdue that day.
  The denominator is ``on_time(scope)[1]``.

Each function takes a ``category``: only children in that registry category (a
membership in force on the day of the visit; for the rate, on the last day). The
registered indicators count every category; ``by_category`` gives the breakdown.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.permissions import prefix_q
from carecircle.people.models import Category, CategoryMembership, Minor
from carecircle.people.timeline import day_start
from carecircle.stats.registry import Scope, Unit, distinct_children, indicator, shared
from carecircle.stats.registry import Value as Figure
from carecircle.visits.due import with_due
from carecircle.visits.models import VisitMinor

VISITS = _("Visits")
IDS = (
    "visits.count",
    "visits.person_times",
    "visits.minors",
    "visits.households",
    "visits.on_time_rate",
)


def _in_category(category: str, day: str) -> Q:
    """A membership of ``category`` in force on the day named by the field ``day``."""
    return Q(
        Exists(
            CategoryMembership.objects.filter(
                Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef(day)),
                minor=OuterRef("minor_id"),
                category=category,
                valid_from__lte=OuterRef(day),
            )
        )
    )


def seen_in(scope: Scope, category: str | None = None) -> QuerySet[VisitMinor]:
    """Children seen on visits within the period, in the scope's divisions."""
    category = category or scope.category
    rows = VisitMinor.objects.filter(
        prefix_q("area_code", scope.prefixes) or Q(),
        visited_on__gte=scope.start,
        visited_on__lte=scope.end,
    )
    return rows.filter(_in_category(category, "visited_on")) if category else rows


def visit_count(scope: Scope, category: str | None = None) -> int:
    return seen_in(scope, category).values("visit_id").distinct().count()


def person_times(scope: Scope, category: str | None = None) -> int:
    return seen_in(scope, category).count()


def minors_visited(scope: Scope, category: str | None = None) -> int:
    return distinct_children(seen_in(scope, category))


def household_times(scope: Scope, category: str | None = None) -> int:
    # Keys of households are positive; a child without one stands for itself, negated.
    household = Coalesce(F("household_id"), Value(0) - F("minor_id"))
    rows = seen_in(scope, category).annotate(household_key=household)
    return rows.values("visit_id", "household_key").distinct().count()


@shared
def on_time(scope: Scope, category: str | None = None) -> tuple[int, int]:
    """(children not overdue, children under a visit rule) on the period's last day."""
    category = category or scope.category
    children = Minor.objects.filter(
        prefix_q("area_code", scope.prefixes) or Q(),
        status=Minor.Status.ACTIVE,
        created_at__lt=day_start(scope.end + timedelta(days=1)),
    )
    if category:
        children = children.filter(
            Exists(
                CategoryMembership.objects.filter(
                    Q(valid_to__isnull=True) | Q(valid_to__gte=scope.end),
                    minor=OuterRef("pk"),
                    category=category,
                    valid_from__lte=scope.end,
                )
            )
        )
    tracked = with_due(children, on=scope.end).filter(visit_interval__isnull=False)
    total = tracked.count()
    late = tracked.filter(next_due_on__lt=scope.end).count()
    return total - late, total


def under_rules(scope: Scope) -> int:
    """The on-time rate's denominator: the children under a visit rule that day."""
    return on_time(scope, None)[1]  # called as on_time_rate calls it: computed once


def on_time_rate(scope: Scope, category: str | None = None) -> Decimal | None:
    done, total = on_time(scope, category)
    if not total:
        return None
    return (Decimal(done * 100) / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)


FIGURES = {
    "visits.count": visit_count,
    "visits.person_times": person_times,
    "visits.minors": minors_visited,
    "visits.households": household_times,
    "visits.on_time_rate": on_time_rate,
}


def figures(scope: Scope, category: str | None = None) -> dict[str, Figure]:
    """Every visits.* figure for the scope, in one category or all."""
    if scope.empty:
        return dict.fromkeys(FIGURES)
    return {key: compute(scope, category) for key, compute in FIGURES.items()}


def by_category(scope: Scope) -> dict[str, dict[str, Figure]]:
    """The figures per registry category, for a report's breakdown."""
    return {category: figures(scope, category) for category in Category.values}


indicator(
    "visits.count",
    by_category=True,
    name=_("Visits"),
    unit=Unit.TIMES,
    group=VISITS,
    counts_children=True,
    definition=_(
        "Home visits, phone follow-ups, school visits and talks in the period that saw at "
        "least one child living in the area. A visit to three children of one household "
        "counts once."
    ),
)(visit_count)
indicator(
    "visits.person_times",
    by_category=True,
    name=_("Children seen on visits"),
    unit=Unit.PERSON_TIMES,
    group=VISITS,
    counts_children=True,
    definition=_(
        "Each child living in the area counted once for each visit that saw the child in "
        "the period. A child visited three times counts three times."
    ),
)(person_times)
indicator(
    "visits.minors",
    by_category=True,
    name=_("Children visited"),
    unit=Unit.PERSONS,
    group=VISITS,
    counts_children=True,
    definition=_(
        "Distinct children living in the area seen on at least one visit in the period. "
        "A child visited three times counts once."
    ),
)(minors_visited)
indicator(
    "visits.households",
    by_category=True,
    name=_("Households visited"),
    unit=Unit.HOUSEHOLD_TIMES,
    group=VISITS,
    counts_children=True,
    definition=_(
        "Each household counted once for each visit that saw one of its children in the "
        "period. A household visited twice counts twice; a child with no household on "
        "record counts as a household."
    ),
)(household_times)
indicator(
    "visits.on_time_rate",
    by_category=True,
    denominator=under_rules,
    name=_("Children visited on time"),
    unit=Unit.PERCENT,
    group=VISITS,
    definition=_(
        "Of the active children living in the area who were under a visit rule on the last "
        "day of the period (the denominator), the share whose latest visit was within "
        "their interval that day."
    ),
)(on_time_rate)
