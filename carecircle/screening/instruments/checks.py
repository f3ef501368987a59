"""The semantic checks of an instrument file, beyond what its JSON Schema can say.

A deployment adds instruments as files, without code, so every mistake a schema
cannot see must be caught at load with the path inside the file: a dangling
reference, skip logic that reads a later answer, bands that leave a score without a
band, a reverse key on a yes/no item. ``check`` runs on data that already passed the
schema and returns every problem at once (plain English, for the deploying
engineer), so that one edit-and-reload cycle fixes a file.

Decisions beyond the format document, written down once:

* an item in the total or a subscale must have a numeric option set, no ``show_if``,
  and under ``require_all`` must be required (otherwise a permitted blank would
  silently drop out of a score); under ``blank_as_zero`` its ``required`` does not
  matter: a blank counts as 0, up to ``max_blank`` blanks;
* total items must be ``scored`` (that flag means "counts in the total"); subscale
  items need not be (a lie scale such as MHT's is outside the total);
* bands tile on a grid of 1 for sums and of 0.01 for means (means are reported to
  two decimals): each band starts one step after the previous one ends;
* a rule's ``in`` values must be values of the item's option set, and a numeric
  comparison must be on an item whose set has numbers: both catch typos ("Yes" for
  "Y") that would otherwise make a rule silently never hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any

from carecircle.screening.instruments.rules import (
    Count,
    ItemCompare,
    ItemIn,
    Rule,
    is_number,
    parse_rule,
    references,
    walk,
)


def check(data: Mapping[str, Any]) -> list[str]:
    """Every semantic problem of one schema-valid file, as "path: message" lines."""
    return _Checker(data).run()


class _Checker:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: list[str] = []
        self.sets: Mapping[str, list[Mapping[str, Any]]] = data["option_sets"]
        self.items: list[Mapping[str, Any]] = data["items"]
        self.position: dict[str, int] = {}
        scoring = data["scoring"]
        self.scoring: Mapping[str, Any] = scoring
        self.require_all = scoring["missing"]["policy"] == "require_all"
        self.positives = {s["key"]: parse_rule(s["rule"]) for s in scoring.get("positive", ())}

    def run(self) -> list[str]:
        ages = self.data["ages"]
        if ages["min"] > ages["max"]:
            self.error("ages", f"min {ages['min']} is greater than max {ages['max']}")
        self.check_option_sets()
        self.check_items()
        score_items = self.check_scores()
        self.check_screens("positive")
        self.check_screens("critical")
        self.check_positive_cycles()
        self.check_show_if(score_items)
        self.check_bands(score_items)
        return self.errors

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    # --- option sets and items -------------------------------------------------------

    def check_option_sets(self) -> None:
        for name, options in self.sets.items():
            seen: list[object] = []
            for n, option in enumerate(options):
                key = (is_number(option["value"]), option["value"])
                if key in seen:
                    self.error(
                        f"option_sets.{name}[{n}].value",
                        f"value {option['value']!r} appears twice in the set",
                    )
                seen.append(key)

    def values_of(self, item_id: str) -> list[Any]:
        item = self.items[self.position[item_id]]
        return [o["value"] for o in self.sets.get(item["options"], ())]

    def numeric(self, item_id: str) -> bool:
        values = self.values_of(item_id)
        return bool(values) and all(is_number(v) for v in values)

    def check_items(self) -> None:
        for n, item in enumerate(self.items):
            if item["id"] in self.position:
                self.error(f"items[{n}].id", f"item id {item['id']!r} is used twice")
                continue
            self.position[item["id"]] = n
            if item["options"] not in self.sets:
                known = ", ".join(sorted(self.sets))
                self.error(
                    f"items[{n}].options",
                    f"no option set named {item['options']!r} (option_sets has: {known})",
                )
            elif item.get("reverse") and not self.numeric(item["id"]):
                self.error(
                    f"items[{n}].reverse",
                    f"reverse scoring needs a numeric option set, and {item['options']!r} "
                    "is not one",
                )

    # --- total and subscales ---------------------------------------------------------

    def check_scores(self) -> dict[str, list[str]]:
        """The item ids of each valid score (total and subscales), for the later checks."""
        found: dict[str, list[str]] = {}
        total = self.scoring.get("total")
        if total is not None:
            if total["items"] == "all_scored":
                ids = [i["id"] for i in self.items if i.get("scored", True)]
                if not ids:
                    self.error("scoring.total.items", "all_scored, but no item is scored")
                where = [f"items[{self.position.get(i, 0)}]" for i in ids]
            else:
                ids = list(total["items"])
                where = [f"scoring.total.items[{n}]" for n in range(len(ids))]
            if self.check_score_items(ids, where, in_total=True):
                found["total"] = ids
        for n, sub in enumerate(self.scoring.get("subscales", ())):
            where_key = f"scoring.subscales[{n}].key"
            if sub["key"] == "total":
                self.error(where_key, "a subscale cannot be called 'total'")
            elif sub["key"] in found or any(
                s["key"] == sub["key"] for s in self.scoring["subscales"][:n]
            ):
                self.error(where_key, f"subscale key {sub['key']!r} is used twice")
            elif self.check_score_items(
                list(sub["items"]),
                [f"scoring.subscales[{n}].items[{k}]" for k in range(len(sub["items"]))],
                in_total=False,
            ):
                found[sub["key"]] = list(sub["items"])
        return found

    def check_score_items(self, ids: list[str], where: list[str], *, in_total: bool) -> bool:
        before = len(self.errors)
        for n, (item_id, path) in enumerate(zip(ids, where, strict=True)):
            if item_id not in self.position:
                self.error(path, f"no item with id {item_id!r}")
                continue
            if item_id in ids[:n]:
                self.error(path, f"item {item_id!r} is listed twice")
            item = self.items[self.position[item_id]]
            if not self.numeric(item_id):
                self.error(
                    path,
                    f"item {item_id!r} is in a score but its option set {item['options']!r} "
                    "is not numeric (set scored: false if it should not count)",
                )
            if in_total and not item.get("scored", True):
                self.error(path, f"item {item_id!r} is in the total but has scored: false")
            if self.require_all and not item.get("required", True):
                self.error(
                    path,
                    f"item {item_id!r} is in a score but not required; under require_all "
                    "a blank would leave the score undefined",
                )
            if "show_if" in item:
                self.error(path, f"item {item_id!r} is in a score but may be hidden by its show_if")
        return len(self.errors) == before

    # --- rules -----------------------------------------------------------------------

    def check_screens(self, kind: str) -> None:
        seen: set[str] = set()
        for n, screen in enumerate(self.scoring.get(kind, ())):
            if screen["key"] in seen:
                self.error(f"scoring.{kind}[{n}].key", f"key {screen['key']!r} is used twice")
            seen.add(screen["key"])
            self.check_rule(parse_rule(screen["rule"]), f"scoring.{kind}[{n}].rule")

    def check_rule(self, rule: Rule, where: str) -> None:
        """References exist, and values and comparisons fit the items' option sets."""
        refs = references(rule)
        for item_id in refs.items:
            if item_id not in self.position:
                self.error(where, f"no item with id {item_id!r}")
        for key in refs.scores:
            if key == "total" and "total" not in self.scoring:
                self.error(where, "reads the total, but scoring has no total")
            elif key != "total" and all(s["key"] != key for s in self.scoring.get("subscales", ())):
                self.error(where, f"no subscale with key {key!r}")
        for key in refs.positives:
            if key not in self.positives:
                self.error(where, f"no positive screen with key {key!r}")
        for part in walk(rule):
            match part:
                case ItemCompare(item_id) if item_id in self.position:
                    self.check_numbers([item_id], where)
                case ItemIn(item_id, values) if item_id in self.position:
                    self.check_values([item_id], values, where)
                case Count(items, inner_value=inner_value):
                    ids = [i for i in items or self.scored_ids() if i in self.position]
                    if isinstance(inner_value, tuple):
                        self.check_values(ids, inner_value, where)
                    else:
                        self.check_numbers(ids, where)

    def scored_ids(self) -> list[str]:
        return [i["id"] for i in self.items if i.get("scored", True)]

    def check_numbers(self, ids: Iterable[str], where: str) -> None:
        for item_id in ids:
            if not any(is_number(v) for v in self.values_of(item_id)):
                self.error(where, f"compares item {item_id!r} with a number, but it has none")

    def check_values(self, ids: list[str], values: Iterable[Any], where: str) -> None:
        allowed = [(is_number(v), v) for i in ids for v in self.values_of(i)]
        for value in values:
            if (is_number(value), value) not in allowed:
                self.error(where, f"{value!r} is not an option of {', '.join(ids)}")

    def check_positive_cycles(self) -> None:
        keys = list(self.positives)
        for n, key in enumerate(keys):
            cycle = self.cycle_from(key, [key])
            if cycle:
                self.error(
                    f"scoring.positive[{n}].rule",
                    f"circular positive references: {' → '.join(cycle)}",
                )

    def cycle_from(self, key: str, trail: list[str]) -> list[str] | None:
        for ref in references(self.positives[key]).positives:
            if ref == trail[0]:
                return [*trail, ref]
            if ref in self.positives and ref not in trail:
                found = self.cycle_from(ref, [*trail, ref])
                if found:
                    return found
        return None

    def check_show_if(self, score_items: Mapping[str, list[str]]) -> None:
        for n, item in enumerate(self.items):
            if "show_if" not in item or self.position.get(item["id"]) != n:
                continue
            rule = parse_rule(item["show_if"])
            where = f"items[{n}].show_if"
            self.check_rule(rule, where)
            for dep in sorted(self.depends_on(rule, score_items, set())):
                if self.position.get(dep, -1) >= n:
                    self.error(
                        where,
                        f"reads item {dep!r}, which is not before {item['id']!r}: skip logic "
                        "may only read earlier answers",
                    )

    def depends_on(
        self, rule: Rule, score_items: Mapping[str, list[str]], seen: set[str]
    ) -> set[str]:
        """Every item a rule reads, through the scores and positive screens it names."""
        refs = references(rule)
        deps = set(refs.items)
        if refs.all_scored:
            deps.update(self.scored_ids())
        for key in refs.scores:
            deps.update(score_items.get(key, ()))
        for key in refs.positives:
            if key in self.positives and key not in seen:
                deps |= self.depends_on(self.positives[key], score_items, seen | {key})
        return deps

    # --- bands -----------------------------------------------------------------------

    def check_bands(self, score_items: Mapping[str, list[str]]) -> None:
        groups: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
        for n, band in enumerate(self.scoring.get("bands", ())):
            on = band.get("on", "total")
            if on not in self.scoring_keys():
                self.error(f"scoring.bands[{n}].on", f"no score named {on!r}")
            elif any(b["key"] == band["key"] for _, b in groups.get(on, ())):
                self.error(f"scoring.bands[{n}].key", f"band {band['key']!r} is used twice")
            elif band["min"] > band["max"]:
                self.error(f"scoring.bands[{n}]", f"min {band['min']} is above max {band['max']}")
            else:
                groups.setdefault(on, []).append((n, band))
        for on, bands in groups.items():
            if on in score_items:
                self.check_tiling(on, score_items[on], bands)

    def scoring_keys(self) -> set[str]:
        keys = {s["key"] for s in self.scoring.get("subscales", ())}
        return keys | ({"total"} if "total" in self.scoring else set())

    def check_tiling(
        self, on: str, ids: list[str], bands: list[tuple[int, Mapping[str, Any]]]
    ) -> None:
        method = self.method_of(on)
        step = 1.0 if method == "sum" else 0.01
        low, high = self.score_range(ids, method)
        ordered = sorted(bands, key=lambda nb: nb[1]["min"])
        first, last = ordered[0], ordered[-1]
        if not _same(first[1]["min"], low):
            self.error(
                f"scoring.bands[{first[0]}].min",
                f"bands on {on} start at {first[1]['min']}, "
                f"but the lowest reachable score is {low}",
            )
        if not _same(last[1]["max"], high):
            self.error(
                f"scoring.bands[{last[0]}].max",
                f"bands on {on} end at {last[1]['max']}, but the highest reachable score is {high}",
            )
        for (_, before), (n, after) in pairwise(ordered):
            expected = round(before["max"] + step, 2)
            if _same(after["min"], expected):
                continue
            kind = "overlaps" if after["min"] < expected else "leaves a gap after"
            self.error(
                f"scoring.bands[{n}].min",
                f"band {after['key']!r} starts at {after['min']} and {kind} band "
                f"{before['key']!r} (ending at {before['max']}): it should start at {expected:g}",
            )

    def method_of(self, on: str) -> str:
        if on == "total":
            return str(self.scoring["total"].get("method", "sum"))
        sub = next(s for s in self.scoring["subscales"] if s["key"] == on)
        return str(sub.get("method", "sum"))

    def score_range(self, ids: list[str], method: str) -> tuple[float, float]:
        zero = not self.require_all and self.scoring["missing"].get("max_blank", 0) > 0
        lows, highs = [], []
        for item_id in ids:
            numbers = [v for v in self.values_of(item_id) if is_number(v)]
            lows.append(min([*numbers, 0]) if zero else min(numbers))
            highs.append(max(numbers))
        if method == "mean":
            return round(sum(lows) / len(ids), 2), round(sum(highs) / len(ids), 2)
        return sum(lows), sum(highs)


def _same(a: float, b: float) -> bool:
    return abs(a - b) < 1e-9
