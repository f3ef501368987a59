"""Print every registered indicator for a period and area as JSON (or a table).

Run by an operator on the server, so it counts the whole database unless --area
narrows it; there is no viewer scope to apply.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecircle.people.models import Category
from carecircle.regions.codes import parse_code
from carecircle.stats.registry import FILTERS, REGISTRY, compute_all


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from exc


def _filters(given: list[str]) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for item in given:
        name, _sep, value = item.partition("=")
        known = FILTERS.get(name.strip())
        if known is None:
            names = ", ".join(sorted(FILTERS)) or "none"
            raise CommandError(f"Unknown filter {name!r}; known filters: {names}")
        values = [str(v) for v, _label in known.choices()]
        if value.strip() not in values:
            raise CommandError(f"--filter {known.name} takes one of: {', '.join(values)}")
        chosen[known.name] = value.strip()
    return chosen


class Command(BaseCommand):
    help = (
        "Compute all indicators: stats --from YYYY-MM-DD --to YYYY-MM-DD [--area CODE] "
        "[--category CATEGORY] [--filter NAME=VALUE ...] --json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", required=True)
        parser.add_argument("--to", dest="end", required=True)
        parser.add_argument("--area", default=None)
        parser.add_argument(
            "--category",
            default=None,
            choices=Category.values,
            help="Only children of this registry category (indicators counted by category).",
        )
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            dest="filters",
            metavar="NAME=VALUE",
            help="Narrow by a registered filter, e.g. channel=hotline or tip_category=neglect; "
            "indicators not counted with it print null.",
        )
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(
        self,
        *args: Any,
        start: str,
        end: str,
        area: str | None,
        category: str | None,
        filters: list[str],
        as_json: bool,
        **o: Any,
    ) -> None:
        first, last = _date(start), _date(end)
        if first > last:
            raise CommandError("--from must not be after --to")
        prefix = None
        if area:
            try:
                _code, prefix, _level = parse_code(area)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        values = compute_all(
            start=first,
            end=last,
            viewer_prefixes=None,
            area=prefix,
            category=category,
            filters=_filters(filters),
        )
        plain = {k: (float(v) if isinstance(v, Decimal) else v) for k, v in values.items()}
        if as_json:
            self.stdout.write(json.dumps(plain, ensure_ascii=False, sort_keys=True))
            return
        for key in sorted(plain):
            self.stdout.write(f"{key}\t{plain[key]}\t{REGISTRY[key].unit}")
