"""Indicators of the child registry: children by category, in 人, as of the period's end.

Every figure counts distinct children (a child with two open sub-types of 困境儿童
is one person) whose residence code lies in the scope's divisions. Records merged
into another are never counted, so a child registered twice counts once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecircle.accounts.permissions import prefix_q
from carecircle.people.models import Category, CategoryMembership, Minor
from carecircle.stats.registry import Scope, Unit, indicator

CHILDREN = _("Children")
# Statuses that take a child out of the count. Aged out is not among them: age is
# computed from the birth date at the period's end, which is exact for any period.
_GONE = (Minor.Status.MOVED_AWAY, Minor.Status.DECEASED, Minor.Status.MERGED)


def _eighteen_years_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 18)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 18, day=28)


def minors_on(scope: Scope) -> QuerySet[Minor]:
    """Children registered by the end of the period, under 18 on its last day."""
    next_day = timezone.make_aware(datetime.combine(scope.end + timedelta(days=1), time.min))
    return Minor.objects.filter(
        prefix_q("area_code", scope.prefixes) or Q(),
        created_at__lt=next_day,
        birth_date__lte=scope.end,
        birth_date__gt=_eighteen_years_before(scope.end),
    ).exclude(status__in=_GONE)


def minors_total(scope: Scope) -> int:
    return minors_on(scope).count()


def in_category(scope: Scope, category: str) -> int:
    """Distinct children with a membership of ``category`` in force on the last day.

    A membership is in force from ``valid_from`` to ``valid_to``, both days included
    (the convention of ``people.categories``).
    """
    return (
        CategoryMembership.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=scope.end),
            prefix_q("minor__area_code", scope.prefixes) or Q(),
            category=category,
            valid_from__lte=scope.end,
        )
        .exclude(minor__status=Minor.Status.MERGED)
        .values("minor_id")
        .distinct()
        .count()
    )


indicator(
    "minors.total",
    name=_("Minors in the registry"),
    unit=Unit.PERSONS,
    group=CHILDREN,
    counts_children=True,
    definition=_(
        "Children living in the area, registered by the last day of the period and under 18 "
        "on that day. Children who moved away or died are left out by their present status, "
        "because the registry keeps no history of status changes: a child who moved away "
        "after the period is also missing from the count for that period."
    ),
)(minors_total)


def _register(id: str, category: str, name: object, definition: object) -> None:
    indicator(
        id,
        name=name,
        unit=Unit.PERSONS,
        definition=definition,
        group=CHILDREN,
        counts_children=True,
    )(lambda scope: in_category(scope, category))


_register(
    "minors.left_behind",
    Category.RURAL_LEFT_BEHIND,
    _("Rural left-behind children"),
    _(
        "Distinct children with a rural left-behind membership in force on the last day of "
        "the period (begun by then and not ended before it), by residence."
    ),
)
_register(
    "minors.in_difficulty",
    Category.IN_DIFFICULTY,
    _("Children in difficulty"),
    _(
        "Distinct children with a membership of any sub-type of children in difficulty in "
        "force on the last day of the period; a child of several sub-types counts once."
    ),
)
_register(
    "minors.orphans",
    Category.ORPHAN,
    _("Orphans"),
    _("Distinct children with an orphan membership in force on the last day of the period."),
)
_register(
    "minors.de_facto_unsupported",
    Category.DE_FACTO_UNSUPPORTED,
    _("De-facto unsupported children"),
    _(
        "Distinct children with a de-facto unsupported membership in force on the last day "
        "of the period."
    ),
)
_register(
    "minors.migrant",
    Category.MIGRANT,
    _("Migrant children"),
    _(
        "Distinct children with a migrant membership in force on the last day of the "
        "period, by the place where they live."
    ),
)
