"""The small rule language of show_if, positive screens and critical items.

One language for all three, so that a deployment expresses a new instrument's
cut-offs and skip logic in its file instead of in code. A rule is parsed once, at
load, into the frozen dataclasses below; ``holds`` evaluates it against a
``Context`` (the answers and computed scores), ``references`` says what it reads
(for the load checks and for the evidence in a triage reason) and ``describe`` words
it for a human.

Semantics worth knowing:

* an item comparison reads the RAW answer and is false when the answer is blank or
  not a number (a "Y" is never ≥ 1), so a missing answer never triggers or
  suppresses a rule by accident;
* a score comparison is false when the score could not be computed;
* ``{positive: key}`` holds when another positive screen of the same instrument holds
  (ASQ's acuity question is shown after a positive screen).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils.translation import gettext as _

Value = int | str
"""A raw answer: a number on a rating scale, or a code such as "Y", "N", "R"."""

OPS: Mapping[str, Callable[[float, float], bool]] = {
    "gte": operator.ge,
    "gt": operator.gt,
    "lte": operator.le,
    "lt": operator.lt,
    "eq": operator.eq,
}
SYMBOLS: Mapping[str, str] = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "="}


def is_number(value: object) -> bool:
    """True for an int answer; bool is excluded because ``True == 1`` in Python."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class ScoreCompare:
    """``{score: total, gte: 10}``: a computed score against a cut-off."""

    score: str
    op: str
    value: float


@dataclass(frozen=True)
class ItemCompare:
    """``{item: q9, gte: 1}``: an item's raw numeric answer against a cut-off."""

    item: str
    op: str
    value: float


@dataclass(frozen=True)
class ItemIn:
    """``{item: q5, in: [Y]}``: an item's raw answer is one of the values."""

    item: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Count:
    """``{count: {items: [...], gte: 2}, gte: 5}``: how many items meet a condition.

    ``items`` None means every scored item. The inner condition is a comparison
    (``inner_op`` one of ``OPS``, ``inner_value`` a number) or a membership
    (``inner_op`` "in", ``inner_value`` the values).
    """

    items: tuple[str, ...] | None
    op: str
    value: float
    inner_op: str
    inner_value: float | tuple[Value, ...]


@dataclass(frozen=True)
class AnyOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class AllOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Not:
    rule: Rule


@dataclass(frozen=True)
class PositiveRef:
    """``{positive: key}``: another positive screen of the same instrument holds."""

    key: str


Rule = ScoreCompare | ItemCompare | ItemIn | Count | AnyOf | AllOf | Not | PositiveRef
Comparison = ScoreCompare | ItemCompare
"""The rules whose cut-off a deployment may override by setting."""


def _op_of(data: Mapping[str, Any]) -> tuple[str, float]:
    for op in OPS:
        if op in data:
            return op, data[op]
    raise ValueError(f"no comparison in {dict(data)!r}")  # the schema makes this unreachable


def parse_rule(data: Mapping[str, Any]) -> Rule:
    """Build a rule from schema-checked data (the schema guarantees exactly one form)."""
    if "score" in data:
        return ScoreCompare(data["score"], *_op_of(data))
    if "item" in data and "in" in data:
        return ItemIn(data["item"], tuple(data["in"]))
    if "item" in data:
        return ItemCompare(data["item"], *_op_of(data))
    if "count" in data:
        inner = data["count"]
        items = None if inner["items"] == "all_scored" else tuple(inner["items"])
        if "in" in inner:
            return Count(items, *_op_of(data), "in", tuple(inner["in"]))
        return Count(items, *_op_of(data), *_op_of(inner))
    if "any" in data:
        return AnyOf(tuple(parse_rule(r) for r in data["any"]))
    if "all" in data:
        return AllOf(tuple(parse_rule(r) for r in data["all"]))
    if "not" in data:
        return Not(parse_rule(data["not"]))
    return PositiveRef(data["positive"])


class Context(Protocol):
    """What a rule reads: raw answers, computed scores, other positive screens."""

    @property
    def scored_items(self) -> tuple[str, ...]: ...

    def answer(self, item: str) -> Value | None: ...

    def score(self, key: str) -> float | None: ...

    def positive(self, key: str) -> bool: ...


def _compare(value: object, op: str, cutoff: float) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return OPS[op](value, cutoff)


def holds(rule: Rule, ctx: Context) -> bool:
    """Whether ``rule`` holds on the answers and scores of ``ctx``."""
    match rule:
        case ScoreCompare(score, op, value):
            return _compare(ctx.score(score), op, value)
        case ItemCompare(item, op, value):
            return _compare(ctx.answer(item), op, value)
        case ItemIn(item, values):
            answer = ctx.answer(item)
            return answer is not None and any(_same(answer, v) for v in values)
        case Count():
            items = ctx.scored_items if rule.items is None else rule.items
            n = sum(1 for item in items if _count_matches(rule, ctx.answer(item)))
            return OPS[rule.op](n, rule.value)
        case AnyOf(rules):
            return any(holds(r, ctx) for r in rules)
        case AllOf(rules):
            return all(holds(r, ctx) for r in rules)
        case Not(inner):
            return not holds(inner, ctx)
        case PositiveRef(key):
            return ctx.positive(key)
    raise TypeError(rule)  # pragma: no cover - the match is exhaustive


def _same(answer: Value, value: Value) -> bool:
    """Equal and of the same kind: the answer 1 is not the code "1"."""
    return is_number(answer) == is_number(value) and answer == value


def _count_matches(rule: Count, answer: Value | None) -> bool:
    if answer is None:
        return False
    if isinstance(rule.inner_value, tuple):
        return any(_same(answer, v) for v in rule.inner_value)
    return _compare(answer, rule.inner_op, rule.inner_value)


def children(rule: Rule) -> tuple[Rule, ...]:
    """The direct sub-rules of a combinator (none for a leaf)."""
    match rule:
        case AnyOf(rules) | AllOf(rules):
            return rules
        case Not(inner):
            return (inner,)
    return ()


def walk(rule: Rule) -> Iterator[Rule]:
    """The rule and all its sub-rules, depth first."""
    yield rule
    for child in children(rule):
        yield from walk(child)


@dataclass
class References:
    """What a rule reads directly (not through the positive screens it names)."""

    items: list[str] = field(default_factory=list)
    scores: list[str] = field(default_factory=list)
    positives: list[str] = field(default_factory=list)
    all_scored: bool = False


def references(rule: Rule) -> References:
    """The items, scores and positive screens ``rule`` reads, in first-use order."""
    refs = References()
    for r in walk(rule):
        match r:
            case ScoreCompare(score):
                _add(refs.scores, score)
            case ItemCompare(item) | ItemIn(item):
                _add(refs.items, item)
            case Count(items):
                if items is None:
                    refs.all_scored = True
                for item in items or ():
                    _add(refs.items, item)
            case PositiveRef(key):
                _add(refs.positives, key)
    return refs


def _add(seen: list[str], name: str) -> None:
    if name not in seen:
        seen.append(name)


def format_value(value: object) -> str:
    """A cut-off or answer as a person writes it: 10, not 10.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def describe(rule: Rule, positive_label: Callable[[str], str]) -> str:
    """The rule in a short human form, e.g. "q9 ≥ 1" or "total > 10 or q1 is one of Y, R"."""
    match rule:
        case ScoreCompare(name, op, value) | ItemCompare(name, op, value):
            return f"{name} {SYMBOLS[op]} {format_value(value)}"
        case ItemIn(item, values):
            return _("%(item)s is one of %(values)s") % {
                "item": item,
                "values": ", ".join(format_value(v) for v in values),
            }
        case Count():
            items = _("scored items") if rule.items is None else ", ".join(rule.items)
            if isinstance(rule.inner_value, tuple):
                inner = _("one of %(values)s") % {
                    "values": ", ".join(format_value(v) for v in rule.inner_value)
                }
            else:
                inner = f"{SYMBOLS[rule.inner_op]} {format_value(rule.inner_value)}"
            return _("number of %(items)s with an answer %(inner)s %(op)s %(n)s") % {
                "items": items,
                "inner": inner,
                "op": SYMBOLS[rule.op],
                "n": format_value(rule.value),
            }
        case AnyOf(rules):
            return _(" or ").join(_grouped(r, positive_label) for r in rules)
        case AllOf(rules):
            return _(" and ").join(_grouped(r, positive_label) for r in rules)
        case Not(inner):
            return _("not (%(rule)s)") % {"rule": describe(inner, positive_label)}
        case PositiveRef(key):
            return _("positive screen “%(label)s”") % {"label": positive_label(key)}
    raise TypeError(rule)  # pragma: no cover - the match is exhaustive


def _grouped(rule: Rule, positive_label: Callable[[str], str]) -> str:
    text = describe(rule, positive_label)
    return f"({text})" if isinstance(rule, AnyOf | AllOf) else text
