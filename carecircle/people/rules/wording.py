"""The words of the reasons and notes, translated once per phrase during a bulk refresh.

Every sentence the rules write about a parent, an age or a missing fact is
built here, so that ``national`` and ``difficulty`` only say which facts count.
Reasons are data stored with the membership: keep the phrases stable, each
msgid is a key of the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from enum import Enum
from typing import Any

from django.utils.translation import gettext, pgettext

from carecircle.people.models import DisabilityType, Guardian
from carecircle.people.rules.facts import (
    DEPRIVED_OF_LIBERTY,
    WORKING_AWAY,
    Facts,
    ParentFacts,
    State,
    Words,
    age_on,
)

_STATES = frozenset(State.values)
_DISABILITY_TYPES = frozenset(DisabilityType.values)


# --- Translations -------------------------------------------------------------------
# A bulk refresh words tens of thousands of reasons from the same few phrases; inside
# ``one_language`` each phrase is translated once (Django's lookup costs microseconds).
_MEMO: ContextVar[dict[Any, str] | None] = ContextVar("people_rules_memo", default=None)


def _(message: str) -> str:
    memo = _MEMO.get()
    if memo is None:
        return gettext(message)
    found = memo.get(message)
    if found is None:
        found = memo[message] = gettext(message)
    return found


def _label(choice: Enum) -> str:
    """The translated label of a choice (``TextChoices`` / ``IntegerChoices`` member)."""
    memo = _MEMO.get()
    key = (type(choice).__name__, choice.value)
    if memo is not None and key in memo:
        return memo[key]
    text = str(getattr(choice, "label", choice.value))
    if memo is not None:
        memo[key] = text
    return text


@contextmanager
def one_language() -> Iterator[None]:
    """Within the block the active language stays the same: translate each phrase once."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


# --- Wording ----------------------------------------------------------------------------


def _who(parent: ParentFacts) -> str:
    memo = _MEMO.get()
    key = ("parent", parent.relation == Guardian.Relation.FATHER)
    if memo is not None and key in memo:
        return memo[key]
    if parent.relation == Guardian.Relation.FATHER:
        text = pgettext("parent", "father")
    else:
        text = pgettext("parent", "mother")
    if memo is not None:
        memo[key] = text
    return text


def _who_relation(relation: str) -> str:
    return _who(ParentFacts(relation=relation))


def _disability_words(kind: str, grade: int | None) -> str:
    label = _label(DisabilityType(kind)) if kind in _DISABILITY_TYPES else ""
    if grade is None:
        return str(label) or _("grade not recorded")
    if label:
        return _("%(type)s, grade %(grade)d") % {"type": label, "grade": grade}
    return _("grade %(grade)d") % {"grade": grade}


def describe_parent(parent: ParentFacts | None, relation: str = "") -> str:
    """One clause stating a parent's situation, with the dates the rules read."""
    if parent is None:
        return _("%(who)s: not recorded") % {"who": _who_relation(relation)}
    who, since = _who(parent), parent.state_since.isoformat() if parent.state_since else ""
    state = parent.state
    if state == WORKING_AWAY:
        if since and parent.work_place:
            text = _("%(who)s has worked in %(place)s since %(since)s")
        elif since:
            text = _("%(who)s has worked away since %(since)s")
        elif parent.work_place:
            text = _("%(who)s works in %(place)s (since when is not recorded)")
        else:
            text = _("%(who)s works away (since when is not recorded)")
        text = text % {"who": who, "place": parent.work_place, "since": since}
        if parent.cross_county is True:
            return _("%(text)s, outside the county") % {"text": text}
        if parent.cross_county is False:
            return _("%(text)s, within the county") % {"text": text}
        return text
    if state == State.SEVERELY_DISABLED:
        return _("%(who)s is severely disabled (%(detail)s)") % {
            "who": who,
            "detail": _disability_words(parent.disability_type, parent.disability_grade),
        }
    if state == State.OUT_OF_CONTACT:
        if parent.police_report_on:
            return _("%(who)s is out of contact; the police accepted the report on %(day)s") % {
                "who": who,
                "day": parent.police_report_on.isoformat(),
            }
        return _("%(who)s is out of contact (no police report date recorded)") % {"who": who}
    if state in DEPRIVED_OF_LIBERTY:
        words = {
            State.IMPRISONED: (
                _("%(who)s has been imprisoned since %(since)s"),
                _("%(who)s is imprisoned (since when is not recorded)"),
            ),
            State.COMPULSORY_REHAB: (
                _("%(who)s has been in compulsory drug rehabilitation since %(since)s"),
                _("%(who)s is in compulsory drug rehabilitation (since when is not recorded)"),
            ),
            State.RESTRICTED: (
                _("%(who)s has been deprived of liberty since %(since)s"),
                _("%(who)s is deprived of liberty (since when is not recorded)"),
            ),
        }[State(state)]
        return (words[0] if since else words[1]) % {"who": who, "since": since}
    if state not in _STATES:
        return _("%(who)s: not recorded") % {"who": who}
    simple = {
        State.AT_HOME: _("%(who)s is at home"),
        State.DEAD: _("%(who)s has died"),
        State.DECLARED_DEAD: _("%(who)s was declared dead by a court"),
        State.DECLARED_MISSING: _("%(who)s was declared missing by a court"),
        State.SERIOUSLY_ILL: _("%(who)s is seriously ill"),
        State.GUARDIANSHIP_REVOKED: _("%(who)s had guardianship revoked by a court"),
        State.DEPORTED: _("%(who)s was deported"),
    }
    return simple.get(State(state), _("%(who)s is at home")) % {"who": who}


def _parents_words(facts: Facts) -> str:
    return _("%(father)s; %(mother)s") % {
        "father": describe_parent(facts.father, Guardian.Relation.FATHER),
        "mother": describe_parent(facts.mother, Guardian.Relation.MOTHER),
    }


def _age_words(facts: Facts, limit: int, day: date) -> str:
    if facts.birth_date > day:
        return _("under %(limit)d (born after the cut-off date %(day)s)") % {
            "limit": limit,
            "day": day.isoformat(),
        }
    return _("under %(limit)d (aged %(age)d on %(day)s)") % {
        "limit": limit,
        "age": age_on(facts.birth_date, day),
        "day": day.isoformat(),
    }


# --- Words produced only when used (see ``Judgement``) ------------------------------


def _separator() -> str:
    memo = _MEMO.get()
    if memo is not None and "separator" in memo:
        return memo["separator"]
    text = pgettext("list separator", "; ")
    if memo is not None:
        memo["separator"] = text
    return text


def _constant(text: str) -> Words:
    return lambda: text


def _parent_words(parent: ParentFacts) -> Words:
    return lambda: describe_parent(parent)


def _not_recorded(relation: str) -> Words:
    return lambda: _("%(who)s is not recorded") % {"who": _who_relation(relation)}
