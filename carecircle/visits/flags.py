"""Guardianship risk flags a visitor may set for a child seen on a visit (DOMAIN.md §2, §3.2, §9.2).

Each flag names the rule it comes from. Setting any flag tells the child
supervisors over the child's village at once (through the outbox). The flags the
law makes reportable — situations in which a 儿童主任, a village committee or a
social worker must report to the police immediately (未保法 art. 11; the
9-department mandatory-reporting opinion of 2020; the 儿童主任 duty of 民发〔2019〕34号
to report a child living alone outside guardianship or missing) — also open a
"report to the police" task for the visitor and tell the protection centre.

Age-bound flags apply only to children of that age on the day of the visit
(未保法 art. 21): a child of 8 "left unattended" is not the art. 21 case, and the
form should not offer it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskFlag(models.TextChoices):
    UNDER_8_UNATTENDED = "under_8_unattended", _("Child under 8 left unattended")
    UNDER_16_ALONE = "under_16_alone", _("Child under 16 living alone without a guardian")
    NO_PARENT_CONTACT = "no_parent_contact", _("No contact with the parents for over a week")
    NO_ENTRUSTED_GUARDIAN = (
        "no_entrusted_guardian",
        _("Parents away without an entrusted guardian or a signed confirmation"),
    )
    ABANDONED = "abandoned", _("Abandoned or long left without care")
    MISSING = "missing", _("Child missing")
    INJURY_OR_ABUSE = "injury_or_abuse", _("Injuries, severe malnutrition or suspected abuse")
    SEXUAL_HARM = "sexual_harm", _("Suspected sexual harm, pregnancy or abortion")
    BEGGING = "begging", _("Organised begging")
    OTHER_DANGER = "other_danger", _("Other serious harm or imminent danger")


@dataclass(frozen=True)
class FlagRule:
    reportable: bool
    under_age: int | None = None  # the flag applies only below this age
    basis: str = ""


RULES: dict[str, FlagRule] = {
    RiskFlag.UNDER_8_UNATTENDED: FlagRule(False, 8, "未保法 art. 21"),
    RiskFlag.UNDER_16_ALONE: FlagRule(True, 16, "未保法 art. 21; 民发〔2019〕34号"),
    RiskFlag.NO_PARENT_CONTACT: FlagRule(False, None, "未保法 art. 23"),
    RiskFlag.NO_ENTRUSTED_GUARDIAN: FlagRule(False, None, "未保法 art. 22; DOMAIN.md §9.2"),
    RiskFlag.ABANDONED: FlagRule(True, None, "强制报告意见 item 6"),
    RiskFlag.MISSING: FlagRule(True, None, "强制报告意见 item 7; 民发〔2019〕34号"),
    RiskFlag.INJURY_OR_ABUSE: FlagRule(True, None, "强制报告意见 item 4"),
    RiskFlag.SEXUAL_HARM: FlagRule(True, None, "强制报告意见 items 1-3"),
    RiskFlag.BEGGING: FlagRule(True, None, "强制报告意见 item 8"),
    RiskFlag.OTHER_DANGER: FlagRule(True, None, "强制报告意见 item 9"),
}

REPORTABLE = frozenset(flag for flag, rule in RULES.items() if rule.reportable)


def applicable(age: int) -> list[str]:
    """The flags a form offers for a child of ``age`` on the day of the visit."""
    return [flag for flag, rule in RULES.items() if rule.under_age is None or age < rule.under_age]
