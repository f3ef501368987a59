"""Category memberships of a child, kept in step with the facts by the rules in ``rules``.

Rule-derived memberships (``source=rule``) are owned by ``categories_refresh``:
the registry's services call it after every write to a child, a guardian or a
household, and it opens what the rules now derive, closes what they no longer
derive and leaves manual memberships alone. Manual memberships are opened and
ended by a person (``category_add_manual``, ``membership_end``) with a reason.

Conventions
    - ``valid_to`` is the last day a membership applied, inclusive (as
      ``filters.open_category_q`` reads it). A category that stops applying
      because the facts changed today applied until yesterday; one that ends at a
      birthday applied until the day before. A rule membership opened today and
      no longer derived today never applied for a whole day: it is deleted, the
      audit log keeping the trace, so that a corrected typo leaves no history.
    - While a category keeps applying, its membership stays open: a new wording
      of the reason or a new rule version is written onto it (audited); a change
      of statistical bucket (an orphan's ID number recorded: B to A) closes it and
      opens another, because the bucket is counted per period.
    - A manual membership of the same category and sub-type takes precedence: the
      rules open no second one next to it.
    - A child no longer active (moved away, aged out, deceased, merged) or aged 18
      is in no category: every open membership closes, manual ones included.
    - Reasons are stored in the site language (``settings.LANGUAGE_CODE``): they
      are data, written once, whatever the language of the person who saved.
    - A new rule version is not applied synchronously: ``ruleset_create`` queues
      one re-derivation of every active child for the day the version takes
      effect (outbox topic ``people.refresh_all``, handled in ``people.jobs``).

The modules: ``rulesets`` (the version in effect, who may set one, adding one),
``refresh`` (the facts as saved, and the rule-derived memberships kept in step
with them) and ``memberships`` (the child's page, and memberships set by hand).
Import from the package: the split is not an interface.
"""

from carecircle.people.categories.memberships import (
    RECENTLY_ENDED_DAYS,
    categories_for_display,
    category_add_manual,
    decision_notes,
    membership_end,
)
from carecircle.people.categories.refresh import (
    categories_refresh,
    categories_refresh_many,
    facts_for,
)
from carecircle.people.categories.rulesets import (
    REFRESH_TOPIC,
    RULESET_FIELDS,
    can_manage_rules,
    can_view_rules,
    current_ruleset,
    ruleset_create,
)

__all__ = [
    "RECENTLY_ENDED_DAYS",
    "REFRESH_TOPIC",
    "RULESET_FIELDS",
    "can_manage_rules",
    "can_view_rules",
    "categories_for_display",
    "categories_refresh",
    "categories_refresh_many",
    "category_add_manual",
    "current_ruleset",
    "decision_notes",
    "facts_for",
    "membership_end",
    "ruleset_create",
]
