"""Handling a tip once it is in the queue (issue 6 items 4 and 5).

Every step is a ``tip_<verb>`` service: keyword-only, ``actor`` first, one
transaction that locks the tip's row (``select_for_update``) and checks the tip's
state *after* taking the lock, so a form sent twice, or two people pressing the same
button at once, changes the tip once and the second gets a clear refusal. Each step
writes a ``TipEvent`` (public only where the reporter should see it, worded for
them: never naming staff or agencies) and an audit record.

Who may do what is ``permissions.py``: the desk and the handler handle
(``can_handle``); the desk alone assigns, dispatches, decides extensions, merges
and reopens; an agency or township answers the dispatch addressed to it
(``live_dispatch_for``). A mandatory report, or any report of a reportable
situation, closes only with the police's receipt or a written reason why there is
none (DOMAIN.md §3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts import permissions as perms
from carecircle.accounts.models import Organisation, RoleAssignment, User
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send
from carecircle.people.models import Minor
from carecircle.people.permissions import minors_visible_to
from carecircle.regions.codes import Level
from carecircle.regions.models import Division
from carecircle.tips import clocks
from carecircle.tips.models import (
    Dispatch,
    Extension,
    HandoffLine,
    Outcome,
    Satisfaction,
    Status,
    Tip,
    TipEvent,
    TipMinor,
    Urgency,
)
from carecircle.tips.permissions import (
    HANDLER_ROLES,
    LIVE_DISPATCH,
    can_decide_extension,
    can_handle,
    desk_covers,
    desk_prefixes,
    live_dispatch_for,
)
from carecircle.tips.services import audit, event, notify_desk, tip_link
from carecircle.visits.tasks import covering

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


# --- Shared checks ---------------------------------------------------------------------


def _lock(tip: Tip) -> Tip:
    """The tip's row, locked until the transaction ends, as it is now."""
    return Tip.objects.select_for_update().get(pk=tip.pk)


def _require_handle(actor: Any, tip: Tip) -> None:
    if not can_handle(actor, tip):
        raise PermissionDenied(_("Only the desk or the report's handler may do this."))


def _require_desk(actor: Any, tip: Tip) -> None:
    if not desk_covers(actor, tip):
        raise PermissionDenied(_("Only the desk over this report's area may do this."))


def _require_open(tip: Tip) -> None:
    if tip.status == Status.MERGED:
        raise ValidationError(_("This report was merged into another; handle that one."))
    if not tip.is_open:
        raise ValidationError(_("This report is closed."))


def _reason(text: str, *, field: str = "reason") -> str:
    cleaned = (text or "").strip()
    if len(cleaned) < MIN_REASON:
        raise ValidationError(
            {field: _("Write a reason of at least %(n)d characters.") % {"n": MIN_REASON}}
        )
    return cleaned


def _required(text: str, *, field: str, message: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValidationError({field: message})
    return cleaned


def _save(tip: Tip, *fields: str) -> None:
    tip.save(update_fields=[*fields, "updated_at"])


def _live(tip: Tip) -> Dispatch | None:
    return tip.dispatches.filter(status__in=LIVE_DISPATCH).first()


def _flag_floor(tip: Tip) -> int:
    """The highest level the flags (keywords, category, trigger) set; staff choices aside."""
    levels = [
        int(r.get("urgency", Urgency.GENERAL))
        for r in tip.urgency_reasons
        if isinstance(r, dict) and r.get("kind") != "staff"
    ]
    return max([int(Urgency.GENERAL), *levels])


def _responded(tip: Tip) -> datetime | None:
    """Responded: acknowledged and, where the reporter can be reached, contacted."""
    if tip.acknowledged_at is None:
        return None
    if tip.first_contact_at is not None:
        return max(tip.acknowledged_at, tip.first_contact_at)
    return None if tip.reachable else tip.acknowledged_at


# --- Acknowledging, contacting, assigning ---------------------------------------------


@transaction.atomic
def tip_acknowledge(*, actor: User, tip: Tip) -> Tip:
    """签收: the desk or the handler takes the report in hand."""
    tip = _lock(tip)
    _require_handle(actor, tip)
    _require_open(tip)
    if tip.status != Status.RECEIVED:
        raise ValidationError(_("This report is already acknowledged."))
    tip.acknowledged_at = timezone.now()
    tip.status = Status.ACKNOWLEDGED
    tip.responded_at = _responded(tip)
    _save(tip, "acknowledged_at", "status", "responded_at")
    event(tip, TipEvent.Kind.ACKNOWLEDGED, actor=actor, public=True)
    audit(actor, AuditEvent.Action.UPDATE, tip, step="acknowledge")
    return tip


@transaction.atomic
def tip_record_contact(*, actor: User, tip: Tip, note: str = "") -> Tip:
    """The first contact with the reporter (by phone, message or in person)."""
    tip = _lock(tip)
    _require_handle(actor, tip)
    _require_open(tip)
    if not tip.reachable:
        raise ValidationError(_("The reporter left no way to be contacted."))
    if tip.first_contact_at is not None:
        raise ValidationError(_("The first contact is already recorded."))
    tip.first_contact_at = timezone.now()
    tip.responded_at = _responded(tip)
    _save(tip, "first_contact_at", "responded_at")
    event(tip, TipEvent.Kind.CONTACTED, actor=actor, text=note.strip())
    audit(actor, AuditEvent.Action.UPDATE, tip, step="contact")
    return tip


def handler_candidates(tip: Tip) -> Any:
    """Active users holding a handler role over the tip's division."""
    return covering(sorted(HANDLER_ROLES), tip.area_code).order_by("full_name", "pk")


@transaction.atomic
def tip_assign(*, actor: User, tip: Tip, handler: User) -> Tip:
    """Name the staff member who handles the report, and tell them."""
    tip = _lock(tip)
    _require_desk(actor, tip)
    _require_open(tip)
    if not handler_candidates(tip).filter(pk=handler.pk).exists():
        raise ValidationError(
            {"handler": _("Choose a desk member, social worker or counselor over this area.")}
        )
    if tip.handler_id == handler.pk:
        raise ValidationError({"handler": _("This person already handles the report.")})
    before = tip.handler_id
    tip.handler = handler
    _save(tip, "handler")
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
    tip = _lock(tip)
    _require_handle(actor, tip)
    _require_open(tip)
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": _("Choose an urgency level.")})
    if urgency == tip.urgency:
        raise ValidationError({"urgency": _("The report already has this urgency.")})
    lowering = urgency < tip.urgency
    if lowering:
        reason = _reason(reason)
        floor = _flag_floor(tip)
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
    _save(tip, "urgency", "urgency_reasons", "ack_due", "contact_due", "close_due")
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


# --- Dispatching ------------------------------------------------------------------------


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
    return list(covering([Role.CHILD_SUPERVISOR], dispatch.area_code).values_list("pk", flat=True))


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
    _save(tip, "status")
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


def _withdraw(actor: User, tip: Tip, live: Dispatch, reason: str) -> None:
    live.status = Dispatch.Status.WITHDRAWN
    live.answer = reason
    live.answered_at = timezone.now()
    live.save(update_fields=["status", "answer", "answered_at"])
    tip.status = Status.ACKNOWLEDGED
    _save(tip, "status")
    event(
        tip,
        TipEvent.Kind.DISPATCH_RETURNED,
        actor=actor,
        text=reason,
        details={"dispatch": live.pk, "withdrawn": True},
    )
    audit(actor, AuditEvent.Action.UPDATE, tip, step="withdraw", dispatch=live.pk)
    notification_send(
        recipients=_dispatch_recipients(live),
        title=_("A report dispatched to you was withdrawn"),
        body=_("Report %(number)s.") % {"number": tip.number},
        level=Notification.Level.INFO,
    )


def _require_dispatchable(actor: User, tip: Tip) -> None:
    _require_desk(actor, tip)
    _require_open(tip)
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
    tip = _lock(tip)
    _require_dispatchable(actor, tip)
    if _live(tip) is not None:
        raise ValidationError(
            _("The report is already dispatched; withdraw that dispatch with a reason first.")
        )
    return _create_dispatch(actor, tip, organisation, township, instructions)


@transaction.atomic
def tip_dispatch_withdraw(*, actor: User, tip: Tip, reason: str) -> Dispatch:
    """The desk takes back the live dispatch, with a reason."""
    tip = _lock(tip)
    _require_desk(actor, tip)
    _require_open(tip)
    reason = _reason(reason)
    live = _live(tip)
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
    tip = _lock(tip)
    _require_dispatchable(actor, tip)
    reason = _reason(reason)
    live = _live(tip)
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
    tip = _lock(tip)
    dispatch = _answering(actor, tip)
    if dispatch.status != Dispatch.Status.PENDING:
        raise ValidationError(_("This dispatch is already acknowledged."))
    dispatch.status = Dispatch.Status.ACKNOWLEDGED
    dispatch.acknowledged_by = actor
    dispatch.acknowledged_at = timezone.now()
    dispatch.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    tip.status = Status.IN_PROGRESS
    _save(tip, "status")
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
    tip = _lock(tip)
    dispatch = _answering(actor, tip)
    reason = _reason(reason)
    dispatch.status = Dispatch.Status.RETURNED
    dispatch.answer = reason
    dispatch.answered_at = timezone.now()
    dispatch.save(update_fields=["status", "answer", "answered_at"])
    tip.status = Status.ACKNOWLEDGED
    _save(tip, "status")
    event(
        tip,
        TipEvent.Kind.DISPATCH_RETURNED,
        actor=actor,
        text=reason,
        details={"dispatch": dispatch.pk},
    )
    audit(actor, AuditEvent.Action.UPDATE, tip, step="dispatch_return", dispatch=dispatch.pk)
    notify_desk(tip, _("A dispatched report was sent back"))
    return dispatch


@transaction.atomic
def tip_dispatch_report(*, actor: User, tip: Tip, result: str) -> Dispatch:
    """The agency reports what it did; the desk then closes the report."""
    tip = _lock(tip)
    dispatch = _answering(actor, tip)
    result = _required(result, field="result", message=_("Write what was done."))
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
    _save(tip, "status")
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


# --- Extensions -------------------------------------------------------------------------


@transaction.atomic
def tip_request_extension(*, actor: User, tip: Tip, reason: str) -> Extension:
    """Ask for the complex-case limit; someone else on the desk decides."""
    tip = _lock(tip)
    _require_handle(actor, tip)
    _require_open(tip)
    reason = _reason(reason)
    if tip.extended:
        raise ValidationError(_("This report's limit is already extended."))
    if tip.extensions.filter(decision=Extension.Decision.PENDING).exists():
        raise ValidationError(_("An extension request is already waiting for a decision."))
    new_due = clocks.complex_due(tip.received_at)
    if new_due <= tip.close_due:
        raise ValidationError(_("The complex-case limit would not give this report more time."))
    extension = Extension.objects.create(
        tip=tip, reason=reason, requested_by=actor, new_due=new_due
    )
    event(
        tip,
        TipEvent.Kind.EXTENSION_REQUESTED,
        actor=actor,
        text=reason,
        details={"extension": extension.pk},
    )
    audit(actor, AuditEvent.Action.UPDATE, tip, step="extension_request")
    notify_desk(tip, _("An extension was requested"), level=Notification.Level.INFO)
    return extension


@transaction.atomic
def tip_decide_extension(*, actor: User, tip: Tip, approve: bool) -> Extension:
    """Approve or refuse the waiting request: never by the one who asked (four eyes)."""
    tip = _lock(tip)
    if not can_decide_extension(actor, tip):
        raise PermissionDenied(_("Only the desk over this report's area decides extensions."))
    _require_open(tip)
    extension = (
        tip.extensions.select_for_update().filter(decision=Extension.Decision.PENDING).first()
    )
    if extension is None:
        raise ValidationError(_("There is no extension request waiting for a decision."))
    if extension.requested_by_id == actor.pk:
        raise PermissionDenied(_("Someone other than the requester must decide."))
    extension.decision = Extension.Decision.APPROVED if approve else Extension.Decision.REFUSED
    extension.decided_by = actor
    extension.decided_at = timezone.now()
    extension.save(update_fields=["decision", "decided_by", "decided_at"])
    if approve:
        tip.extended = True
        tip.close_due = extension.new_due
        _save(tip, "extended", "close_due")
    event(
        tip,
        TipEvent.Kind.EXTENSION_DECIDED,
        actor=actor,
        details={"extension": extension.pk, "approved": approve},
    )
    audit(actor, AuditEvent.Action.UPDATE, tip, step="extension_decide", approved=approve)
    notification_send(
        recipients=[extension.requested_by_id],
        title=_("Your extension request was approved")
        if approve
        else _("Your extension request was refused"),
        body=_("Report %(number)s.") % {"number": tip.number},
        link=tip_link(tip),
    )
    return extension


# --- Merging and linking ------------------------------------------------------------------


@transaction.atomic
def tip_merge(*, actor: User, tip: Tip, into: Tip) -> Tip:
    """Merge a duplicate into the surviving report of the same matter."""
    if tip.pk == into.pk:
        raise ValidationError({"into": _("A report cannot be merged into itself.")})
    first, second = sorted([tip.pk, into.pk])
    locked = {t.pk: t for t in Tip.objects.select_for_update().filter(pk__in=[first, second])}
    tip, into = locked[tip.pk], locked[into.pk]
    _require_desk(actor, tip)
    if not desk_covers(actor, into):
        raise ValidationError({"into": _("That report is not in your area.")})
    _require_open(tip)
    if into.status == Status.MERGED or not into.is_open:
        raise ValidationError({"into": _("Merge into a report that is still open.")})
    seen: set[int] = set()
    step: Tip | None = into
    while step is not None and step.merged_into_id is not None and step.pk not in seen:
        seen.add(step.pk)
        if step.merged_into_id == tip.pk:
            raise ValidationError({"into": _("That would merge the reports in a circle.")})
        step = step.merged_into
    if _live(tip) is not None:
        raise ValidationError(_("Withdraw this report's dispatch before merging it."))
    tip.status = Status.MERGED
    tip.merged_into = into
    _save(tip, "status", "merged_into")
    event(tip, TipEvent.Kind.MERGED, actor=actor, details={"into": into.pk}, public=True)
    event(into, TipEvent.Kind.MERGED, actor=actor, details={"duplicate": tip.pk})
    audit(actor, AuditEvent.Action.MERGE, tip, into=into.pk)
    return tip


@transaction.atomic
def tip_link_minor(*, actor: User, tip: Tip, minor: Minor) -> TipMinor:
    """Link a child of the registry the actor may read."""
    tip = _lock(tip)
    _require_handle(actor, tip)
    if tip.status == Status.MERGED:
        raise ValidationError(_("This report was merged into another; handle that one."))
    if not minors_visible_to(actor).filter(pk=minor.pk).exists():
        raise ValidationError({"minor": _("Choose a child you may read.")})
    if TipMinor.objects.filter(tip=tip, minor=minor).exists():
        raise ValidationError({"minor": _("This child is already linked.")})
    link = TipMinor.objects.create(tip=tip, minor=minor, linked_by=actor)
    event(tip, TipEvent.Kind.LINKED, actor=actor, details={"minor": minor.pk})
    audit(actor, AuditEvent.Action.UPDATE, tip, step="link", minor=minor.pk)
    return link


@transaction.atomic
def tip_unlink_minor(*, actor: User, tip: Tip, minor: Minor) -> Tip:
    """Remove a link made in error (the history keeps it)."""
    tip = _lock(tip)
    _require_handle(actor, tip)
    link = TipMinor.objects.filter(tip=tip, minor=minor).first()
    if link is None:
        raise ValidationError({"minor": _("This child is not linked to the report.")})
    # Audited while the child is still linked, so that the record names the child.
    audit(actor, AuditEvent.Action.UPDATE, tip, step="unlink", minor=minor.pk)
    link.delete()
    event(tip, TipEvent.Kind.LINKED, actor=actor, details={"minor": minor.pk, "unlinked": True})
    return tip


# --- Notes, police, closure, follow-up ----------------------------------------------------


@transaction.atomic
def tip_add_note(*, actor: User, tip: Tip, text: str) -> TipEvent:
    """A staff note: encrypted, never shown to the reporter."""
    tip = _lock(tip)
    _require_handle(actor, tip)
    text = _required(text, field="text", message=_("Write the note."))
    note = event(tip, TipEvent.Kind.NOTE, actor=actor, text=text)
    audit(actor, AuditEvent.Action.UPDATE, tip, step="note")
    return note


@transaction.atomic
def tip_record_handoff(*, actor: User, tip: Tip, line: str, note: str = "") -> TipEvent:
    """The report handed to 110, 119, 120, 12356 or 12355 (an emergency: at once), with
    the time it was done, so that "received → handed over" can be audited."""
    tip = _lock(tip)
    _require_handle(actor, tip)
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
    tip = _lock(tip)
    _require_handle(actor, tip)
    if tip.status == Status.MERGED:
        raise ValidationError(_("This report was merged into another; handle that one."))
    receipt, unit = receipt.strip(), unit.strip()
    if receipt:
        if not unit:
            raise ValidationError({"unit": _("Name the police unit that gave the receipt.")})
        tip.police_unit = unit
        tip.police_receipt = receipt
        tip.police_reported_at = reported_at or timezone.now()
        _save(tip, "police_unit", "police_receipt", "police_reported_at")
        details: dict[str, Any] = {"receipt": receipt, "unit": unit}
        text = ""
    else:
        if not reason.strip():
            raise ValidationError(_("Give the police receipt number, or write why there is none."))
        text = _reason(reason)
        tip.police_reason = text
        _save(tip, "police_reason")
        details = {"no_receipt": True}
    event(tip, TipEvent.Kind.POLICE, actor=actor, text=text, details=details)
    audit(actor, AuditEvent.Action.UPDATE, tip, step="police")
    return tip


@transaction.atomic
def tip_close(*, actor: User, tip: Tip, outcome: str, note: str) -> Tip:
    """Close with an outcome; a mandatory report needs the police receipt or a reason."""
    tip = _lock(tip)
    _require_handle(actor, tip)
    _require_open(tip)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    note = _required(note, field="note", message=_("Write what was done."))
    if tip.status == Status.RECEIVED:
        raise ValidationError(_("Acknowledge the report before closing it."))
    if (tip.is_mandatory or tip.trigger) and not (tip.police_receipt or tip.police_reason):
        raise ValidationError(
            _(
                "A mandatory report cannot be closed without the police receipt number "
                "or a written reason why there is none."
            )
        )
    if _live(tip) is not None:
        raise ValidationError(
            _("The dispatch must be reported done or withdrawn before the report is closed.")
        )
    tip.status = Status.CLOSED
    tip.outcome = outcome
    tip.outcome_note = note
    tip.closed_at = timezone.now()
    _save(tip, "status", "outcome", "outcome_note", "closed_at")
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
    _save(
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
    tip = _lock(tip)
    _require_handle(actor, tip)
    if tip.status != Status.CLOSED or tip.closed_at is None:
        raise ValidationError(_("A follow-up call is recorded once the report is closed."))
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("Choose what the reporter said.")})
    if tip.followup_at is not None and tip.followup_at >= tip.closed_at:
        raise ValidationError(_("The follow-up call for this closure is already recorded."))
    tip.followup_at = timezone.now()
    tip.satisfaction = satisfaction
    _save(tip, "followup_at", "satisfaction")
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
    tip = _lock(tip)
    _require_desk(actor, tip)
    reason = _reason(reason)
    if tip.status != Status.CLOSED:
        raise ValidationError(_("Only a closed report can be reopened."))
    _reopen(actor, tip, reason)
    return tip
