"""The national categories: left behind, migrant, orphan and de-facto unsupported.

Each is a test on the child's parents or hukou (see the package docstring for
the texts and the readings chosen). The parent tests are public because the
ending of a membership and the tests name them; ``_Context`` carries one
evaluation's facts, settings and results, and ``_pair_rule`` matches the pair
of parents the way 13号文 and 62号文 state their conditions. ``difficulty``
builds on the orphan and de-facto results kept in the context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from carecircle.people.models import Category, DisabilityType, Guardian, Minor
from carecircle.people.rules.facts import (
    ADULT_AGE,
    DEAD_STATES,
    DEPRIVED_OF_LIBERTY,
    LOST_STATES,
    NO,
    UNABLE_STATES,
    WORKING_AWAY,
    Derived,
    Evaluation,
    Facts,
    Judgement,
    ParentFacts,
    RuleSettings,
    State,
    Words,
    add_months,
    age_on,
    birthday,
)
from carecircle.people.rules.wording import (
    _,
    _age_words,
    _not_recorded,
    _parent_words,
    _parents_words,
    _separator,
    _who,
)

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
