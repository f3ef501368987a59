"""Triage: one level per result, from a configurable mapping, with its reasons.

Levels, highest first: ``red_critical`` (same day), ``red``, ``yellow``, ``green``.
Scoring turns a result into findings — each critical item that holds, each positive
screen, the band of each banded score, and "invalid" — and the mapping gives each
finding a level; the result's level is the highest one. Every finding becomes a
reason (a translatable sentence naming the rule and the answers or score behind it),
highest level first, so the person who follows up sees why, not just a colour.

The default mapping is issue 4's: any critical item (and any positive ASQ screen) is
``red_critical``; a band of severity ``severe`` is ``red``; severity ``moderate`` and
any other positive screen are ``yellow``; everything else is ``green``. A deployment
changes it with the setting ``CARECIRCLE_TRIAGE``, merged over the default::

    CARECIRCLE_TRIAGE = {
        "critical": "red_critical",      # any critical item
        "positive": "yellow",            # any positive screen not listed below
        "severity": {"mild": "yellow"},  # by band severity: none, mild, moderate, severe
        "positives": {"K6.distress": "red"},  # one positive screen, as CODE.key
    }

An invalid result is not escalated for being invalid (the submission code refuses
incomplete answers), but its reason says so, and whatever could be evaluated — a
critical item answered, a score whose items are all there — still counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from carecircle.screening.instruments.errors import InstrumentError
from carecircle.screening.instruments.model import SEVERITIES

LEVELS = ("green", "yellow", "red", "red_critical")
"""Triage levels, lowest first."""

DEFAULT_TRIAGE: Mapping[str, Any] = {
    "critical": "red_critical",
    "positive": "yellow",
    "severity": {"none": "green", "mild": "green", "moderate": "yellow", "severe": "red"},
    "positives": {"ASQ.positive": "red_critical", "ASQ.acute": "red_critical"},
}


@dataclass(frozen=True)
class Finding:
    """Something a result says that triage weighs: a critical item, a screen, a band.

    ``explain`` writes the reason when someone reads it: re-scoring stored responses
    needs the levels, and formatting every sentence cost most of its time.
    """

    kind: str  # "critical" | "positive" | "band" | "invalid"
    key: str
    explain: Callable[[], str]
    severity: str | None = None

    @property
    def reason(self) -> str:
        return self.explain()


@dataclass(frozen=True)
class Triage:
    level: str
    findings: tuple[Finding, ...] = ()  # highest level first

    @cached_property
    def reasons(self) -> list[str]:
        return [f.reason for f in self.findings] or [
            _("No critical item, positive screen or score band.")
        ]

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class TriageMapping:
    critical: str
    positive: str
    severity: Mapping[str, str]
    positives: Mapping[str, str]

    def level_of(self, code: str, finding: Finding) -> str:
        if finding.kind == "critical":
            return self.critical
        if finding.kind == "positive":
            return self.positives.get(f"{code}.{finding.key}", self.positive)
        if finding.kind == "band" and finding.severity is not None:
            return self.severity[finding.severity]
        return LEVELS[0]


_mapping: TriageMapping | None = None


@receiver(setting_changed)
def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    global _mapping  # dropped when the setting changes (override_settings in tests)
    if setting == "CARECIRCLE_TRIAGE":
        _mapping = None


def triage_mapping() -> TriageMapping:
    """The default mapping with the deployment's ``CARECIRCLE_TRIAGE`` merged over it."""
    global _mapping  # computed once per process
    if _mapping is None:
        _mapping = _build(getattr(settings, "CARECIRCLE_TRIAGE", None) or {})
    return _mapping


def _build(override: Any) -> TriageMapping:
    where = "setting CARECIRCLE_TRIAGE"
    if not isinstance(override, Mapping):
        raise InstrumentError(f"{where} must be a mapping, not {type(override).__name__}.")
    unknown = set(override) - set(DEFAULT_TRIAGE)
    if unknown:
        raise InstrumentError(
            f"{where}: unknown keys {sorted(unknown)}; known: {list(DEFAULT_TRIAGE)}."
        )
    merged = {
        **DEFAULT_TRIAGE,
        **{k: v for k, v in override.items() if k in ("critical", "positive")},
    }
    for key in ("severity", "positives"):
        extra = override.get(key, {})
        if not isinstance(extra, Mapping):
            raise InstrumentError(f"{where}: {key} must be a mapping.")
        merged[key] = {**DEFAULT_TRIAGE[key], **extra}
    bad_severity = set(override.get("severity", {})) - set(SEVERITIES)
    if bad_severity:
        raise InstrumentError(f"{where}: severity has unknown keys {sorted(bad_severity)}.")
    levels = [merged["critical"], merged["positive"], *merged["severity"].values()]
    levels += list(merged["positives"].values())
    for level in levels:
        if level not in LEVELS:
            raise InstrumentError(f"{where}: {level!r} is not a level; levels: {list(LEVELS)}.")
    _check_positive_keys(override.get("positives", {}), where)
    return TriageMapping(
        critical=merged["critical"],
        positive=merged["positive"],
        severity=merged["severity"],
        positives=merged["positives"],
    )


def _check_positive_keys(keys: Mapping[str, Any], where: str) -> None:
    from carecircle.screening.instruments.loader import registry  # the loader imports no triage

    instruments = registry()
    for name in keys:
        code, _dot, key = str(name).partition(".")
        inst = instruments.get(code)
        if inst is None or all(s.key != key for s in inst.positive):
            raise InstrumentError(f"{where}: positives: {name!r} names no positive screen.")


def decide(code: str, findings: Sequence[Finding]) -> Triage:
    """The level of a result and its reasons, highest level first."""
    mapping = triage_mapping()
    ranked = [(LEVELS.index(mapping.level_of(code, f)), f) for f in findings]
    level = max((rank for rank, f in ranked if f.kind != "invalid"), default=0)
    ranked.sort(key=lambda rf: (-rf[0], rf[1].kind == "invalid"))
    return Triage(level=LEVELS[level], findings=tuple(f for _rank, f in ranked))


def critical_reason(label: str, rule: str, evidence: str) -> str:
    return _("Critical item: %(label)s (%(rule)s; %(evidence)s).") % {
        "label": label,
        "rule": rule,
        "evidence": evidence,
    }


def positive_reason(label: str, rule: str, evidence: str) -> str:
    return _("Positive screen: %(label)s (%(rule)s; %(evidence)s).") % {
        "label": label,
        "rule": rule,
        "evidence": evidence,
    }


def band_reason(label: str, score: str, value: str) -> str:
    return _("Score band: %(label)s (%(score)s = %(value)s).") % {
        "label": label,
        "score": score,
        "value": value,
    }


def invalid_reason(problems: Sequence[str]) -> str:
    return _("The result is invalid: %(problems)s") % {"problems": " ".join(problems)}
