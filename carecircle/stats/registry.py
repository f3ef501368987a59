"""The indicator registry: every figure CareCircle reports, defined once.

An indicator has a stable id (``staff.social_workers``), a name in Chinese and
English, a unit (人, 人次, 次, 例, 件, 场次, 户次, 元, %) and a definition text, and
computes its value for a period and an area subtree. The area is always clipped
to the viewer's scope before the computation sees it: ``Scope.prefixes`` lists
the division prefixes the figure may count, never wider than the viewer's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    PERSONS = "人", _("persons")
    PERSON_TIMES = "人次", _("person-times")
    TIMES = "次", _("times")
    CASES = "例", _("cases")
    ITEMS = "件", _("items")
    SESSIONS = "场次", _("sessions")
    HOUSEHOLD_TIMES = "户次", _("household-times")
    YUAN = "元", _("yuan")
    PERCENT = "%", _("percent")
    COPIES = "份", _("copies")
    UNITS = "个", _("units")


@dataclass(frozen=True)
class Scope:
    """What a computation may count: a period and the division prefixes inside it."""

    start: date
    end: date
    prefixes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.prefixes


Value = int | Decimal | None
Compute = Callable[[Scope], Value]


@dataclass(frozen=True)
class Indicator:
    id: str
    name: object  # lazy translation: 中文 in zh-hans, English in en
    unit: Unit
    definition: object
    compute: Compute
    group: object = ""
    # A count of identified children: small values are suppressed for viewers who
    # do not see child records (SECURITY.md AZ-2), lest a "1" single out a child.
    counts_children: bool = False


REGISTRY: dict[str, Indicator] = {}


def indicator(
    id: str,
    *,
    name: object,
    unit: Unit,
    definition: object,
    group: object = "",
    counts_children: bool = False,
) -> Callable[[Compute], Compute]:
    def register(fn: Compute) -> Compute:
        if id in REGISTRY:
            raise ValueError(f"indicator {id} registered twice")
        REGISTRY[id] = Indicator(
            id=id,
            name=name,
            unit=unit,
            definition=definition,
            compute=fn,
            group=group,
            counts_children=counts_children,
        )
        return fn

    return register


def clip(viewer_prefixes: list[str] | None, area: str | None) -> tuple[str, ...]:
    """The prefixes to count: ``area`` within the viewer's scope, or the viewer's scope.

    ``viewer_prefixes`` None means the whole database (command line, run by an operator).
    """
    if viewer_prefixes is None:
        return (area,) if area else ("",)
    if area is None:
        return tuple(sorted(set(viewer_prefixes)))
    inside = [p for p in viewer_prefixes if area.startswith(p)]
    if inside:
        return (area,)
    # The area is wider than the viewer: count only the viewer's parts of it.
    return tuple(sorted(p for p in viewer_prefixes if p.startswith(area)))


def compute_all(
    *, start: date, end: date, viewer_prefixes: list[str] | None, area: str | None = None
) -> dict[str, Value]:
    scope = Scope(start=start, end=end, prefixes=clip(viewer_prefixes, area))
    return {ind.id: (None if scope.empty else ind.compute(scope)) for ind in REGISTRY.values()}
