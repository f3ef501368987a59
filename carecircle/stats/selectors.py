from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings

from carecircle.accounts.permissions import division_prefixes, sees_child_data
from carecircle.stats.registry import REGISTRY, Value, compute_all


def viewer_prefixes(user: Any) -> list[str]:
    return division_prefixes(user, capability="reads_stats")


def indicator_rows(
    *, user: Any, start: date, end: date, area: str | None = None
) -> list[dict[str, Any]]:
    """Every registered indicator's value for the viewer's scope, with its metadata.

    A child count below ``CARECIRCLE_MIN_CELL`` (but above zero) is withheld from a
    viewer who does not see child records, such as the analyst: ``suppressed`` is
    set and ``value`` is None.
    """
    values: dict[str, Value] = compute_all(
        start=start, end=end, viewer_prefixes=viewer_prefixes(user), area=area
    )
    hide_small = not sees_child_data(user)
    rows = []
    for ind in REGISTRY.values():
        value = values[ind.id]
        suppressed = (
            hide_small
            and ind.counts_children
            and value is not None
            and 0 < value < settings.CARECIRCLE_MIN_CELL
        )
        rows.append(
            {
                "id": ind.id,
                "name": ind.name,
                "unit": ind.unit,
                "definition": ind.definition,
                "group": ind.group,
                "value": None if suppressed else value,
                "suppressed": suppressed,
            }
        )
    return rows
