"""What a referral may share with each kind of receiver: the minimum it needs
(PIPL art. 6, 31; DOMAIN.md §5).

``SHAREABLE`` lists, per kind of organisation, the items the sender may tick; the
server refuses any other. ``snapshot`` builds the shared text from the child and the
case as they stand when the referral is sent: the receiver reads that copy, never
the child's record, and a later change to the record does not reach it.

- a hospital: who the child is, the guardian to call, the current risk level and
  the assessment (what a clinician needs to see the child);
- police, procuratorate, court: who the child is, the guardian, and the facts that
  opened the case;
- the justice bureau and the petition office: the same without the school;
- a school: the child's name and class only (what is asked is in the reason);
- a social-work station: who the child is, the guardian, the risk and the facts.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from carecircle.accounts.models import Organisation
from carecircle.cases.models import Case

NAME, SEX, BIRTH_YEAR, SCHOOL_CLASS = "name", "sex", "birth_year", "school_class"
GUARDIAN, FACTS, RISK, ASSESSMENT = "guardian_contact", "case_facts", "risk", "assessment"

ITEMS: dict[str, Any] = {
    NAME: pgettext_lazy("child", "Name"),
    SEX: gettext_lazy("Sex"),
    BIRTH_YEAR: gettext_lazy("Year of birth and age"),
    SCHOOL_CLASS: gettext_lazy("School and class"),
    GUARDIAN: gettext_lazy("Guardian's name and phone"),
    FACTS: gettext_lazy("The facts that opened the case"),
    RISK: gettext_lazy("Current risk level"),
    ASSESSMENT: gettext_lazy("The assessment"),
}

K = Organisation.Kind
_WHO = (NAME, SEX, BIRTH_YEAR)
_AGENCY = (*_WHO, SCHOOL_CLASS, GUARDIAN, FACTS)
SHAREABLE: dict[str, tuple[str, ...]] = {
    K.HOSPITAL: (*_WHO, SCHOOL_CLASS, GUARDIAN, RISK, ASSESSMENT),
    K.POLICE: _AGENCY,
    K.PROCURATORATE: _AGENCY,
    K.COURT: _AGENCY,
    K.JUSTICE_BUREAU: (*_WHO, GUARDIAN, FACTS),
    K.PETITION_OFFICE: (*_WHO, GUARDIAN, FACTS),
    K.SCHOOL: (NAME, SCHOOL_CLASS),
    K.SOCIAL_WORK_STATION: (*_WHO, SCHOOL_CLASS, GUARDIAN, RISK, FACTS),
}
RECEIVER_KINDS: tuple[str, ...] = tuple(SHAREABLE)


def allowed_items(kind: str) -> tuple[str, ...]:
    return SHAREABLE.get(kind, ())


def refused_items(kind: str, items: list[str]) -> list[str]:
    """The items asked for that this kind of receiver may not have."""
    allowed = allowed_items(kind)
    return [item for item in items if item not in allowed]


def _guardians(case: Case) -> str:
    rows = []
    for guardian in case.minor.guardians.all().order_by("relation", "pk"):
        parts = [str(guardian.get_relation_display()), guardian.name, guardian.phone]
        rows.append(" ".join(p for p in parts if p))
    return "; ".join(rows)


def _value(item: str, case: Case, on: date) -> str:
    minor = case.minor
    if item == NAME:
        return minor.name
    if item == SEX:
        return str(minor.get_sex_display())
    if item == BIRTH_YEAR:
        return _("born %(year)s, aged %(age)s") % {
            "year": minor.birth_date.year,
            "age": minor.age_on(on),
        }
    if item == SCHOOL_CLASS:
        school = minor.school.name if minor.school is not None else ""
        klass = str(minor.school_class) if minor.school_class_id else ""
        return " ".join(p for p in (school, klass) if p)
    if item == GUARDIAN:
        return _guardians(case)
    if item == FACTS:
        return case.summary
    if item == RISK:
        return str(case.get_risk_display())
    if item == ASSESSMENT:
        return case.assessment
    raise KeyError(item)


def snapshot(case: Case, items: list[str], on: date) -> str:
    """The shared items' values as JSON, in the order of ``ITEMS``, written in the
    site's language (the receiver reads them as sent)."""
    with translation.override(settings.LANGUAGE_CODE):
        rows = [[item, _value(item, case, on)] for item in ITEMS if item in items]
    return json.dumps(rows, ensure_ascii=False)


def shared_rows(shared: str) -> list[dict[str, str]]:
    """The snapshot for display: each item's label (in the reader's language) and value."""
    try:
        rows = json.loads(shared or "[]")
    except ValueError:
        return []
    return [
        {"item": item, "label": str(ITEMS.get(item, item)), "value": value or "—"}
        for item, value in rows
    ]
