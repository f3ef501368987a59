"""The indicator registry: every figure CareCircle reports, defined once.

An indicator has a stable id (``staff.social_workers``), a name in Chinese and
English, a unit (人, 人次, 次, 例, 件, 场次, 户次, 元, %) and a definition text, and
computes its value for a period and an area subtree. The area is always clipped
to the viewer's scope before the computation sees it: ``Scope.prefixes`` lists
the division prefixes the figure may count, never wider than the viewer's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar

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
    """What a computation may count: a period, the division prefixes inside it, and
    for indicators registered ``by_category`` a registry category to narrow to."""

    start: date
    end: date
    prefixes: tuple[str, ...]
    category: str | None = None

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
    # Computed for one registry category when the scope names one; an indicator
    # that is not is left out (None) rather than shown for every child.
    by_category: bool = False
    # For a rate: the count it is a share of, shown beside it.
    denominator: Compute | None = None


REGISTRY: dict[str, Indicator] = {}


def indicator(
    id: str,
    *,
    name: object,
    unit: Unit,
    definition: object,
    group: object = "",
    counts_children: bool = False,
    by_category: bool = False,
    denominator: Compute | None = None,
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
            by_category=by_category,
            denominator=denominator,
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


def scope_for(
    *,
    start: date,
    end: date,
    viewer_prefixes: list[str] | None,
    area: str | None = None,
    category: str | None = None,
) -> Scope:
    return Scope(
        start=start, end=end, prefixes=clip(viewer_prefixes, area), category=category or None
    )


def counts(ind: Indicator, scope: Scope) -> bool:
    """Whether ``ind`` has a value for ``scope`` (an empty scope or a category the
    indicator cannot be narrowed to has none)."""
    return not scope.empty and (scope.category is None or ind.by_category)


_MEMO: ContextVar[dict[Any, Any] | None] = ContextVar("carecircle_stats_memo", default=None)
R = TypeVar("R")


@contextmanager
def one_computation() -> Iterator[None]:
    """While every indicator of one page or command is computed, ``shared`` helpers
    run once per scope; nothing is remembered after it."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def shared(fn: Callable[..., R]) -> Callable[..., R]:
    """For a helper that several indicators call with the same scope (a rate and its
    denominator): computed once within ``one_computation``, every time outside it."""

    @wraps(fn)
    def once(scope: Scope, *args: Any) -> R:
        memo = _MEMO.get()
        if memo is None:
            return fn(scope, *args)
        key = (fn, scope, args)
        if key not in memo:
            memo[key] = fn(scope, *args)
        result: R = memo[key]
        return result

    return once


def compute_all(
    *,
    start: date,
    end: date,
    viewer_prefixes: list[str] | None,
    area: str | None = None,
    category: str | None = None,
) -> dict[str, Value]:
    scope = scope_for(
        start=start, end=end, viewer_prefixes=viewer_prefixes, area=area, category=category
    )
    with one_computation():
        return {
            ind.id: (ind.compute(scope) if counts(ind, scope) else None)
            for ind in REGISTRY.values()
        }
