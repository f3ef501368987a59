"""The loaded instrument as typed, immutable data.

``build`` turns a file that passed the schema and the semantic checks into these
dataclasses, so that scoring never reads raw YAML and never meets a dangling
reference. They are frozen: one loaded instrument is shared by every request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import get_language

from carecircle.screening.instruments.rules import Rule, Value, is_number, parse_rule

LocalText = Mapping[str, str]
"""Text by language code: "zh-hans" always, "en" in the built-in files."""

SEVERITIES = ("none", "mild", "moderate", "severe")
"""Band severities, lowest first: triage maps them to levels."""


def localize(text: LocalText) -> str:
    """The text in the active language, Chinese when there is no English."""
    language = (get_language() or settings.LANGUAGE_CODE).lower()
    key = "zh-hans" if language.startswith("zh") else "en"
    return text.get(key) or text["zh-hans"]


@dataclass(frozen=True)
class Option:
    value: Value
    label: LocalText


@dataclass(frozen=True)
class OptionSet:
    """A named answer scale; ``numeric`` sets may be summed and reversed."""

    name: str
    options: tuple[Option, ...]

    @cached_property
    def values(self) -> tuple[Value, ...]:
        return tuple(o.value for o in self.options)

    @cached_property
    def numbers(self) -> tuple[int, ...]:
        return tuple(v for v in self.values if isinstance(v, int))

    @cached_property
    def allows(self) -> frozenset[tuple[bool, Value]]:
        """(is a number, value) pairs: the answer 1 is allowed, the code "1" is not."""
        return frozenset((is_number(v), v) for v in self.values)


@dataclass(frozen=True)
class Item:
    """One question. ``number`` is its 1-based place in the published order."""

    id: str
    number: int
    text: LocalText
    option_set: OptionSet
    scored: bool
    reverse: bool
    required: bool
    show_if: Rule | None

    def scored_value(self, raw: int) -> int:
        """The value that counts in a score: reverse keys flip within the set's range."""
        if not self.reverse:
            return raw
        numbers = self.option_set.numbers
        return max(numbers) + min(numbers) - raw


@dataclass(frozen=True)
class ScoreDef:
    """The total (key "total") or a subscale, keyed by item identity."""

    key: str
    name: LocalText | None
    items: tuple[str, ...]
    method: str  # "sum" | "mean"


@dataclass(frozen=True)
class Band:
    key: str
    on: str
    min: float
    max: float
    severity: str
    label: LocalText


@dataclass(frozen=True)
class Screen:
    """A positive screen or a critical item: a named rule with a label."""

    key: str
    label: LocalText
    rule: Rule


@dataclass(frozen=True)
class Licence:
    status: str  # "free" | "permission" | "deployer"
    source: str
    attribution: LocalText
    notes: LocalText | None


@dataclass(frozen=True)
class Instrument:
    """One instrument form, as loaded from one file."""

    code: str
    version: int
    family: str
    name: LocalText
    respondent: str
    age_min: int
    age_max: int
    time_frame: LocalText | None
    instructions: LocalText
    licence: Licence
    option_sets: Mapping[str, OptionSet]
    items: tuple[Item, ...]
    total: ScoreDef | None
    subscales: tuple[ScoreDef, ...]
    missing_policy: str  # "require_all" | "blank_as_zero"
    max_blank: int | None
    bands: tuple[Band, ...]
    positive: tuple[Screen, ...]
    critical: tuple[Screen, ...]
    path: Path = field(compare=False)

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @cached_property
    def items_by_id(self) -> Mapping[str, Item]:
        return {item.id: item for item in self.items}

    @cached_property
    def scores(self) -> Mapping[str, ScoreDef]:
        """Every computed score by key: "total" (when there is one) and the subscales."""
        found = {s.key: s for s in self.subscales}
        if self.total is not None:
            found = {"total": self.total, **found}
        return found

    @cached_property
    def flips(self) -> Mapping[str, int]:
        """Reverse-keyed items → the sum their raw and scored values make (max + min)."""
        return {
            item.id: max(item.option_set.numbers) + min(item.option_set.numbers)
            for item in self.items
            if item.reverse
        }

    @cached_property
    def score_items(self) -> frozenset[str]:
        """The items that enter the total or a subscale."""
        return frozenset(i for s in self.scores.values() for i in s.items)

    @cached_property
    def scored_items(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items if item.scored)

    @cached_property
    def skip_items(self) -> tuple[tuple[int, Item], ...]:
        """(position, item) of the items that skip logic may hide."""
        return tuple((n, item) for n, item in enumerate(self.items) if item.show_if is not None)

    @cached_property
    def positive_by_key(self) -> Mapping[str, Screen]:
        return {screen.key: screen for screen in self.positive}

    def positive_label(self, key: str) -> str:
        return next(localize(s.label) for s in self.positive if s.key == key)


def build(data: Mapping[str, Any], path: Path) -> Instrument:
    """The instrument of a file that passed the schema and the semantic checks."""
    option_sets = {
        name: OptionSet(name, tuple(Option(o["value"], o["label"]) for o in options))
        for name, options in data["option_sets"].items()
    }
    items = tuple(
        Item(
            id=raw["id"],
            number=n,
            text=raw["text"],
            option_set=option_sets[raw["options"]],
            scored=raw.get("scored", True),
            reverse=raw.get("reverse", False),
            required=raw.get("required", True),
            show_if=parse_rule(raw["show_if"]) if "show_if" in raw else None,
        )
        for n, raw in enumerate(data["items"], start=1)
    )
    scoring = data["scoring"]
    total = None
    if "total" in scoring:
        listed = scoring["total"]["items"]
        ids = [i.id for i in items if i.scored] if listed == "all_scored" else listed
        total = ScoreDef("total", None, tuple(ids), scoring["total"].get("method", "sum"))
    return Instrument(
        code=data["code"],
        version=data["version"],
        family=data.get("family", data["code"]),
        name=data["name"],
        respondent=data["respondent"],
        age_min=data["ages"]["min"],
        age_max=data["ages"]["max"],
        time_frame=data.get("time_frame"),
        instructions=data["instructions"],
        licence=Licence(
            status=data["licence"]["status"],
            source=data["licence"]["source"],
            attribution=data["licence"]["attribution"],
            notes=data["licence"].get("notes"),
        ),
        option_sets=option_sets,
        items=items,
        total=total,
        subscales=tuple(
            ScoreDef(s["key"], s["name"], tuple(s["items"]), s.get("method", "sum"))
            for s in scoring.get("subscales", ())
        ),
        missing_policy=scoring["missing"]["policy"],
        max_blank=scoring["missing"].get("max_blank"),
        bands=tuple(
            Band(b["key"], b.get("on", "total"), b["min"], b["max"], b["severity"], b["label"])
            for b in scoring.get("bands", ())
        ),
        positive=tuple(_screens(scoring.get("positive", ()))),
        critical=tuple(_screens(scoring.get("critical", ()))),
        path=path,
    )


def _screens(raw: Any) -> list[Screen]:
    return [Screen(s["key"], s["label"], parse_rule(s["rule"])) for s in raw]
