"""What the rules read and what they return: a child's facts, the results, the dates.

The shared vocabulary of the other modules: the parent states the rules group
(``UNABLE_STATES`` and the like, explained in the package docstring), the
``RuleSettings`` a rule version provides, the frozen ``Facts`` / ``ParentFacts``
gathered by ``categories.facts_for``, one ``Derived`` per category that applies,
and ``Judgement``, the three-valued answer of a test on one fact. Whole-year ages
and month arithmetic live here too, because every rule counts in them.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from carecircle.people.models import Category, Guardian, Minor

ADULT_AGE = 18
State = Guardian.State
LEFT_BEHIND = (Category.RURAL_LEFT_BEHIND, Category.URBAN_LEFT_BEHIND)
WORKING_AWAY = State.WORKING_AWAY
DEAD_STATES = frozenset({State.DEAD, State.DECLARED_DEAD})
LOST_STATES = frozenset({State.DEAD, State.DECLARED_DEAD, State.DECLARED_MISSING})
# 无监护能力 for the parent left at home (see the package docstring).
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
