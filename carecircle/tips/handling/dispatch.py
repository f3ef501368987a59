"""Dispatching to an agency or a township (派单), and the answers: acknowledgement (签收),
sending back (退单) and the result; withdrawal and re-dispatch (改派) by the desk."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.permissions import role_holders
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send
from carecircle.regions.codes import Level
from carecircle.regions.models import Division
from carecircle.tips import clocks
from carecircle.tips.handling.common import (
    DISPATCH_KINDS,
    TOWNSHIP_LENGTH,
    clean_reason,
    live_dispatch,
    lock,
    require_desk,
    require_open,
    required_text,
    save_fields,
)
from carecircle.tips.models import (
    Dispatch,
    Status,
    Tip,
    TipEvent,
)
from carecircle.tips.permissions import (
    desk_prefixes,
    live_dispatch_for,
)
from carecircle.tips.services import audit, event, notify_desk, tip_link


def dispatch_organisations(actor: Any, tip: Tip) -> Any:
    """Agencies a desk member may dispatch ``tip`` to: active, of a dispatchable kind,
    within the desk's area or over the tip's own division (a city-level bureau)."""
    over_tip = [tip.area_code[:n] for n in range(2, len(tip.area_code) + 1)]
    q = perms.prefix_q("division__prefix", desk_prefixes(actor))
    where = Q(division__prefix__in=over_tip) if q is None else q | Q(division__prefix__in=over_tip)
    return (
        Organisation.objects.filter(where, is_active=True, kind__in=sorted(DISPATCH_KINDS))
        .select_related("division")
        .order_by("kind", "name")
    )


def dispatch_townships(tip: Tip) -> Any:
    """The townships of the tip's county."""
    county = tip.area_code[:6]
    return Division.objects.filter(
        prefix__startswith=county, level=Level.TOWNSHIP, is_active=True
    ).order_by("prefix")


def _township_ok(tip: Tip, code: str) -> bool:
    return (
        len(code) == TOWNSHIP_LENGTH
        and code.isdigit()
        and dispatch_townships(tip).filter(prefix=code).exists()
    )


def _dispatch_recipients(dispatch: Dispatch) -> list[int]:
    if dispatch.organisation_id is not None:
        held = RoleAssignment.objects.active().filter(organisation_id=dispatch.organisation_id)
        return list(
            User.objects.filter(is_active=True, pk__in=held.values("user_id")).values_list(
                "pk", flat=True
            )
        )
    return list(
        role_holders([Role.CHILD_SUPERVISOR], dispatch.area_code).values_list("pk", flat=True)
    )


def _create_dispatch(
    actor: User,
    tip: Tip,
    organisation: Organisation | None,
    township: str,
    instructions: str,
) -> Dispatch:
    township = (township or "").strip()
    if (organisation is None) == (not township):
        raise ValidationError(_("Choose either an agency or a township, not both."))
    if (
        organisation is not None
        and not dispatch_organisations(actor, tip).filter(pk=organisation.pk).exists()
    ):
        raise ValidationError({"organisation": _("This agency is not one you may dispatch to.")})
    if township and not _township_ok(tip, township):
        raise ValidationError(
            {"township": _("Choose a township of the county where this happened.")}
        )
    now = timezone.now()
    dispatch = Dispatch.objects.create(
        tip=tip,
        organisation=organisation,
        area_code=township,
        instructions=instructions.strip(),
        dispatched_by=actor,
        ack_due=clocks.dispatch_ack_due(now),
    )
    tip.status = Status.DISPATCHED
    save_fields(tip, "status")
    event(
        tip, TipEvent.Kind.DISPATCHED, actor=actor, details={"dispatch": dispatch.pk}, public=True
    )
    audit(actor, AuditEvent.Action.UPDATE, tip, step="dispatch", dispatch=dispatch.pk)
    notification_send(
        recipients=_dispatch_recipients(dispatch),
        title=_("A report was dispatched to you"),
        body=_("Report %(number)s, %(urgency)s. Please acknowledge it.")
        % {"number": tip.number, "urgency": tip.get_urgency_display()},
        link=tip_link(tip),
        level=Notification.Level.WARNING,
    )
    return dispatch


def _hand_back(actor: User, tip: Tip, dispatch: Dispatch, reason: str, *, status: str) -> None:
    """The dispatch ends with a reason (sent back by the agency, or withdrawn by the
    desk) and the report is the desk's again."""
    dispatch.status = status
    dispatch.answer = reason
    dispatch.answered_at = timezone.now()
    dispatch.save(update_fields=["status", "answer", "answered_at"])
    tip.status = Status.ACKNOWLEDGED
    save_fields(tip, "status")
    withdrawn = status == Dispatch.Status.WITHDRAWN
    event(
        tip,
        TipEvent.Kind.DISPATCH_RETURNED,
        actor=actor,
        text=reason,
        details={"dispatch": dispatch.pk, **({"withdrawn": True} if withdrawn else {})},
    )
    step = "withdraw" if withdrawn else "dispatch_return"
    audit(actor, AuditEvent.Action.UPDATE, tip, step=step, dispatch=dispatch.pk)


def _withdraw(actor: User, tip: Tip, live: Dispatch, reason: str) -> None:
    _hand_back(actor, tip, live, reason, status=Dispatch.Status.WITHDRAWN)
    notification_send(
        recipients=_dispatch_recipients(live),
        title=_("A report dispatched to you was withdrawn"),
        body=_("Report %(number)s.") % {"number": tip.number},
        level=Notification.Level.INFO,
    )


def _require_dispatchable(actor: User, tip: Tip) -> None:
    require_desk(actor, tip)
    require_open(tip)
    if tip.status == Status.RECEIVED:
        raise ValidationError(_("Acknowledge the report before dispatching it."))


@transaction.atomic
def tip_dispatch(
    *,
    actor: User,
    tip: Tip,
    organisation: Organisation | None = None,
    township: str = "",
    instructions: str = "",
) -> Dispatch:
    """派单: hand the report to an agency or a township, which acknowledges it."""
    tip = lock(tip)
    _require_dispatchable(actor, tip)
    if live_dispatch(tip) is not None:
        raise ValidationError(
            _("The report is already dispatched; withdraw that dispatch with a reason first.")
        )
    return _create_dispatch(actor, tip, organisation, township, instructions)


@transaction.atomic
def tip_dispatch_withdraw(*, actor: User, tip: Tip, reason: str) -> Dispatch:
    """The desk takes back the live dispatch, with a reason."""
    tip = lock(tip)
    require_desk(actor, tip)
    require_open(tip)
    reason = clean_reason(reason)
    live = live_dispatch(tip)
    if live is None:
        raise ValidationError(_("The report has no dispatch waiting or in hand."))
    _withdraw(actor, tip, live, reason)
    return live


@transaction.atomic
def tip_redispatch(
    *,
    actor: User,
    tip: Tip,
    reason: str,
    organisation: Organisation | None = None,
    township: str = "",
    instructions: str = "",
) -> Dispatch:
    """改派: withdraw the live dispatch with a reason and dispatch elsewhere, at once."""
    tip = lock(tip)
    _require_dispatchable(actor, tip)
    reason = clean_reason(reason)
    live = live_dispatch(tip)
    if live is None:
        raise ValidationError(_("The report has no dispatch waiting or in hand."))
    if live.organisation_id == getattr(organisation, "pk", None) and live.area_code == (
        township or ""
    ):
        raise ValidationError(_("The report is already dispatched there."))
    _withdraw(actor, tip, live, reason)
    return _create_dispatch(actor, tip, organisation, township, instructions)


def _answering(actor: User, tip: Tip) -> Dispatch:
    live = live_dispatch_for(actor, tip)
    if live is None:
        raise PermissionDenied(_("No dispatch of this report is waiting for you."))
    return Dispatch.objects.select_for_update().get(pk=live.pk)


@transaction.atomic
def tip_dispatch_acknowledge(*, actor: User, tip: Tip) -> Dispatch:
    """签收 by the agency or township the report was dispatched to."""
    tip = lock(tip)
    dispatch = _answering(actor, tip)
    if dispatch.status != Dispatch.Status.PENDING:
        raise ValidationError(_("This dispatch is already acknowledged."))
    dispatch.status = Dispatch.Status.ACKNOWLEDGED
    dispatch.acknowledged_by = actor
    dispatch.acknowledged_at = timezone.now()
    dispatch.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    tip.status = Status.IN_PROGRESS
    save_fields(tip, "status")
    event(
        tip,
        TipEvent.Kind.DISPATCH_ACKNOWLEDGED,
        actor=actor,
        details={"dispatch": dispatch.pk},
        public=True,
    )
    audit(actor, AuditEvent.Action.UPDATE, tip, step="dispatch_ack", dispatch=dispatch.pk)
    return dispatch


@transaction.atomic
def tip_dispatch_return(*, actor: User, tip: Tip, reason: str) -> Dispatch:
    """退单: the agency sends the report back, with a reason; the desk re-dispatches."""
    tip = lock(tip)
    dispatch = _answering(actor, tip)
    _hand_back(actor, tip, dispatch, clean_reason(reason), status=Dispatch.Status.RETURNED)
    notify_desk(tip, _("A dispatched report was sent back"))
    return dispatch


@transaction.atomic
def tip_dispatch_report(*, actor: User, tip: Tip, result: str) -> Dispatch:
    """The agency reports what it did; the desk then closes the report."""
    tip = lock(tip)
    dispatch = _answering(actor, tip)
    result = required_text(result, field="result", message=_("Write what was done."))
    now = timezone.now()
    if dispatch.acknowledged_at is None:
        dispatch.acknowledged_by, dispatch.acknowledged_at = actor, now
    dispatch.status = Dispatch.Status.DONE
    dispatch.answer = result
    dispatch.answered_at = now
    dispatch.save(
        update_fields=["status", "answer", "answered_at", "acknowledged_by", "acknowledged_at"]
    )
    tip.status = Status.IN_PROGRESS
    save_fields(tip, "status")
    event(
        tip,
        TipEvent.Kind.DISPATCH_DONE,
        actor=actor,
        text=result,
        details={"dispatch": dispatch.pk},
    )
    audit(actor, AuditEvent.Action.UPDATE, tip, step="dispatch_done", dispatch=dispatch.pk)
    notify_desk(tip, _("An agency reported its result on a report"), level=Notification.Level.INFO)
    return dispatch
