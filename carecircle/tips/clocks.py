"""The time limits of a tip, by urgency (DOMAIN.md §4.1, §9.3; issue 6 item 3).

A limit is written ``"<n><unit>"``: ``m`` minutes and ``h`` hours of wall-clock time
(a report of a child in danger does not wait for Monday), ``wd`` working days on
the statutory calendar (``workdays.calendar``), where ``0wd`` is the end of the day
received ("handled the same day"). Defaults, overridable as a whole per
deployment with ``CARECIRCLE_TIP_CLOCKS`` (JSON, keyed by urgency name):

============  ===============  ==============  ============================
urgency       acknowledge      first contact   close
============  ===============  ==============  ============================
emergency     15 minutes       1 hour          the same day (110/120 at once)
urgent        1 hour           4 hours         2 working days
general       4 hours          1 working day   5 working days
============  ===============  ==============  ============================

A general tip found complex may be extended, with approval, to
``CARECIRCLE_TIP_COMPLEX_WORKDAYS`` (15) working days from its receipt. An agency
acknowledges a dispatch within ``CARECIRCLE_TIP_DISPATCH_ACK`` (``1wd``); the
follow-up call is due the working day after closure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from carecircle.tips.models import Urgency
from carecircle.workdays.calendar import workdays_deadline

DEFAULT_CLOCKS: dict[str, dict[str, str]] = {
    "emergency": {"ack": "15m", "contact": "1h", "close": "0wd"},
    "urgent": {"ack": "1h", "contact": "4h", "close": "2wd"},
    "general": {"ack": "4h", "contact": "1wd", "close": "5wd"},
}
_LIMIT = re.compile(r"^(\d{1,4})(m|h|wd)$")


@dataclass(frozen=True)
class Clocks:
    ack: datetime
    contact: datetime
    close: datetime


def parse_limit(text: str) -> tuple[int, str]:
    match = _LIMIT.match(str(text).strip())
    if not match:
        raise ValueError(f"a time limit is written like 15m, 4h or 5wd, not {text!r}")
    return int(match.group(1)), match.group(2)


def after(start: datetime, limit: str) -> datetime:
    amount, unit = parse_limit(limit)
    if unit == "m":
        return start + timedelta(minutes=amount)
    if unit == "h":
        return start + timedelta(hours=amount)
    return workdays_deadline(start, amount)


def table() -> dict[str, dict[str, str]]:
    configured: Any = getattr(settings, "CARECIRCLE_TIP_CLOCKS", None)
    if isinstance(configured, str) and configured.strip():
        configured = json.loads(configured)
    clocks = configured or DEFAULT_CLOCKS
    for name in ("emergency", "urgent", "general"):
        for step in ("ack", "contact", "close"):
            parse_limit(clocks[name][step])
    return clocks


def _name(urgency: int) -> str:
    return Urgency(urgency).name.lower()


def limits(urgency: int) -> dict[str, str]:
    return table()[_name(urgency)]


def clocks_for(urgency: int, received_at: datetime) -> Clocks:
    row = limits(urgency)
    return Clocks(
        ack=after(received_at, row["ack"]),
        contact=after(received_at, row["contact"]),
        close=after(received_at, row["close"]),
    )


def complex_due(received_at: datetime) -> datetime:
    days = int(getattr(settings, "CARECIRCLE_TIP_COMPLEX_WORKDAYS", 15))
    return workdays_deadline(received_at, days)


def dispatch_ack_due(dispatched_at: datetime) -> datetime:
    return after(dispatched_at, str(getattr(settings, "CARECIRCLE_TIP_DISPATCH_ACK", "1wd")))


def followup_due(closed_at: datetime) -> datetime:
    return workdays_deadline(closed_at, 1)
