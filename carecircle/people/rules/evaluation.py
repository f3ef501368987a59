"""The entry points: which categories apply on a day, and why one no longer does.

``evaluate_with_notes`` runs the categories in their order (orphan before
de-facto unsupported, which it excludes; the national ones before the 困境儿童
sub-types that read them). ``ending`` words the end of a membership for
``categories``, naming the fact that changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from carecircle.people.models import Category, Household, Minor
from carecircle.people.rules.difficulty import _difficulty
from carecircle.people.rules.facts import (
    ADULT_AGE,
    LEFT_BEHIND,
    Derived,
    Evaluation,
    Facts,
    RuleSettings,
    age_on,
    birthday,
)
from carecircle.people.rules.national import (
    _Context,
    _de_facto,
    _left_behind,
    _migrant,
    _orphan,
)
from carecircle.people.rules.wording import _, _parents_words


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
