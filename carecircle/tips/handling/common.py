"""What every handling step shares: constants, the row lock and the checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from carecircle.accounts.models import Organisation
from carecircle.tips.models import (
    Dispatch,
    Status,
    Tip,
    Urgency,
)
from carecircle.tips.permissions import (
    LIVE_DISPATCH,
    can_handle,
    desk_covers,
)

MIN_REASON = 5
# The organisations a tip may be dispatched to.
DISPATCH_KINDS = frozenset(
    {
        Organisation.Kind.POLICE,
        Organisation.Kind.SCHOOL,
        Organisation.Kind.HOSPITAL,
        Organisation.Kind.COURT,
        Organisation.Kind.PROCURATORATE,
        Organisation.Kind.JUSTICE_BUREAU,
        Organisation.Kind.PETITION_OFFICE,
        Organisation.Kind.CIVIL_AFFAIRS,
        Organisation.Kind.EDUCATION_BUREAU,
        Organisation.Kind.SOCIAL_WORK_STATION,
        Organisation.Kind.GOVERNANCE_CENTER,
    }
)
TOWNSHIP_LENGTH = 9


def lock(tip: Tip) -> Tip:
    """The tip's row, locked until the transaction ends, as it is now."""
    return Tip.objects.select_for_update().get(pk=tip.pk)


def require_handle(actor: Any, tip: Tip) -> None:
    if not can_handle(actor, tip):
        raise PermissionDenied(_("Only the desk or the report's handler may do this."))


def require_desk(actor: Any, tip: Tip) -> None:
    if not desk_covers(actor, tip):
        raise PermissionDenied(_("Only the desk over this report's area may do this."))


def require_open(tip: Tip) -> None:
    if tip.status == Status.MERGED:
        raise ValidationError(_("This report was merged into another; handle that one."))
    if not tip.is_open:
        raise ValidationError(_("This report is closed."))


def clean_reason(text: str, *, field: str = "reason") -> str:
    cleaned = (text or "").strip()
    if len(cleaned) < MIN_REASON:
        raise ValidationError(
            {field: _("Write a reason of at least %(n)d characters.") % {"n": MIN_REASON}}
        )
    return cleaned


def required_text(text: str, *, field: str, message: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValidationError({field: message})
    return cleaned


def save_fields(tip: Tip, *fields: str) -> None:
    tip.save(update_fields=[*fields, "updated_at"])


def live_dispatch(tip: Tip) -> Dispatch | None:
    return tip.dispatches.filter(status__in=LIVE_DISPATCH).first()


def flag_floor(tip: Tip) -> int:
    """The highest level the flags (keywords, category, trigger) set; staff choices aside."""
    levels = [
        int(r.get("urgency", Urgency.GENERAL))
        for r in tip.urgency_reasons
        if isinstance(r, dict) and r.get("kind") != "staff"
    ]
    return max([int(Urgency.GENERAL), *levels])


def response_time(tip: Tip) -> datetime | None:
    """Responded: acknowledged and, where the reporter can be reached, contacted."""
    if tip.acknowledged_at is None:
        return None
    if tip.first_contact_at is not None:
        return max(tip.acknowledged_at, tip.first_contact_at)
    return None if tip.reachable else tip.acknowledged_at
