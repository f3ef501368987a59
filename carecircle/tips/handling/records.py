"""Extensions decided by someone other than who asked, merging duplicates (并单),
linking children of the registry."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send
from carecircle.people.models import Minor
from carecircle.people.permissions import minors_visible_to
from carecircle.tips import clocks
from carecircle.tips.handling.common import (
    clean_reason,
    live_dispatch,
    lock,
    require_desk,
    require_handle,
    require_open,
    save_fields,
)
from carecircle.tips.models import (
    Extension,
    Status,
    Tip,
    TipEvent,
    TipMinor,
)
from carecircle.tips.permissions import (
    can_decide_extension,
    desk_covers,
)
from carecircle.tips.services import audit, event, notify_desk, tip_link


@transaction.atomic
def tip_request_extension(*, actor: User, tip: Tip, reason: str) -> Extension:
    """Ask for the complex-case limit; someone else on the desk decides."""
    tip = lock(tip)
    require_handle(actor, tip)
    require_open(tip)
    reason = clean_reason(reason)
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
    tip = lock(tip)
    if not can_decide_extension(actor, tip):
        raise PermissionDenied(_("Only the desk over this report's area decides extensions."))
    require_open(tip)
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
        save_fields(tip, "extended", "close_due")
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


@transaction.atomic
def tip_merge(*, actor: User, tip: Tip, into: Tip) -> Tip:
    """Merge a duplicate into the surviving report of the same matter."""
    if tip.pk == into.pk:
        raise ValidationError({"into": _("A report cannot be merged into itself.")})
    first, second = sorted([tip.pk, into.pk])
    locked = {t.pk: t for t in Tip.objects.select_for_update().filter(pk__in=[first, second])}
    tip, into = locked[tip.pk], locked[into.pk]
    require_desk(actor, tip)
    if not desk_covers(actor, into):
        raise ValidationError({"into": _("That report is not in your area.")})
    require_open(tip)
    if into.status == Status.MERGED or not into.is_open:
        raise ValidationError({"into": _("Merge into a report that is still open.")})
    seen: set[int] = set()
    step: Tip | None = into
    while step is not None and step.merged_into_id is not None and step.pk not in seen:
        seen.add(step.pk)
        if step.merged_into_id == tip.pk:
            raise ValidationError({"into": _("That would merge the reports in a circle.")})
        step = step.merged_into
    if live_dispatch(tip) is not None:
        raise ValidationError(_("Withdraw this report's dispatch before merging it."))
    tip.status = Status.MERGED
    tip.merged_into = into
    save_fields(tip, "status", "merged_into")
    event(tip, TipEvent.Kind.MERGED, actor=actor, details={"into": into.pk}, public=True)
    event(into, TipEvent.Kind.MERGED, actor=actor, details={"duplicate": tip.pk})
    audit(actor, AuditEvent.Action.MERGE, tip, into=into.pk)
    return tip


@transaction.atomic
def tip_link_minor(*, actor: User, tip: Tip, minor: Minor) -> TipMinor:
    """Link a child of the registry the actor may read."""
    tip = lock(tip)
    require_handle(actor, tip)
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
    tip = lock(tip)
    require_handle(actor, tip)
    link = TipMinor.objects.filter(tip=tip, minor=minor).first()
    if link is None:
        raise ValidationError({"minor": _("This child is not linked to the report.")})
    # Audited while the child is still linked, so that the record names the child.
    audit(actor, AuditEvent.Action.UPDATE, tip, step="unlink", minor=minor.pk)
    link.delete()
    event(tip, TipEvent.Kind.LINKED, actor=actor, details={"minor": minor.pk, "unlinked": True})
    return tip
