"""What scoring returns: a ``Result`` and the ``Problem``s that make one invalid.

Kept apart from the scoring code so that callers that only store or show results
(the campaign views, the API) import the shapes without the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carecircle.screening.instruments.rules import Value
from carecircle.screening.instruments.triage import Triage

MALFORMED = frozenset({"count", "unknown_item", "value"})
"""Problems of the answer array itself, as opposed to blanks and skip logic."""


@dataclass(frozen=True)
class Problem:
    """Why a result is invalid: ``kind`` is one of count, unknown_item, value, blank,
    hidden, too_many_blanks; ``item`` the item id when one is concerned."""

    kind: str
    message: str
    item: str | None = None

    def __str__(self) -> str:
        return self.message

    @property
    def malformed(self) -> bool:
        """True when the answers themselves are wrong (the command refuses them)."""
        return self.kind in MALFORMED

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "item": self.item, "message": self.message}


@dataclass(frozen=True)
class Result:
    """One scored questionnaire. ``answers`` are the raw answers by item id (an answer
    that was not allowed is None); ``bands`` the band of every banded score, ``band``
    the total's; ``severity`` the highest band severity."""

    code: str
    version: int
    answers: dict[str, Value | None]
    total: float | None
    subscales: dict[str, float | None]
    band: str | None
    bands: dict[str, str]
    severity: str | None
    positive: list[str]
    critical: bool
    critical_items: list[str]
    valid: bool
    problems: list[Problem]
    triage: Triage

    def as_dict(self) -> dict[str, Any]:
        """What ``manage.py score`` prints; JSON-ready."""
        return {
            "code": self.code,
            "version": self.version,
            "total": self.total,
            "subscales": dict(self.subscales),
            "band": self.band,
            "severity": self.severity,
            "positive": list(self.positive),
            "critical": self.critical,
            "critical_items": list(self.critical_items),
            "valid": self.valid,
            "problems": [p.as_dict() for p in self.problems],
            "triage": self.triage.as_dict(),
        }
