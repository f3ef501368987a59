"""The category rules (DOMAIN.md §1.2-1.6, §9.2) as pure functions of a child's facts.

Nothing here touches the database: ``categories.facts_for`` gathers a ``Facts`` from
the registry and ``evaluate`` says which categories apply on a day, under one
``CategoryRuleSet`` version, each with a sentence naming the facts that make it
apply. ``evaluate_with_notes`` adds what the rules could not decide because a fact
is missing, so that the child's page can say what to record.

Decisions the national texts leave open, written down once:

Age
    Whole years (周岁) as ``Minor.age_on`` counts them: a child is 16 from the 16th
    birthday on (a 29 February birthday falls on 1 March in other years). Every
    category needs the child to be under 18 and ``Minor.status`` active.

Rural or urban (农村 / 城镇留守)
    By the hukou type when it says so (agricultural = rural, non-agricultural =
    urban); for a unified registration or none, by the residence's urban-rural
    classification code (2xx = rural); without one, by the village segment of the
    residence code (200-399 = village committee = rural).

Left behind (留守儿童, 13号文)
    Under ``left_behind_age_limit`` on ``left_behind_cutoff`` (the screening's
    reference day; the day of evaluation when empty; a child born after the
    cut-off is under any limit on it). With a cut-off the category therefore does
    not end at the 16th birthday but when a later rule version moves the cut-off,
    or at 18. Both parents working away, or one working away and the other unable
    to act as guardian (无监护能力). Working away counts from ``state_since`` on,
    once ``left_behind_min_months`` have passed (exactly that many months counts),
    and only work outside the county if ``left_behind_cross_county`` (unknown =
    cannot decide). "Unable" (``UNABLE_STATES``) is 13号文's 重病、重残 "等原因"
    read as every parent state in which the parent cannot care for the child at
    home: seriously ill, severely disabled (a recorded grade must be a severe one,
    see below), dead, declared dead or missing, imprisoned, in compulsory
    rehabilitation, otherwise deprived of liberty, out of contact, guardianship
    revoked, deported. No minimum duration applies to the parent at home: the
    duration rules of 62号文 belong to the de-facto-unsupported test.

Migrant (流动儿童, 2024)
    Under ``migrant_age_limit``; the hukou county (first 6 digits of
    ``hukou_code``) differs from the residence county; and the child has lived here
    at least ``migrant_min_months``, counted from ``Facts.resident_since``: the
    recorded day the child came to live here, or, when that is not recorded, the
    day the child was registered here (the earliest day the registry knows of). A
    child who has lived here for less time is reported as undecided.

Orphan (孤儿)
    Under 18; both parents in {dead, declared dead} x {dead, declared dead,
    declared missing}, or both declared missing. Bucket A with an ID number on
    record (有身份信息), B without.

De-facto unsupported (事实无人抚养, 62号文)
    Under 18; both parents unable to support (``incapacity``), or one dead,
    declared dead or declared missing and the other unable. Incapacity: seriously
    ill; severely disabled (if a grade is recorded: grade 1-2, or 3-4 for mental
    or intellectual disability); imprisoned, in compulsory rehabilitation or
    otherwise deprived of liberty for ``incapacity_min_months`` since
    ``state_since``; out of contact for ``out_of_contact_min_months`` since the
    police accepted the report; guardianship revoked; deported. An orphan pair is
    never also de-facto unsupported.

Children in difficulty (困境儿童)
    One membership per local sub-type of ``difficulty_subtypes`` that matches,
    each with its statistical bucket. A sub-type names one predicate of
    ``PREDICATES`` in its ``when``.

Key assistance (重点帮扶对象) is never derived: the screening sets it, by hand.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy, pgettext

from carecircle.people.models import Category, DisabilityType, Guardian, Household, Minor

ADULT_AGE = 18
State = Guardian.State
LEFT_BEHIND = (Category.RURAL_LEFT_BEHIND, Category.URBAN_LEFT_BEHIND)
WORKING_AWAY = State.WORKING_AWAY
DEAD_STATES = frozenset({State.DEAD, State.DECLARED_DEAD})
LOST_STATES = frozenset({State.DEAD, State.DECLARED_DEAD, State.DECLARED_MISSING})
# 无监护能力 for the parent left at home (see the module docstring).
UNABLE_STATES = frozenset(
    {
        State.SERIOUSLY_ILL,
        State.SEVERELY_DISABLED,
        State.DEAD,
        State.DECLARED_DEAD,
        State.DECLARED_MISSING,
        State.IMPRISONED,
        State.COMPULSORY_REHAB,
        State.RESTRICTED,
        State.OUT_OF_CONTACT,
        State.GUARDIANSHIP_REVOKED,
        State.DEPORTED,
    }
)
DEPRIVED_OF_LIBERTY = frozenset({State.IMPRISONED, State.COMPULSORY_REHAB, State.RESTRICTED})
BUCKETS = ("", "A", "B", "C")
_STATES = frozenset(State.values)
_DISABILITY_TYPES = frozenset(DisabilityType.values)
_SUBTYPE_CODE = re.compile(r"^[a-z0-9_-]{1,32}$")


class RuleSettings(Protocol):
    """The fields of ``CategoryRuleSet`` the rules read (an unsaved instance will do)."""

    @property
    def version(self) -> int: ...
    @property
    def left_behind_age_limit(self) -> int: ...
    @property
    def left_behind_cutoff(self) -> date | None: ...
    @property
    def left_behind_min_months(self) -> int: ...
    @property
    def left_behind_cross_county(self) -> bool: ...
    @property
    def migrant_age_limit(self) -> int: ...
    @property
    def migrant_min_months(self) -> int: ...
    @property
    def incapacity_min_months(self) -> int: ...
    @property
    def out_of_contact_min_months(self) -> int: ...
    @property
    def difficulty_subtypes(self) -> Any: ...


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


# --- Dates --------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, the day clamped to the month's length."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def birthday(birth: date, years: int) -> date:
    """The first day on which a child born on ``birth`` is ``years`` old."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February in a common year: the child is older on 1 March
        return date(birth.year + years, 3, 1)


def years_before(day: date, years: int) -> date:
    """The latest birth date of a child who is at least ``years`` old on ``day``."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 2, 28)


# --- Facts and results ------------------------------------------------------------------


@dataclass(frozen=True)
class ParentFacts:
    """What the rules read about the father or the mother."""

    relation: str
    state: str = State.AT_HOME
    state_since: date | None = None
    work_place: str = ""
    cross_county: bool | None = None
    police_report_on: date | None = None
    disability_type: str = ""
    disability_grade: int | None = None


@dataclass(frozen=True)
class Facts:
    """What the rules read about one child; ``None`` parents are not on record."""

    birth_date: date
    status: str = Minor.Status.ACTIVE
    has_id_number: bool = False
    hukou_type: str = ""
    hukou_code: str = ""
    area_code: str = ""
    # The residence division's 城乡分类代码 ("" when unknown).
    urban_rural: str = ""
    # Since when the child is known to live at the residence (the registration day).
    resident_since: date | None = None
    health: str = Minor.Health.HEALTHY
    disability_type: str = ""
    disability_grade: int | None = None
    guardianship_concern: bool = False
    # The household's social assistance ("" without a household).
    assistance: str = ""
    father: ParentFacts | None = None
    mother: ParentFacts | None = None


@dataclass(frozen=True)
class Derived:
    """One category that applies, and why."""

    category: str
    reason: str
    rule_version: int
    subtype: str = ""
    bucket: str = ""
    # The first day on which the child's age ends it (None: not by a birthday before 18).
    ends_on: date | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.category, self.subtype)


@dataclass
class Evaluation:
    derived: list[Derived] = field(default_factory=list)
    # What the rules could not decide, and which fact is missing.
    notes: list[str] = field(default_factory=list)


Words = Callable[[], str]


@dataclass(frozen=True)
class Judgement:
    """A test on one fact: True, False, or None when a missing fact leaves it open.

    The wording is produced only when used: most tests fail, and a bulk refresh
    runs them for every child.
    """

    ok: bool | None
    words: Words | None = None
    why: Words | None = None

    @property
    def text(self) -> str:
        return self.words() if self.words else ""

    @property
    def note(self) -> str:
        return self.why() if self.why else ""


NO = Judgement(False)


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


# --- Parent tests -------------------------------------------------------------------------


def severe_disability(kind: str, grade: int | None) -> bool:
    """重残: grade 1-2 of any type, or grade 3-4 mental or intellectual."""
    if grade is None:
        return False
    return grade <= 2 or (
        grade <= 4 and kind in (DisabilityType.MENTAL, DisabilityType.INTELLECTUAL)
    )


def _severely_disabled(parent: ParentFacts) -> bool:
    # A parent recorded as severely disabled counts unless a recorded grade says otherwise.
    return parent.disability_grade is None or severe_disability(
        parent.disability_type, parent.disability_grade
    )


def working_away(parent: ParentFacts, rules: RuleSettings, on: date) -> Judgement:
    """Does this parent's work away count for the left-behind rule on ``on``?"""
    if parent.state != WORKING_AWAY:
        return NO
    since = parent.state_since
    if since is not None and since > add_months(on, -rules.left_behind_min_months):
        return NO  # not away long enough yet
    if rules.left_behind_cross_county and parent.cross_county is False:
        return NO
    unknown_since = since is None
    unknown_county = rules.left_behind_cross_county and parent.cross_county is None
    if unknown_since or unknown_county:

        def why() -> str:
            who = _who(parent)
            missing = []
            if unknown_since:
                missing.append(_("when %(who)s left to work is not recorded") % {"who": who})
            if unknown_county:
                missing.append(
                    _("whether %(who)s works outside the county is not recorded") % {"who": who}
                )
            return _separator().join(missing)

        return Judgement(None, why=why)
    return Judgement(True, _parent_words(parent))


def unable_to_guard(parent: ParentFacts) -> bool:
    """无监护能力 of the parent left at home (see ``UNABLE_STATES``)."""
    if parent.state == State.SEVERELY_DISABLED:
        return _severely_disabled(parent)
    return parent.state in UNABLE_STATES


def incapacity(parent: ParentFacts, rules: RuleSettings, on: date) -> Judgement:
    """62号文's incapacity states, with their minimum durations on ``on``."""
    state = parent.state
    if state in (State.SERIOUSLY_ILL, State.GUARDIANSHIP_REVOKED, State.DEPORTED):
        return Judgement(True, _parent_words(parent))
    if state == State.SEVERELY_DISABLED:
        return Judgement(True, _parent_words(parent)) if _severely_disabled(parent) else NO
    if state in DEPRIVED_OF_LIBERTY:
        if parent.state_since is None:
            return Judgement(
                None,
                why=lambda: (
                    _("since when %(who)s is deprived of liberty is not recorded")
                    % {"who": _who(parent)}
                ),
            )
        if parent.state_since > add_months(on, -rules.incapacity_min_months):
            return NO
        return Judgement(True, _parent_words(parent))
    if state == State.OUT_OF_CONTACT:
        if parent.police_report_on is None:
            return Judgement(
                None,
                why=lambda: (
                    _("the date the police accepted the report on %(who)s is not recorded")
                    % {"who": _who(parent)}
                ),
            )
        if parent.police_report_on > add_months(on, -rules.out_of_contact_min_months):
            return NO
        return Judgement(True, _parent_words(parent))
    return NO


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


# --- The categories ---------------------------------------------------------------------


@dataclass
class _Context:
    facts: Facts
    rules: RuleSettings
    on: date
    result: Evaluation
    want_notes: bool = True
    orphan: Derived | None = None
    de_facto: Derived | None = None

    def derive(self, category: str, reason: str, **extra: Any) -> Derived:
        derived = Derived(
            category=category, reason=reason, rule_version=self.rules.version, **extra
        )
        self.result.derived.append(derived)
        return derived

    def undecided(self, what: Words, notes: Iterable[Words | None]) -> None:
        if not self.want_notes:
            return
        missing = _separator().join(text() for text in notes if text is not None)
        self.result.notes.append(
            _("Cannot decide %(what)s: %(missing)s.") % {"what": what(), "missing": missing}
        )

    @property
    def parents(self) -> tuple[tuple[str, ParentFacts | None], ...]:
        return (
            (Guardian.Relation.FATHER, self.facts.father),
            (Guardian.Relation.MOTHER, self.facts.mother),
        )

    @property
    def no_parents(self) -> bool:
        return self.facts.father is None and self.facts.mother is None

    def adult_on(self) -> date:
        return birthday(self.facts.birth_date, ADULT_AGE)


def _pair_rule(
    ctx: _Context,
    classify: Callable[[ParentFacts], tuple[str, Judgement]],
    patterns: Sequence[frozenset[str]],
    what: Words,
) -> tuple[list[tuple[str, Judgement]], bool]:
    """Classify both parents and match the pair against ``patterns`` (sets of labels).

    A parent not on record, or whose test is open, is "maybe": it could turn out
    any label. Returns the classified pair and whether it matched; when only the
    missing facts stand in the way of a match, notes what is missing.
    """
    labels: list[tuple[str, Judgement]] = []
    missing: list[Words | None] = []
    for relation, parent in ctx.parents:
        if parent is None:
            labels.append(("maybe", NO))
            missing.append(_not_recorded(relation))
            continue
        label, judgement = classify(parent)
        if label == "maybe":
            missing.append(judgement.why)
        labels.append((label, judgement))
    pair = [label for label, _judgement in labels]
    if frozenset(pair) in patterns:
        return labels, True
    if "maybe" not in pair or ctx.no_parents:
        return labels, False
    fixed = [label for label in pair if label != "maybe"]
    if any(all(label in p for label in fixed) for p in patterns):
        ctx.undecided(what, missing)
    return labels, False


def _is_rural(facts: Facts) -> tuple[bool, str]:
    if facts.hukou_type == Minor.HukouType.AGRICULTURAL:
        return True, _("rural: agricultural hukou")
    if facts.hukou_type == Minor.HukouType.NON_AGRICULTURAL:
        return False, _("urban: non-agricultural hukou")
    if facts.urban_rural:
        if facts.urban_rural.startswith("2"):
            return True, _("rural: the residence is classed %(code)s") % {"code": facts.urban_rural}
        return False, _("urban: the residence is classed %(code)s") % {"code": facts.urban_rural}
    segment = facts.area_code[9:12]
    if segment.isdigit() and 200 <= int(segment) <= 399:
        return True, _("rural: the residence is a village committee (%(segment)s)") % {
            "segment": segment
        }
    return False, _("urban: the residence is a residents' committee (%(segment)s)") % {
        "segment": segment or "-"
    }


def _left_behind(ctx: _Context) -> None:
    facts, rules = ctx.facts, ctx.rules
    day = rules.left_behind_cutoff or ctx.on
    if facts.birth_date <= day and age_on(facts.birth_date, day) >= rules.left_behind_age_limit:
        return

    def classify(parent: ParentFacts) -> tuple[str, Judgement]:
        away = working_away(parent, rules, ctx.on)
        if away.ok:
            return "away", away
        if away.ok is None:
            return "maybe", away
        if parent.state != WORKING_AWAY and unable_to_guard(parent):
            return "unable", Judgement(True, _parent_words(parent))
        return "no", NO

    pair, matched = _pair_rule(
        ctx,
        classify,
        [frozenset({"away"}), frozenset({"away", "unable"})],
        lambda: _("whether the child is left behind"),
    )
    if not matched:
        return
    (first, first_j), (second, second_j) = pair
    if first == second == "away":
        parents = _("both parents work away (%(father)s; %(mother)s)") % {
            "father": first_j.text,
            "mother": second_j.text,
        }
    else:
        away, other = (first_j, second_j) if first == "away" else (second_j, first_j)
        parents = _(
            "one parent works away and the other cannot act as guardian (%(away)s; %(other)s)"
        ) % {"away": away.text, "other": other.text}
    rural, basis = _is_rural(facts)
    reason = _("%(parents)s, %(age)s; %(residence)s") % {
        "parents": parents,
        "age": _age_words(facts, rules.left_behind_age_limit, day),
        "residence": basis,
    }
    ends = (
        None
        if rules.left_behind_cutoff
        else birthday(facts.birth_date, rules.left_behind_age_limit)
    )
    ctx.derive(
        Category.RURAL_LEFT_BEHIND if rural else Category.URBAN_LEFT_BEHIND, reason, ends_on=ends
    )


def _migrant(ctx: _Context) -> None:
    facts, rules, on = ctx.facts, ctx.rules, ctx.on
    if age_on(facts.birth_date, on) >= rules.migrant_age_limit:
        return

    def what() -> str:
        return _("whether the child is a migrant child")

    hukou, area = facts.hukou_code.strip(), facts.area_code
    if len(hukou) < 6 or not hukou[:6].isdigit() or len(area) < 6:
        ctx.undecided(what, [lambda: _("the hukou place is not recorded")])
        return
    if hukou[:6] == area[:6]:
        return
    since = facts.resident_since
    if since is None:
        ctx.undecided(what, [lambda: _("when the child came to live here is not recorded")])
        return
    if since > add_months(on, -rules.migrant_min_months):
        ctx.undecided(
            what,
            [
                lambda: (
                    _("the child has lived here only since %(day)s, less than %(months)d months")
                    % {"day": since.isoformat(), "months": rules.migrant_min_months}
                )
            ],
        )
        return
    reason = _(
        "lives outside the hukou county (hukou %(hukou)s, residence %(area)s), living "
        "here since %(since)s, at least %(months)d months, %(age)s"
    ) % {
        "hukou": hukou[:6],
        "area": area[:6],
        "since": since.isoformat(),
        "months": rules.migrant_min_months,
        "age": _age_words(facts, rules.migrant_age_limit, on),
    }
    ctx.derive(
        Category.MIGRANT, reason, ends_on=birthday(facts.birth_date, rules.migrant_age_limit)
    )


def _orphan(ctx: _Context) -> None:
    def classify(parent: ParentFacts) -> tuple[str, Judgement]:
        if parent.state in DEAD_STATES:
            return "dead", Judgement(True, _parent_words(parent))
        if parent.state == State.DECLARED_MISSING:
            return "missing", Judgement(True, _parent_words(parent))
        return "no", NO

    _pair, matched = _pair_rule(
        ctx,
        classify,
        [frozenset({"dead"}), frozenset({"dead", "missing"}), frozenset({"missing"})],
        lambda: _("whether the child is an orphan"),
    )
    if not matched:
        return
    facts = ctx.facts
    identity = (
        _("has identity information (ID number on record)")
        if facts.has_id_number
        else _("no identity information (no ID number on record)")
    )
    reason = _("lost both parents (%(parents)s), %(age)s; %(identity)s") % {
        "parents": _parents_words(facts),
        "age": _age_words(facts, ADULT_AGE, ctx.on),
        "identity": identity,
    }
    ctx.orphan = ctx.derive(
        Category.ORPHAN,
        reason,
        bucket="A" if facts.has_id_number else "B",
        ends_on=ctx.adult_on(),
    )


def _de_facto(ctx: _Context) -> None:
    if ctx.orphan is not None:
        return

    def classify(parent: ParentFacts) -> tuple[str, Judgement]:
        if parent.state in LOST_STATES:
            return "lost", Judgement(True, _parent_words(parent))
        judgement = incapacity(parent, ctx.rules, ctx.on)
        if judgement.ok:
            return "incapable", judgement
        if judgement.ok is None:
            return "maybe", judgement
        return "no", NO

    pair, matched = _pair_rule(
        ctx,
        classify,
        [frozenset({"incapable"}), frozenset({"lost", "incapable"})],
        lambda: _("whether the child is de-facto unsupported"),
    )
    if not matched:
        return
    words = (
        _("both parents cannot support the child (%(parents)s)")
        if {label for label, _judgement in pair} == {"incapable"}
        else _("one parent is dead or missing and the other cannot support the child (%(parents)s)")
    )
    facts = ctx.facts
    reason = _("%(parents)s, %(age)s") % {
        "parents": words % {"parents": _parents_words(facts)},
        "age": _age_words(facts, ADULT_AGE, ctx.on),
    }
    ctx.de_facto = ctx.derive(Category.DE_FACTO_UNSUPPORTED, reason, ends_on=ctx.adult_on())


# --- 困境儿童 sub-type predicates -------------------------------------------------------------


def _assistance(facts: Facts, *values: str) -> Judgement:
    if facts.assistance in values:
        label = Household.Assistance(facts.assistance)
        return Judgement(
            True, lambda: _("the household receives %(assistance)s") % {"assistance": _label(label)}
        )
    return NO


def _child_disabled(facts: Facts) -> Judgement:
    disabled = facts.health in (Minor.Health.DISABLED, Minor.Health.DISABLED_AND_ILL)
    if disabled or facts.disability_type or facts.disability_grade is not None:
        return Judgement(
            True,
            lambda: (
                _("the child is disabled (%(detail)s)")
                % {"detail": _disability_words(facts.disability_type, facts.disability_grade)}
            ),
        )
    return NO


def _child_severely_disabled(facts: Facts) -> Judgement:
    if facts.disability_grade is not None:
        if severe_disability(facts.disability_type, facts.disability_grade):
            return Judgement(
                True,
                lambda: (
                    _("the child is severely disabled (%(detail)s)")
                    % {"detail": _disability_words(facts.disability_type, facts.disability_grade)}
                ),
            )
        return NO
    if _child_disabled(facts).ok:
        return Judgement(None, why=lambda: _("the child's disability grade is not recorded"))
    return NO


def _child_seriously_ill(facts: Facts) -> Judgement:
    if facts.health in (Minor.Health.SERIOUS, Minor.Health.DISABLED_AND_ILL):
        return Judgement(True, lambda: _("the child is seriously ill"))
    return NO


def _from_category(derived: Derived | None, words: Words) -> Judgement:
    return Judgement(True, words) if derived is not None else NO


@dataclass(frozen=True)
class Predicate:
    label: Any  # a lazy translation
    test: Callable[[_Context], Judgement]


# The ``when`` keys a local sub-type may name. Adding one is a code change, reviewed.
PREDICATES: dict[str, Predicate] = {
    "household_dibao": Predicate(
        gettext_lazy("The household receives the minimum living allowance (低保)"),
        lambda ctx: _assistance(ctx.facts, Household.Assistance.MINIMUM_LIVING),
    ),
    "household_tekun": Predicate(
        gettext_lazy("The household receives extreme-poverty support (特困供养)"),
        lambda ctx: _assistance(ctx.facts, Household.Assistance.EXTREME_POVERTY),
    ),
    "household_low_income": Predicate(
        gettext_lazy("The household receives 低保, 特困 or marginal low-income support"),
        lambda ctx: _assistance(
            ctx.facts,
            Household.Assistance.MINIMUM_LIVING,
            Household.Assistance.EXTREME_POVERTY,
            Household.Assistance.MARGINAL,
        ),
    ),
    "household_poverty_monitored": Predicate(
        gettext_lazy("The household is monitored against falling back into poverty"),
        lambda ctx: _assistance(ctx.facts, Household.Assistance.POVERTY_ALERT),
    ),
    "child_disabled": Predicate(
        gettext_lazy("The child is disabled (any grade)"), lambda ctx: _child_disabled(ctx.facts)
    ),
    "child_severely_disabled": Predicate(
        gettext_lazy("The child is severely disabled (grade 1-2, or 3-4 mental or intellectual)"),
        lambda ctx: _child_severely_disabled(ctx.facts),
    ),
    "child_seriously_ill": Predicate(
        gettext_lazy("The child is seriously ill"), lambda ctx: _child_seriously_ill(ctx.facts)
    ),
    "de_facto_unsupported": Predicate(
        gettext_lazy("The child is de-facto unsupported"),
        lambda ctx: _from_category(ctx.de_facto, lambda: _("the child is de-facto unsupported")),
    ),
    "orphan": Predicate(
        gettext_lazy("The child is an orphan"),
        lambda ctx: _from_category(ctx.orphan, lambda: _("the child is an orphan")),
    ),
    "guardianship_concern": Predicate(
        gettext_lazy("Guardianship found absent or improper"),
        lambda ctx: (
            Judgement(True, lambda: _("guardianship was found absent or improper"))
            if ctx.facts.guardianship_concern
            else NO
        ),
    ),
}


def validate_subtypes(value: Any) -> list[dict[str, str]]:
    """The sub-type list, normalised; a ValidationError names each problem."""
    if not isinstance(value, list):
        raise ValidationError(_("The sub-types must be a list."), code="subtypes")
    problems: list[str] = []
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for number, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            problems.append(_("Sub-type %(n)d is not a record.") % {"n": number})
            continue
        code = str(item.get("code", "")).strip()
        name = str(item.get("name", "")).strip()
        bucket = str(item.get("bucket", "") or "").strip().upper()
        when = str(item.get("when", "")).strip()
        if not _SUBTYPE_CODE.match(code):
            problems.append(
                _(
                    "Sub-type %(n)d: the code must be 1 to 32 lower-case letters, digits, "
                    "“-” or “_”."
                )
                % {"n": number}
            )
        elif code in seen:
            problems.append(
                _("Sub-type %(n)d: the code %(code)s is used twice.") % {"n": number, "code": code}
            )
        seen.add(code)
        if not name or len(name) > 64:
            problems.append(
                _("Sub-type %(n)d: give a name of at most 64 characters.") % {"n": number}
            )
        if bucket not in BUCKETS:
            problems.append(
                _("Sub-type %(n)d: the bucket must be A, B, C or empty.") % {"n": number}
            )
        if when not in PREDICATES:
            problems.append(
                _("Sub-type %(n)d: “%(when)s” is not a known condition.")
                % {"n": number, "when": when[:40]}
            )
        cleaned.append({"code": code, "name": name, "bucket": bucket, "when": when})
    if problems:
        raise ValidationError(problems, code="subtypes")
    return cleaned


def _difficulty(ctx: _Context) -> None:
    for subtype in ctx.rules.difficulty_subtypes or []:
        if not isinstance(subtype, dict):
            continue
        predicate = PREDICATES.get(str(subtype.get("when", "")))
        if predicate is None:  # validated on the way in; an old row must not crash a save
            continue
        name = str(subtype.get("name", "")) or str(subtype.get("code", ""))
        judgement = predicate.test(ctx)
        if judgement.ok is None:
            if ctx.want_notes:
                what = _("the sub-type %(name)s") % {"name": name}
                ctx.undecided(_constant(what), [judgement.why])
        elif judgement.ok:
            ctx.derive(
                Category.IN_DIFFICULTY,
                _("%(name)s: %(fact)s, %(age)s")
                % {
                    "name": name,
                    "fact": judgement.text,
                    "age": _age_words(ctx.facts, ADULT_AGE, ctx.on),
                },
                subtype=str(subtype.get("code", "")),
                bucket=str(subtype.get("bucket", "") or ""),
                ends_on=ctx.adult_on(),
            )


# --- Entry points -----------------------------------------------------------------------------


def evaluate_with_notes(
    facts: Facts, rules: RuleSettings, on: date, *, notes: bool = True
) -> Evaluation:
    """The categories that apply on ``on``, and what could not be decided."""
    result = Evaluation()
    if facts.status != Minor.Status.ACTIVE or facts.birth_date > on:
        return result
    if age_on(facts.birth_date, on) >= ADULT_AGE:
        return result
    ctx = _Context(facts=facts, rules=rules, on=on, result=result, want_notes=notes)
    if ctx.no_parents and notes:
        result.notes.append(
            _(
                "No parent is recorded: cannot decide whether the child is left behind, an "
                "orphan or de-facto unsupported."
            )
        )
    _orphan(ctx)
    _de_facto(ctx)
    _left_behind(ctx)
    _migrant(ctx)
    _difficulty(ctx)
    return result


def evaluate(facts: Facts, rules: RuleSettings, on: date) -> list[Derived]:
    return evaluate_with_notes(facts, rules, on, notes=False).derived


def age_limit(category: str, rules: RuleSettings) -> int | None:
    """The birthday (in years) that ends a category before 18, if any."""
    if category in LEFT_BEHIND and rules.left_behind_cutoff is None:
        return rules.left_behind_age_limit
    if category == Category.MIGRANT:
        return rules.migrant_age_limit
    return None


def ending(
    category: str,
    subtype: str,
    facts: Facts,
    rules: RuleSettings,
    on: date,
    *,
    derived: Sequence[Derived] = (),
) -> tuple[str, date]:
    """Why a category no longer applies on ``on``, and the last day it applied."""
    yesterday = on - timedelta(days=1)
    if facts.birth_date <= on and age_on(facts.birth_date, on) >= ADULT_AGE:
        day = birthday(facts.birth_date, ADULT_AGE)
        return _("Turned %(age)d on %(day)s") % {"age": ADULT_AGE, "day": day.isoformat()}, min(
            yesterday, day - timedelta(days=1)
        )
    if facts.status != Minor.Status.ACTIVE:
        status = Minor.Status(facts.status).label if facts.status in Minor.Status.values else "-"
        return _("The child's status is now: %(status)s") % {"status": status}, yesterday
    limit = age_limit(category, rules)
    if limit is not None and age_on(facts.birth_date, on) >= limit:
        day = birthday(facts.birth_date, limit)
        return _("Turned %(age)d on %(day)s") % {"age": limit, "day": day.isoformat()}, min(
            yesterday, day - timedelta(days=1)
        )
    now = {d.category for d in derived}
    if category in LEFT_BEHIND:
        other = next((c for c in LEFT_BEHIND if c != category and c in now), None)
        if other is not None:
            return _("Now counted as: %(category)s") % {
                "category": Category(other).label
            }, yesterday
    if category in (*LEFT_BEHIND, Category.ORPHAN, Category.DE_FACTO_UNSUPPORTED):
        return _("The parents' situation no longer meets the rule: %(parents)s") % {
            "parents": _parents_words(facts)
        }, yesterday
    if category == Category.MIGRANT:
        if facts.hukou_code[:6] and facts.hukou_code[:6] == facts.area_code[:6]:
            return _("The hukou place and the residence are now in the same county"), yesterday
        return _("The hukou place or the residence changed"), yesterday
    if category == Category.IN_DIFFICULTY:
        configured = {
            str(s.get("code")): s for s in rules.difficulty_subtypes or [] if isinstance(s, Mapping)
        }
        if subtype not in configured:
            return _("Rule version %(version)d has no sub-type %(code)s") % {
                "version": rules.version,
                "code": subtype,
            }, yesterday
        when = str(configured[subtype].get("when", ""))
        if when.startswith("household_"):
            label = (
                Household.Assistance(facts.assistance).label
                if facts.assistance in Household.Assistance.values
                else _("no household recorded")
            )
            return _("The household's social assistance is now: %(assistance)s") % {
                "assistance": label
            }, yesterday
        if when in ("de_facto_unsupported", "orphan"):
            return _("The parents' situation no longer meets the rule: %(parents)s") % {
                "parents": _parents_words(facts)
            }, yesterday
        if when == "guardianship_concern":
            return _("No guardianship concern is recorded any more"), yesterday
        return _("The child's health or disability record no longer meets the rule"), yesterday
    return _("The facts no longer meet rule version %(version)d") % {
        "version": rules.version
    }, yesterday
