"""困境儿童: the local sub-types of a rule version, their predicates and validation.

A rule version lists its sub-types (code, name, statistical bucket, ``when``);
``when`` names one entry of ``PREDICATES``, the only conditions a district may
choose from, so that a sub-type is data while its test stays reviewed code.
``validate_subtypes`` checks a list before it is saved; ``_difficulty`` derives
one membership per matching sub-type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from carecircle.people.models import Category, Household, Minor
from carecircle.people.rules.facts import (
    ADULT_AGE,
    BUCKETS,
    NO,
    Derived,
    Facts,
    Judgement,
    Words,
)
from carecircle.people.rules.national import _Context, severe_disability
from carecircle.people.rules.wording import _, _age_words, _constant, _disability_words, _label

_SUBTYPE_CODE = re.compile(r"^[a-z0-9_-]{1,32}$")


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
