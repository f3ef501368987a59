from __future__ import annotations

from datetime import date
from typing import Any

from carecircle.accounts.permissions import division_prefixes
from carecircle.stats.registry import REGISTRY, Value, compute_all


def viewer_prefixes(user: Any) -> list[str]:
    return division_prefixes(user, capability="reads_stats")


def indicator_rows(
    *, user: Any, start: date, end: date, area: str | None = None
) -> list[dict[str, Any]]:
    """Every registered indicator's value for the viewer's scope, with its metadata."""
    values: dict[str, Value] = compute_all(
        start=start, end=end, viewer_prefixes=viewer_prefixes(user), area=area
    )
    return [
        {
            "id": ind.id,
            "name": ind.name,
            "unit": ind.unit,
            "definition": ind.definition,
            "group": ind.group,
            "value": values[ind.id],
        }
        for ind in REGISTRY.values()
    ]
