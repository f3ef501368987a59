"""Words in a report that raise its urgency, with the reasons shown beside the level.

A flag only ever raises the urgency: the level of a tip is the highest of what the
reporter or operator chose, the category's floor and every matched term. Matching
ignores spaces, punctuation, zero-width characters and full-width forms, so that
"自 杀" or "自-杀" is 自杀. The built-in terms are extended, or overridden term by
term, with ``CARECIRCLE_TIP_KEYWORDS`` (JSON: term → "emergency" | "urgent").
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from carecircle.tips.models import Category, Urgency

E, U = Urgency.EMERGENCY, Urgency.URGENT

DEFAULT_TERMS: dict[str, int] = {
    # Suicide and self-harm: a life may be at stake now.
    "自杀": E, "轻生": E, "割腕": E, "跳楼": E, "跳河": E, "不想活": E, "想死": E,
    "寻死": E, "服药自尽": E, "上吊": E, "自残": E, "自伤": E,
    # Sexual harm.
    "性侵": E, "猥亵": E, "强奸": E, "强暴": E, "性骚扰": U,
    # Violence and abuse.
    "殴打": U, "虐待": U, "家暴": U, "毒打": E, "打伤": U, "烫伤": U, "捆绑": E, "囚禁": E,
    # Missing, trafficked, alone.
    "离家出走": U, "失踪": E, "拐卖": E, "走失": E, "独自在家": U, "无人照顾": U,
    "没人管": U, "遗弃": E, "乞讨": U,
    # English, for reports typed on an English interface.
    "suicide": E, "kill myself": E, "self-harm": E, "rape": E, "sexual abuse": E,
    "beaten": U, "abuse": U, "missing": E, "runaway": U, "alone at home": U,
}  # fmt: skip

# A category's own floor: a self-harm report is never merely general.
CATEGORY_FLOOR: dict[str, int] = {
    Category.SELF_HARM: U,
    Category.SEXUAL_HARM: U,
    Category.ABUSE: U,
    Category.UNATTENDED: U,
}

_DROP = {"Zs", "Zl", "Zp", "Cc", "Cf", "Pd", "Po", "Ps", "Pe", "Pi", "Pf", "Pc", "Sk"}


@dataclass(frozen=True)
class Flag:
    kind: str  # "keyword" | "category"
    term: str
    urgency: int

    def as_reason(self) -> dict[str, Any]:
        return {"kind": self.kind, "term": self.term, "urgency": self.urgency}


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch) not in _DROP)


def terms() -> dict[str, int]:
    merged = dict(DEFAULT_TERMS)
    configured: Any = getattr(settings, "CARECIRCLE_TIP_KEYWORDS", None)
    if isinstance(configured, str) and configured.strip():
        configured = json.loads(configured)
    for term, level in (configured or {}).items():
        merged[str(term)] = Urgency[str(level).upper()] if isinstance(level, str) else int(level)
    return merged


def flags(text: str, category: str = "") -> list[Flag]:
    """The flags raised by ``text`` and ``category``, most urgent first."""
    haystack = normalise(text)
    found = [
        Flag("keyword", term, level)
        for term, level in terms().items()
        if normalise(term) and normalise(term) in haystack
    ]
    if category in CATEGORY_FLOOR:
        found.append(Flag("category", str(category), CATEGORY_FLOOR[category]))
    return sorted(found, key=lambda f: (-f.urgency, f.kind, f.term))


def raised(chosen: int, found: list[Flag]) -> int:
    """The urgency with the flags applied: never lower than ``chosen``."""
    return max([int(chosen), *(f.urgency for f in found)])
