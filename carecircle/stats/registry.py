"""The indicator registry: every figure CareCircle reports, defined once.

An indicator has a stable id (``staff.social_workers``), a name in Chinese and
English, a unit (人, 人次, 次, 例, 件, 场次, 户次, 元, %) and a definition text, and
computes its value for a period and an area subtree. The area is always clipped
to the viewer's scope before the computation sees it: ``Scope.prefixes`` lists
the division prefixes the figure may count, never wider than the viewer's own.

Besides the registry ``category`` of children, a module may register a filter of
its own (``scope_filter``: tips by channel and by their category): the /stats/
page shows a field for it and ``manage.py stats`` takes ``--filter NAME=VALUE``.
``Scope.filters`` carries the values chosen; only indicators registered with that
filter's name in ``filters`` are computed under it, the others have no value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar

from django.db import models
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
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
    # (filter name, value) pairs, sorted: a tuple, so that a scope stays hashable.
    filters: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.prefixes

    def filter(self, name: str) -> str | None:
        """The value chosen for the filter ``name``, or None."""
        return dict(self.filters).get(name)


@dataclass(frozen=True)
class Filter:
    """A dimension a module's indicators can be narrowed by (a tip's channel)."""

    name: str
    label: object
    choices: Callable[[], list[tuple[str, Any]]]


FILTERS: dict[str, Filter] = {}


def scope_filter(
    name: str, *, label: object, choices: Callable[[], list[tuple[str, Any]]]
) -> Filter:
    """Register a filter; the indicators that honour it name it in ``filters``."""
    if name in FILTERS or name in ("start", "end", "area", "category"):
        raise ValueError(f"filter {name} registered twice")
    FILTERS[name] = Filter(name=name, label=label, choices=choices)
    return FILTERS[name]


def filter_pairs(filters: Mapping[str, str | None] | None) -> tuple[tuple[str, str], ...]:
    """The chosen values of ``filters`` as ``Scope.filters`` holds them (empty ones left out)."""
    return tuple(sorted((name, value) for name, value in (filters or {}).items() if value))


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
    # The registered filters (``scope_filter``) this indicator is computed under.
    filters: frozenset[str] = frozenset()


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
    filters: tuple[str, ...] = (),
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
            filters=frozenset(filters),
        )
        return fn

    return register


def child_key(minor: str = "minor") -> Coalesce:
    """The child a row counts as for 人: a record merged into another counts as the
    one it was merged into, so a child registered twice is one person. ``minor`` is
    the path from the rows to the child."""
    return Coalesce(F(f"{minor}__merged_into_id"), F(f"{minor}_id"))


def distinct_children(rows: QuerySet[Any], minor: str = "minor") -> int:
    """How many children (人) ``rows`` are about."""
    return rows.annotate(person=child_key(minor)).values("person").distinct().count()


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
    filters: Mapping[str, str | None] | None = None,
) -> Scope:
    return Scope(
        start=start,
        end=end,
        prefixes=clip(viewer_prefixes, area),
        category=category or None,
        filters=filter_pairs(filters),
    )


def narrows(ind: Indicator, scope: Scope) -> bool:
    """Whether ``ind`` can be computed under the scope's category and filters."""
    return (scope.category is None or ind.by_category) and all(
        name in ind.filters for name, _value in scope.filters
    )


def counts(ind: Indicator, scope: Scope) -> bool:
    """Whether ``ind`` has a value for ``scope`` (an empty scope, or a category or
    filter the indicator cannot be narrowed by, has none)."""
    return not scope.empty and narrows(ind, scope)


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
    filters: Mapping[str, str | None] | None = None,
) -> dict[str, Value]:
    scope = scope_for(
        start=start,
        end=end,
        viewer_prefixes=viewer_prefixes,
        area=area,
        category=category,
        filters=filters,
    )
    with one_computation():
        return {
            ind.id: (ind.compute(scope) if counts(ind, scope) else None)
            for ind in REGISTRY.values()
        }
