from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.conf import settings

from carecircle.accounts.permissions import division_prefixes, sees_child_data
from carecircle.stats.registry import REGISTRY, counts, one_computation, scope_for


def viewer_prefixes(user: Any) -> list[str]:
    return division_prefixes(user, capability="reads_stats")


def indicator_rows(
    *,
    user: Any,
    start: date,
    end: date,
    area: str | None = None,
    category: str | None = None,
    filters: Mapping[str, str | None] | None = None,
) -> list[dict[str, Any]]:
    """Every registered indicator's value for the viewer's scope, with its metadata.

    A child count below ``CARECIRCLE_MIN_CELL`` (but above zero) is withheld from a
    viewer who does not see child records, such as the analyst: ``suppressed`` is
    set and ``value`` is None. A rate's denominator is withheld alike.
    """
    scope = scope_for(
        start=start,
        end=end,
        viewer_prefixes=viewer_prefixes(user),
        area=area,
        category=category,
        filters=filters,
    )
    hide_small = not sees_child_data(user)

    def small(number: Any) -> bool:
        return hide_small and number is not None and 0 < number < settings.CARECIRCLE_MIN_CELL

    rows = []
    with one_computation():
        computed = [
            (
                ind,
                ind.compute(scope) if counts(ind, scope) else None,
                ind.denominator(scope) if counts(ind, scope) and ind.denominator else None,
            )
            for ind in REGISTRY.values()
        ]
    for ind, value, denominator in computed:
        suppressed = (ind.counts_children and small(value)) or small(denominator)
        rows.append(
            {
                "id": ind.id,
                "name": ind.name,
                "unit": ind.unit,
                "definition": ind.definition,
                "group": ind.group,
                "value": None if suppressed else value,
                "denominator": None if suppressed else denominator,
                "suppressed": suppressed,
                "not_by_category": scope.category is not None and not ind.by_category,
                "not_filtered": any(name not in ind.filters for name, _v in scope.filters),
            }
        )
    return rows
