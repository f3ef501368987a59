"""Notes, hand-offs to 110/120, the police report, closing, the follow-up call (回访)
and reopening."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.tips import clocks
from carecircle.tips.handling.common import (
    clean_reason,
    live_dispatch,
    lock,
    require_desk,
    require_handle,
    require_open,
    required_text,
    save_fields,
)
from carecircle.tips.models import (
    HandoffLine,
    Outcome,
    Satisfaction,
    Status,
    Tip,
    TipEvent,
)
from carecircle.tips.services import audit, event, notify_desk


@transaction.atomic
def tip_add_note(*, actor: User, tip: Tip, text: str) -> TipEvent:
    """A staff note: encrypted, never shown to the reporter."""
    tip = lock(tip)
    require_handle(actor, tip)
    text = required_text(text, field="text", message=_("Write the note."))
    note = event(tip, TipEvent.Kind.NOTE, actor=actor, text=text)
    audit(actor, AuditEvent.Action.UPDATE, tip, step="note")
    return note


@transaction.atomic
def tip_record_handoff(*, actor: User, tip: Tip, line: str, note: str = "") -> TipEvent:
    """The report handed to 110, 119, 120, 12356 or 12355 (an emergency: at once), with
    the time it was done, so that "received → handed over" can be audited."""
    tip = lock(tip)
    require_handle(actor, tip)
    if tip.status == Status.MERGED:
        raise ValidationError(_("This report was merged into another; handle that one."))
    if line not in HandoffLine.values:
        raise ValidationError({"line": _("Choose the line the report was handed to.")})
    handed = event(
        tip, TipEvent.Kind.HANDOFF, actor=actor, text=note.strip(), details={"line": line}
    )
    audit(actor, AuditEvent.Action.UPDATE, tip, step="handoff", line=line)
    return handed


@transaction.atomic
def tip_record_police(
    *,
    actor: User,
    tip: Tip,
    unit: str = "",
    receipt: str = "",
    reported_at: datetime | None = None,
    reason: str = "",
) -> Tip:
    """The report to the police: the unit, its receipt number and when; or why none."""
    tip = lock(tip)
    require_handle(actor, tip)
    if tip.status == Status.MERGED:
        raise ValidationError(_("This report was merged into another; handle that one."))
    receipt, unit = receipt.strip(), unit.strip()
    if receipt:
        if not unit:
            raise ValidationError({"unit": _("Name the police unit that gave the receipt.")})
        tip.police_unit = unit
        tip.police_receipt = receipt
        tip.police_reported_at = reported_at or timezone.now()
        save_fields(tip, "police_unit", "police_receipt", "police_reported_at")
        details: dict[str, Any] = {"receipt": receipt, "unit": unit}
        text = ""
    else:
        if not reason.strip():
            raise ValidationError(_("Give the police receipt number, or write why there is none."))
        text = clean_reason(reason)
        tip.police_reason = text
        save_fields(tip, "police_reason")
        details = {"no_receipt": True}
    event(tip, TipEvent.Kind.POLICE, actor=actor, text=text, details=details)
    audit(actor, AuditEvent.Action.UPDATE, tip, step="police")
    return tip


@transaction.atomic
def tip_close(*, actor: User, tip: Tip, outcome: str, note: str) -> Tip:
    """Close with an outcome; a report the police must have (``Tip.needs_police``)
    needs their receipt number or a written reason."""
    tip = lock(tip)
    require_handle(actor, tip)
    require_open(tip)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    note = required_text(note, field="note", message=_("Write what was done."))
    if tip.status == Status.RECEIVED:
        raise ValidationError(_("Acknowledge the report before closing it."))
    if tip.needs_police and not tip.police_done:
        raise ValidationError(
            _(
                "This report must be reported to the police: it cannot be closed without "
                "the police receipt number or a written reason why there is none."
            )
        )
    if live_dispatch(tip) is not None:
        raise ValidationError(
            _("The dispatch must be reported done or withdrawn before the report is closed.")
        )
    tip.status = Status.CLOSED
    tip.outcome = outcome
    tip.outcome_note = note
    tip.closed_at = timezone.now()
    save_fields(tip, "status", "outcome", "outcome_note", "closed_at")
    event(tip, TipEvent.Kind.CLOSED, actor=actor, details={"outcome": outcome}, public=True)
    audit(actor, AuditEvent.Action.UPDATE, tip, step="close", outcome=outcome)
    return tip


def _reopen(actor: User, tip: Tip, reason: str) -> None:
    now = timezone.now()
    tip.status = Status.IN_PROGRESS
    tip.reopened += 1
    tip.closed_at = None
    tip.outcome = ""
    tip.close_due = clocks.after(now, clocks.limits(tip.urgency)["close"])
    tip.escalated = [step for step in tip.escalated if step != "close"]
    save_fields(
        tip,
        "status", "reopened", "closed_at", "outcome", "close_due", "escalated",
    )  # fmt: skip
    # The public step carries no words: the reason is the staff's, kept as a note.
    event(tip, TipEvent.Kind.REOPENED, actor=actor, details={"times": tip.reopened}, public=True)
    if reason:
        event(tip, TipEvent.Kind.NOTE, actor=actor, text=reason, details={"reopen": True})
    audit(actor, AuditEvent.Action.UPDATE, tip, step="reopen", times=tip.reopened)


@transaction.atomic
def tip_record_followup(*, actor: User, tip: Tip, satisfaction: str, note: str = "") -> Tip:
    """回访: the call to the reporter after closure. A dissatisfied reporter reopens it."""
    tip = lock(tip)
    require_handle(actor, tip)
    if tip.status != Status.CLOSED or tip.closed_at is None:
        raise ValidationError(_("A follow-up call is recorded once the report is closed."))
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("Choose what the reporter said.")})
    if tip.followup_at is not None and tip.followup_at >= tip.closed_at:
        raise ValidationError(_("The follow-up call for this closure is already recorded."))
    tip.followup_at = timezone.now()
    tip.satisfaction = satisfaction
    save_fields(tip, "followup_at", "satisfaction")
    event(
        tip,
        TipEvent.Kind.FOLLOWED_UP,
        actor=actor,
        text=note.strip(),
        details={"satisfaction": satisfaction},
    )
    audit(actor, AuditEvent.Action.UPDATE, tip, step="followup", satisfaction=satisfaction)
    if satisfaction == Satisfaction.DISSATISFIED:
        _reopen(actor, tip, note.strip())
        notify_desk(tip, _("A dissatisfied reporter reopened a report"))
    return tip


@transaction.atomic
def tip_reopen(*, actor: User, tip: Tip, reason: str) -> Tip:
    """The desk reopens a closed report, with a reason."""
    tip = lock(tip)
    require_desk(actor, tip)
    reason = clean_reason(reason)
    if tip.status != Status.CLOSED:
        raise ValidationError(_("Only a closed report can be reopened."))
    _reopen(actor, tip, reason)
    return tip
