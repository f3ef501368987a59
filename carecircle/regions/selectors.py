from __future__ import annotations

from collections.abc import Iterable

from carecircle.regions.models import Division


def division_names(codes: Iterable[str]) -> dict[str, str]:
    """12-digit code → "township / village" label, for the codes on one page (one query)."""
    codes = set(codes)
    prefixes = {c[:9] for c in codes} | codes
    found = dict(
        Division.objects.filter(code__in=[p.ljust(12, "0") for p in prefixes]).values_list(
            "code", "name"
        )
    )
    return {
        code: " / ".join(
            name for name in (found.get(code[:9].ljust(12, "0")), found.get(code)) if name
        )
        for code in codes
    }
