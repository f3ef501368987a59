"""The category rules (DOMAIN.md §1.2-1.6, §9.2) as pure functions of a child's facts.

Nothing here touches the database: ``categories.facts_for`` gathers a ``Facts`` from
the registry and ``evaluate`` says which categories apply on a day, under one
``CategoryRuleSet`` version, each with a sentence naming the facts that make it
apply. ``evaluate_with_notes`` adds what the rules could not decide because a fact
is missing, so that the child's page can say what to record.

The modules: ``facts`` (what the rules read and return, dates), ``wording`` (the
reasons' sentences), ``national`` (left behind, migrant, orphan, de-facto
unsupported), ``difficulty`` (the local 困境儿童 sub-types) and ``evaluation``
(the entry points). Import from the package: the split is not an interface.

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

from carecircle.people.rules.difficulty import PREDICATES, Predicate, validate_subtypes
from carecircle.people.rules.evaluation import age_limit, ending, evaluate, evaluate_with_notes
from carecircle.people.rules.facts import (
    ADULT_AGE,
    BUCKETS,
    DEAD_STATES,
    DEPRIVED_OF_LIBERTY,
    LEFT_BEHIND,
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
    years_before,
)
from carecircle.people.rules.national import (
    incapacity,
    severe_disability,
    unable_to_guard,
    working_away,
)
from carecircle.people.rules.wording import describe_parent, one_language

__all__ = [
    "ADULT_AGE",
    "BUCKETS",
    "DEAD_STATES",
    "DEPRIVED_OF_LIBERTY",
    "LEFT_BEHIND",
    "LOST_STATES",
    "NO",
    "PREDICATES",
    "UNABLE_STATES",
    "WORKING_AWAY",
    "Derived",
    "Evaluation",
    "Facts",
    "Judgement",
    "ParentFacts",
    "Predicate",
    "RuleSettings",
    "State",
    "Words",
    "add_months",
    "age_limit",
    "age_on",
    "birthday",
    "describe_parent",
    "ending",
    "evaluate",
    "evaluate_with_notes",
    "incapacity",
    "one_language",
    "severe_disability",
    "unable_to_guard",
    "validate_subtypes",
    "working_away",
    "years_before",
]
