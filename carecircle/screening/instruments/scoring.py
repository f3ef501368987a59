"""``score``: one questionnaire's answers in, a ``Result`` out.

Answers stay raw (INSTRUMENTS.md §15.2): a reverse key or a blank counted as zero
changes the value that enters a score, never the answer recorded. Nothing about bad
answers is silent: each problem is reported, and a score is computed only when every
one of its items has an allowed answer or is a blank the instrument's ``missing``
policy counts as 0 (``blank_as_zero``, at most ``max_blank`` of them). A value
outside an item's options is never read as 0.

Rules still run on an invalid result, on what is there: a critical item that was
answered escalates whatever else is wrong (ASQ: question 5 answered "Y" although the
screen was negative is reported as a problem AND is critical, INSTRUMENTS.md §5).
Only answers that cannot be matched to items (a list of the wrong length) stop
everything, since any rule would then read the wrong question.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from carecircle.screening.instruments.errors import InstrumentError
from carecircle.screening.instruments.model import (
    SEVERITIES,
    Band,
    Instrument,
    Item,
    Screen,
    localize,
)
from carecircle.screening.instruments.result import Problem, Result
from carecircle.screening.instruments.rules import (
    Rule,
    Value,
    describe,
    format_value,
    holds,
    is_number,
    references,
)
from carecircle.screening.instruments.triage import (
    Finding,
    band_reason,
    critical_reason,
    decide,
    invalid_reason,
    positive_reason,
)


class _Evaluation:
    """The ``rules.Context`` of one set of answers and the scores computed from them."""

    def __init__(
        self,
        instrument: Instrument,
        answers: Mapping[str, Value | None],
        scores: Mapping[str, float | None],
    ) -> None:
        self.instrument = instrument
        self.answers = answers
        self.scores = scores
        self._positives: dict[str, bool] = {}

    @property
    def scored_items(self) -> tuple[str, ...]:
        return self.instrument.scored_items

    def answer(self, item: str) -> Value | None:
        return self.answers.get(item)

    def score(self, key: str) -> float | None:
        return self.scores.get(key)

    def positive(self, key: str) -> bool:
        # References are acyclic (checked at load), so plain memoised recursion ends.
        if key not in self._positives:
            self._positives[key] = holds(self.instrument.positive_by_key[key].rule, self)
        return self._positives[key]


def score(instrument: Instrument, answers: Sequence[Any] | Mapping[str, Any]) -> Result:
    """Score one set of answers: a list in item order, or a mapping item id → answer.

    Numbers for rated items, codes such as "Y"/"N"/"R", ``None`` for a blank or an
    item that was not shown.
    """
    values, problems = read_answers(instrument, answers)
    if values is None:
        return _unreadable(instrument, problems)
    flagged = {p.item for p in problems}
    hidden = _hidden(instrument, values)
    # Under blank_as_zero a blank score item is not a problem by itself: it counts
    # as 0, up to max_blank of them; other items follow their own ``required``.
    zero_blanks = instrument.missing_policy == "blank_as_zero"
    blanks = []
    for item in instrument.items:
        if item.id in flagged:
            continue
        if item.id in hidden:
            if values[item.id] is not None:
                problems.append(_problem("hidden", item))
        elif values[item.id] is None:
            if zero_blanks and item.id in instrument.score_items:
                blanks.append(item.id)
            elif item.required:
                problems.append(_problem("blank", item))
    zeros = frozenset(blanks)
    if len(blanks) > (instrument.max_blank or 0):
        zeros = frozenset()
        message = ngettext(
            "%(blanks)d item is blank; at most %(max)d may be.",
            "%(blanks)d items are blank; at most %(max)d may be.",
            len(blanks),
        ) % {
            "blanks": len(blanks),
            "max": instrument.max_blank or 0,
        }
        problems.append(Problem("too_many_blanks", message))
    scores = _scores(instrument, values, zeros=zeros)
    return _result(instrument, values, scores, problems)


def read_answers(
    instrument: Instrument, answers: Sequence[Any] | Mapping[str, Any]
) -> tuple[dict[str, Value | None] | None, list[Problem]]:
    """Every item's answer by item id (a value that is not allowed read as blank) and
    the problems of the answers themselves: unknown items, values not allowed, a
    list of the wrong length (then no answers at all: None)."""
    items = instrument.items
    if isinstance(answers, Mapping):
        problems = [
            Problem(
                "unknown_item",
                _("%(code)s has no item %(item)s.") % {"code": instrument.code, "item": key},
                str(key),
            )
            for key in answers
            if key not in instrument.items_by_id
        ]
        raw = [answers.get(item.id) for item in items]
    elif isinstance(answers, Sequence) and not isinstance(answers, str | bytes):
        problems = []
        # A list may stop before trailing optional, unscored items (PHQ-9's difficulty
        # question): published worked examples leave them out.
        shortest = len(items)
        while shortest > 0 and not items[shortest - 1].required and not items[shortest - 1].scored:
            shortest -= 1
        if not shortest <= len(answers) <= len(items):
            expected = str(len(items)) if shortest == len(items) else f"{shortest}–{len(items)}"
            message = _("%(code)s has %(expected)s items, but %(got)d answers were given.") % {
                "code": instrument.code,
                "expected": expected,
                "got": len(answers),
            }
            return None, [Problem("count", message)]
        raw = [*answers, *([None] * (len(items) - len(answers)))]
    else:
        raise InstrumentError(
            _("Answers must be a list in item order or a mapping of item id to answer.")
        )
    values: dict[str, Value | None] = {}
    for item, answer in zip(items, raw, strict=True):
        kind = type(answer)
        # The common answers first: a plain int or code, checked in one set lookup.
        if kind is int or kind is str:
            value = answer if (kind is int, answer) in item.option_set.allows else None
        elif answer is None:
            values[item.id] = None
            continue
        else:
            value = _normalise(answer)
            if value is not None and not _allowed(item, value):
                value = None
        if value is None:
            problems.append(_value_problem(item, answer))
        values[item.id] = value
    return values, problems


def _normalise(answer: Any) -> Value | None:
    """JSON's 2.0 is the answer 2; anything that is not an int or a code is not an answer."""
    if isinstance(answer, float) and answer.is_integer():
        return int(answer)
    if is_number(answer) or isinstance(answer, str):
        return answer
    return None


def _allowed(item: Item, value: Value) -> bool:
    return (is_number(value), value) in item.option_set.allows


def _value_problem(item: Item, answer: Any) -> Problem:
    allowed = ", ".join(json.dumps(v, ensure_ascii=False) for v in item.option_set.values)
    message = _(
        "Item %(number)d (%(item)s): %(value)s is not an allowed answer; allowed: %(allowed)s."
    ) % {
        "number": item.number,
        "item": item.id,
        "value": json.dumps(answer, ensure_ascii=False, default=str),
        "allowed": allowed,
    }
    return Problem("value", message, item.id)


def _problem(kind: str, item: Item) -> Problem:
    if kind == "blank":
        text = _("Item %(number)d (%(item)s) is required but blank.")
    else:
        text = _("Item %(number)d (%(item)s) is answered, but the earlier answers skip it.")
    return Problem(kind, text % {"number": item.number, "item": item.id}, item.id)


def hidden_items(instrument: Instrument, answers: Mapping[str, Any]) -> set[str]:
    """The items skip logic hides given the answers so far (a partial mapping is fine):
    the pages a pupil answers ask exactly what scoring expects."""
    return _hidden(instrument, {item.id: answers.get(item.id) for item in instrument.items})


def _hidden(instrument: Instrument, values: Mapping[str, Value | None]) -> set[str]:
    """The items whose ``show_if`` fails on the answers before them."""
    hidden = set()
    for n, item in instrument.skip_items:
        rule = item.show_if
        if rule is None:  # skip_items holds only items with a rule
            continue
        before = {i.id: values[i.id] for i in instrument.items[:n]}
        scores = _LazyScores(instrument, before)
        if not holds(rule, _Evaluation(instrument, before, scores)):
            hidden.add(item.id)
    return hidden


class _LazyScores(Mapping[str, float | None]):
    """The scores of the answers before a skip rule, computed only if the rule reads
    one (ASQ's question 5 reads the screen of questions 1-4, not a score)."""

    def __init__(self, instrument: Instrument, values: Mapping[str, Value | None]) -> None:
        self._instrument = instrument
        self._answers = values
        self._found: dict[str, float | None] | None = None

    def _all(self) -> dict[str, float | None]:
        if self._found is None:
            self._found = _scores(self._instrument, self._answers, zeros=frozenset())
        return self._found

    def __getitem__(self, key: str) -> float | None:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _scores(
    instrument: Instrument, values: Mapping[str, Value | None], *, zeros: frozenset[str]
) -> dict[str, float | None]:
    """Each score, or None when one of its items has no valid answer.

    ``zeros`` are the blank items that count as 0 (blank_as_zero, within the limit);
    any other blank, or an answer that was not allowed, leaves the score undefined.
    """
    found: dict[str, float | None] = {}
    flips = instrument.flips  # the hot loop of re-scoring: no method call per item
    for key, definition in instrument.scores.items():
        total = 0
        for item_id in definition.items:
            value = values.get(item_id)
            if type(value) is int:
                flip = flips.get(item_id)
                total += value if flip is None else flip - value
            elif item_id not in zeros:
                found[key] = None
                break
        else:
            count = len(definition.items)
            found[key] = round(total / count, 2) if definition.method == "mean" else total
    return found


def _result(
    instrument: Instrument,
    values: dict[str, Value | None],
    scores: dict[str, float | None],
    problems: list[Problem],
) -> Result:
    evaluation = _Evaluation(instrument, values, scores)
    findings: list[Finding] = []
    critical_items = []
    for screen in instrument.critical:
        if holds(screen.rule, evaluation):
            critical_items.append(screen.key)
            findings.append(
                Finding(
                    "critical",
                    screen.key,
                    partial(_screen_reason, critical_reason, screen, instrument, evaluation),
                )
            )
    positive = []
    for screen in instrument.positive:
        if evaluation.positive(screen.key):
            positive.append(screen.key)
            findings.append(
                Finding(
                    "positive",
                    screen.key,
                    partial(_screen_reason, positive_reason, screen, instrument, evaluation),
                )
            )
    bands: dict[str, str] = {}
    severities = []
    for band in instrument.bands:
        value = scores.get(band.on)
        if band.on in bands or value is None or not band.min <= value <= band.max:
            continue
        bands[band.on] = band.key
        severities.append(band.severity)
        findings.append(
            Finding("band", band.key, partial(_band_reason, band, instrument, value), band.severity)
        )
    if problems:
        messages = [p.message for p in problems]
        findings.append(Finding("invalid", "", partial(invalid_reason, messages)))
    return Result(
        code=instrument.code,
        version=instrument.version,
        answers=values,
        total=scores.get("total"),
        subscales={s.key: scores.get(s.key) for s in instrument.subscales},
        band=bands.get("total"),
        bands=bands,
        severity=max(severities, key=SEVERITIES.index) if severities else None,
        positive=positive,
        critical=bool(critical_items),
        critical_items=critical_items,
        valid=not problems,
        problems=problems,
        triage=decide(instrument.code, findings),
    )


def _unreadable(instrument: Instrument, problems: list[Problem]) -> Result:
    return Result(
        code=instrument.code,
        version=instrument.version,
        answers={},
        total=None,
        subscales={s.key: None for s in instrument.subscales},
        band=None,
        bands={},
        severity=None,
        positive=[],
        critical=False,
        critical_items=[],
        valid=False,
        problems=problems,
        triage=decide(
            instrument.code,
            [Finding("invalid", "", partial(invalid_reason, [p.message for p in problems]))],
        ),
    )


def _screen_reason(
    sentence: Callable[[str, str, str], str],
    screen: Screen,
    instrument: Instrument,
    evaluation: _Evaluation,
) -> str:
    rule, evidence = _explain(instrument, screen.rule, evaluation)
    return sentence(localize(screen.label), rule, evidence)


def _band_reason(band: Band, instrument: Instrument, value: float) -> str:
    return band_reason(localize(band.label), _score_name(instrument, band.on), format_value(value))


def _score_name(instrument: Instrument, key: str) -> str:
    if key == "total":
        return _("total")
    return next(localize(s.name) for s in instrument.subscales if s.key == key and s.name)


def _explain(instrument: Instrument, rule: Rule, evaluation: _Evaluation) -> tuple[str, str]:
    """The rule in words, and the answers and scores it read (through named screens)."""
    items: list[str] = []
    scores: list[str] = []
    pending, seen = [rule], set()
    while pending:
        refs = references(pending.pop(0))
        items += [i for i in refs.items if i not in items]
        if refs.all_scored:
            items += [i for i in instrument.scored_items if i not in items]
        scores += [s for s in refs.scores if s not in scores]
        for key in refs.positives:
            if key not in seen:
                seen.add(key)
                pending += [s.rule for s in instrument.positive if s.key == key]
    blank = _("blank") if items else ""
    not_computed = _("not computed") if scores else ""
    shown = [f"{i} = {_shown(evaluation.answer(i), blank)}" for i in items]
    shown += [f"{k} = {_shown(evaluation.score(k), not_computed)}" for k in scores]
    return describe(rule, instrument.positive_label), ", ".join(shown)


def _shown(value: object, missing: str) -> str:
    return missing if value is None else format_value(value)
