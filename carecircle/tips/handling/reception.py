"""Acknowledging, contacting the reporter, assigning a handler, urgency."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts.models import User
from carecircle.accounts.permissions import role_holders
from carecircle.audit.models import AuditEvent
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send
from carecircle.tips import clocks
from carecircle.tips.handling.common import (
    clean_reason,
    flag_floor,
    lock,
    require_desk,
    require_handle,
    require_open,
    response_time,
    save_fields,
)
from carecircle.tips.models import (
    Status,
    Tip,
    TipEvent,
    Urgency,
)
from carecircle.tips.permissions import (
    HANDLER_ROLES,
)
from carecircle.tips.services import audit, event, notify_desk, tip_link


@transaction.atomic
def tip_acknowledge(*, actor: User, tip: Tip) -> Tip:
    """签收: the desk or the handler takes the report in hand."""
    tip = lock(tip)
    require_handle(actor, tip)
    require_open(tip)
    if tip.status != Status.RECEIVED:
        raise ValidationError(_("This report is already acknowledged."))
    tip.acknowledged_at = timezone.now()
    tip.status = Status.ACKNOWLEDGED
    tip.responded_at = response_time(tip)
    save_fields(tip, "acknowledged_at", "status", "responded_at")
    event(tip, TipEvent.Kind.ACKNOWLEDGED, actor=actor, public=True)
    audit(actor, AuditEvent.Action.UPDATE, tip, step="acknowledge")
    return tip


@transaction.atomic
def tip_record_contact(*, actor: User, tip: Tip, note: str = "") -> Tip:
    """The first contact with the reporter (by phone, message or in person)."""
    tip = lock(tip)
    require_handle(actor, tip)
    require_open(tip)
    if not tip.reachable:
        raise ValidationError(_("The reporter left no way to be contacted."))
    if tip.first_contact_at is not None:
        raise ValidationError(_("The first contact is already recorded."))
    tip.first_contact_at = timezone.now()
    tip.responded_at = response_time(tip)
    save_fields(tip, "first_contact_at", "responded_at")
    event(tip, TipEvent.Kind.CONTACTED, actor=actor, text=note.strip())
    audit(actor, AuditEvent.Action.UPDATE, tip, step="contact")
    return tip


def handler_candidates(tip: Tip) -> Any:
    """Active users holding a handler role over the tip's division."""
    return role_holders(sorted(HANDLER_ROLES), tip.area_code).order_by("full_name", "pk")


@transaction.atomic
def tip_assign(*, actor: User, tip: Tip, handler: User) -> Tip:
    """Name the staff member who handles the report, and tell them."""
    tip = lock(tip)
    require_desk(actor, tip)
    require_open(tip)
    if not handler_candidates(tip).filter(pk=handler.pk).exists():
        raise ValidationError(
            {"handler": _("Choose a desk member, social worker or counselor over this area.")}
        )
    if tip.handler_id == handler.pk:
        raise ValidationError({"handler": _("This person already handles the report.")})
    before = tip.handler_id
    tip.handler = handler
    save_fields(tip, "handler")
    event(tip, TipEvent.Kind.ASSIGNED, actor=actor, details={"from": before, "to": handler.pk})
    audit(actor, AuditEvent.Action.UPDATE, tip, step="assign", handler=handler.pk)
    notification_send(
        recipients=[handler],
        title=_("A report was assigned to you"),
        body=_("Report %(number)s, %(urgency)s.")
        % {"number": tip.number, "urgency": tip.get_urgency_display()},
        link=tip_link(tip),
        level=Notification.Level.WARNING,
    )
    return tip


@transaction.atomic
def tip_set_urgency(*, actor: User, tip: Tip, urgency: int, reason: str = "") -> Tip:
    """Raise the urgency freely; lower it only with a reason, never below the flags."""
    tip = lock(tip)
    require_handle(actor, tip)
    require_open(tip)
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": _("Choose an urgency level.")})
    if urgency == tip.urgency:
        raise ValidationError({"urgency": _("The report already has this urgency.")})
    lowering = urgency < tip.urgency
    if lowering:
        reason = clean_reason(reason)
        floor = flag_floor(tip)
        if urgency < floor:
            raise ValidationError(
                {
                    "urgency": _(
                        "The words and situation flagged in this report keep it at "
                        "%(level)s at least: flags never lower it."
                    )
                    % {"level": Urgency(floor).label}
                }
            )
    due = clocks.clocks_for(urgency, tip.received_at)
    before = tip.urgency
    tip.urgency = urgency
    tip.urgency_reasons = [
        *tip.urgency_reasons,
        {"kind": "staff", "term": reason.strip()[:200], "urgency": int(urgency)},
    ]
    if lowering:
        tip.ack_due, tip.contact_due = due.ack, due.contact
        if not tip.extended:
            tip.close_due = due.close
    else:
        tip.ack_due = min(tip.ack_due, due.ack)
        tip.contact_due = min(tip.contact_due, due.contact)
        if not tip.extended:
            tip.close_due = min(tip.close_due, due.close)
    save_fields(tip, "urgency", "urgency_reasons", "ack_due", "contact_due", "close_due")
    event(
        tip,
        TipEvent.Kind.URGENCY,
        actor=actor,
        text=reason.strip(),
        details={"from": before, "to": int(urgency)},
    )
    audit(actor, AuditEvent.Action.UPDATE, tip, step="urgency", before=before, after=urgency)
    if urgency == Urgency.EMERGENCY:
        notify_desk(tip, _("A report became an emergency"), level=Notification.Level.URGENT)
    return tip
