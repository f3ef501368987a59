"""Receiving a report from any channel, and what a reporter does with a receipt code.

``receive`` is the one door into the queue (issue 6 items 1–3): the public page,
a hotline operator or the hotline's API, a school logging its report box and a
professional's mandatory report all build an ``Intake`` and call it. In one
transaction it sets the urgency (the flags of ``keywords`` only raise it), starts
the clocks, stores the attachments, writes the first event and the audit record,
and queues the alerts; a report is acknowledged to its sender only after that
commit, so an acknowledged report is never lost (SECURITY.md AN-5).

Replays are one tip: a hotline ticket by its external number, a public form by its
one-time challenge (``submission_key``). A replay returns the first tip, flagged
``created=False``; the receipt code is shown only the first time (it is not kept).

Notifications name no child and no reporter: they may leave the system by e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts.permissions import role_holders
from carecircle.accounts.roles import Role
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send
from carecircle.tips import clocks, keywords, receipts
from carecircle.tips.models import Channel, Tip, TipEvent, Trigger, Urgency

if TYPE_CHECKING:
    from carecircle.tips.attachments import CleanFile

DESK = (Role.CENTER_STAFF, Role.DISTRICT_ADMIN)
# Mandatory reports start at least urgent; these situations are emergencies.
TRIGGER_FLOOR: dict[str, int] = {
    Trigger.GENITAL_INJURY: Urgency.EMERGENCY,
    Trigger.GIRL_UNDER_14: Urgency.EMERGENCY,
    Trigger.ABNORMAL_DEATH: Urgency.EMERGENCY,
    Trigger.MISSING: Urgency.EMERGENCY,
    Trigger.OTHER_DANGER: Urgency.EMERGENCY,
}


@dataclass
class Intake:
    """A report as a channel's form or API cleaned it; nothing here is trusted yet
    beyond its type."""

    channel: str
    category: str
    description: str
    area_code: str
    place: str = ""
    occurred_on: date | None = None
    occurred_text: str = ""
    child_description: str = ""
    anonymous: bool = False
    reporter_name: str = ""
    reporter_contact: str = ""
    reporter_relation: str = ""
    request_type: str = "report"
    urgency: int = Urgency.GENERAL
    external_number: str = ""
    submission_key: str = ""
    trigger: str = ""
    reporter_sector: str = ""
    reporter_unit: str = ""
    found_at: datetime | None = None
    police_reported_at: datetime | None = None
    police_unit: str = ""
    police_receipt: str = ""
    notified: list[str] = field(default_factory=list)
    box_organisation_id: int | None = None
    box_opened_on: date | None = None
    # A public report's receipt, made by ``receipts.new_receipt`` before any
    # transaction opens: its slow hash must not hold the database's write lock.
    receipt: receipts.Receipt | None = None


@dataclass
class Received:
    tip: Tip
    created: bool
    receipt: str | None = None  # the plain code, once, for the public page


def event(
    tip: Tip,
    kind: str,
    *,
    actor: Any = None,
    text: str = "",
    details: dict[str, Any] | None = None,
    public: bool = False,
) -> TipEvent:
    return TipEvent.objects.create(
        tip=tip,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        text=text,
        details=details or {},
        public=public,
    )


def audit(actor: Any, action: str, tip: Tip, **details: Any) -> None:
    """One audit record per child linked, or one for the tip when none is."""
    minor_ids = list(tip.minors.values_list("pk", flat=True)) if tip.pk else []
    for minor_id in minor_ids or [None]:
        audit_record(
            actor=actor,
            action=action,
            object_type="tips.tip",
            object_id=tip.pk,
            minor_id=minor_id,
            details=details,
            username="" if getattr(actor, "is_authenticated", False) else "public",
        )


def desk_recipients(area_code: str) -> list[int]:
    """The desk over a division: its centre staff and district administrators."""
    return sorted(role_holders(DESK, area_code).values_list("pk", flat=True))


def tip_link(tip: Tip) -> str:
    return reverse("tips:detail", args=[tip.pk])


def notify_desk(tip: Tip, title: str, *, level: str = Notification.Level.WARNING) -> None:
    notification_send(
        recipients=desk_recipients(tip.area_code),
        title=title,
        body=_("Report %(number)s, %(urgency)s.")
        % {"number": tip.number, "urgency": tip.get_urgency_display()},
        link=tip_link(tip),
        level=level,
    )


def urgency_for(intake: Intake) -> tuple[int, list[dict[str, Any]]]:
    text = " ".join([intake.description, intake.child_description, intake.place])
    found = keywords.flags(text, intake.category)
    reasons = [f.as_reason() for f in found]
    level = keywords.raised(intake.urgency, found)
    if intake.trigger:
        floor = TRIGGER_FLOOR.get(intake.trigger, Urgency.URGENT)
        reasons.append({"kind": "trigger", "term": intake.trigger, "urgency": int(floor)})
        level = max(level, floor)
    return int(level), reasons


def _existing(intake: Intake) -> Tip | None:
    if intake.external_number:
        return Tip.objects.filter(
            channel=intake.channel, external_number=intake.external_number
        ).first()
    if intake.submission_key:
        return Tip.objects.filter(submission_key=intake.submission_key).first()
    return None


def tip_receive(intake: Intake, *, actor: Any = None, files: Sequence[CleanFile] = ()) -> Received:
    """Put a report into the queue, or find the one this replay already made."""
    from carecircle.tips.attachments import discard

    found = _existing(intake)
    if found is not None:
        return Received(found, created=False)
    if intake.channel == Channel.WEB and intake.receipt is None:
        intake.receipt = receipts.new_receipt()
    written: list[str] = []
    try:
        with transaction.atomic():
            return _create(intake, actor, files, written)
    except IntegrityError:
        discard(written)
        # A concurrent replay won the unique constraint: answer with its tip.
        found = _existing(intake)
        if found is None:
            raise
        return Received(found, created=False)
    except BaseException:
        discard(written)
        raise


def _create(intake: Intake, actor: Any, files: Sequence[CleanFile], written: list[str]) -> Received:
    from carecircle.tips.attachments import store

    now = timezone.now()
    urgency, reasons = urgency_for(intake)
    due = clocks.clocks_for(urgency, now)
    receipt = intake.receipt if intake.channel == Channel.WEB else None
    signed_in = getattr(actor, "is_authenticated", False)
    tip = Tip.objects.create(
        channel=intake.channel,
        external_number=intake.external_number,
        request_type=intake.request_type,
        category=intake.category,
        urgency=urgency,
        urgency_reasons=reasons,
        description=intake.description,
        area_code=intake.area_code,
        place=intake.place,
        occurred_on=intake.occurred_on,
        occurred_text=intake.occurred_text,
        child_description=intake.child_description,
        anonymous=intake.anonymous,
        reporter_name="" if intake.anonymous else intake.reporter_name,
        reporter_contact="" if intake.anonymous else intake.reporter_contact,
        reporter_relation=intake.reporter_relation,
        reporter_user=actor if signed_in and intake.channel == Channel.MANDATORY else None,
        entered_by=actor if signed_in else None,
        receipt_digest=receipt.digest if receipt else "",
        submission_key=intake.submission_key,
        trigger=intake.trigger,
        reporter_sector=intake.reporter_sector,
        reporter_unit=intake.reporter_unit,
        found_at=intake.found_at,
        police_reported_at=intake.police_reported_at,
        police_unit=intake.police_unit,
        police_receipt=intake.police_receipt,
        notified=list(intake.notified),
        box_organisation_id=intake.box_organisation_id,
        box_opened_on=intake.box_opened_on,
        received_at=now,
        ack_due=due.ack,
        contact_due=due.contact,
        close_due=due.close,
    )
    for clean in files:
        store(tip, clean, by_reporter=intake.channel == Channel.WEB, written=written)
    event(
        tip,
        TipEvent.Kind.RECEIVED,
        actor=actor,
        details={"channel": tip.channel, "urgency": urgency, "files": len(files)},
        public=True,
    )
    if tip.police_receipt:
        event(
            tip,
            TipEvent.Kind.POLICE,
            actor=actor,
            details={"receipt": tip.police_receipt, "unit": tip.police_unit},
        )
    audit(actor, AuditEvent.Action.CREATE, tip, channel=tip.channel, urgency=urgency)
    if tip.is_mandatory:
        notify_desk(tip, _("A mandatory report was filed"), level=Notification.Level.URGENT)
    elif urgency == Urgency.EMERGENCY:
        notify_desk(tip, _("An emergency report came in"), level=Notification.Level.URGENT)
    elif urgency == Urgency.URGENT:
        notify_desk(tip, _("An urgent report came in"))
    return Received(tip, created=True, receipt=receipt.code if receipt else None)


def find_by_receipt(code: str) -> Tip | None:
    """The tip a receipt code opens, following merges to the surviving tip."""
    digits = receipts.clean(code)
    if digits is None:
        return None
    tip = Tip.objects.filter(receipt_digest=receipts.digest(digits)).first()
    seen: set[int] = set()
    while tip is not None and tip.merged_into_id is not None and tip.pk not in seen:
        seen.add(tip.pk)
        tip = tip.merged_into
    return tip


def public_history(tip: Tip) -> Iterable[TipEvent]:
    """The steps a reporter sees: no staff, no agency, no internal note."""
    return tip.events.filter(public=True).order_by("at", "pk")


def tip_reporter_add(tip: Tip, *, text: str, files: Sequence[CleanFile] = ()) -> TipEvent:
    """More information from the reporter, by receipt code. A closed tip stays closed:
    the desk reads the addition and decides (a reopening is theirs)."""
    from carecircle.tips.attachments import discard

    written: list[str] = []
    try:
        with transaction.atomic():
            return _tip_reporter_add(tip, text, files, written)
    except BaseException:
        discard(written)
        raise


def _tip_reporter_add(
    tip: Tip, text: str, files: Sequence[CleanFile], written: list[str]
) -> TipEvent:
    from carecircle.tips.attachments import store

    Tip.objects.select_for_update().filter(pk=tip.pk).values_list("pk").get()
    for clean in files:
        store(tip, clean, by_reporter=True, written=written)
    added = event(
        tip,
        TipEvent.Kind.REPORTER_ADDED,
        text=text,
        details={"files": len(files)},
        public=True,
    )
    audit(None, AuditEvent.Action.UPDATE, tip, added="reporter", files=len(files))
    keyword_flags = keywords.flags(text)
    if keyword_flags and keywords.raised(tip.urgency, keyword_flags) > tip.urgency:
        tip_raise_urgency(tip, keyword_flags, actor=None)
    notify_desk(tip, _("The reporter added information"), level=Notification.Level.INFO)
    return added


def tip_raise_urgency(tip: Tip, found: list[keywords.Flag], *, actor: Any) -> None:
    """Raise the urgency from new flags and restart the clocks still running from the
    new level's limits (never later than they were)."""
    level = keywords.raised(tip.urgency, found)
    if level <= tip.urgency:
        return
    due = clocks.clocks_for(level, tip.received_at)
    before = tip.urgency
    tip.urgency = level
    tip.urgency_reasons = [*tip.urgency_reasons, *(f.as_reason() for f in found)]
    tip.ack_due = min(tip.ack_due, due.ack)
    tip.contact_due = min(tip.contact_due, due.contact)
    if not tip.extended:
        tip.close_due = min(tip.close_due, due.close)
    tip.save(
        update_fields=[
            "urgency", "urgency_reasons", "ack_due", "contact_due", "close_due", "updated_at"
        ]
    )  # fmt: skip
    event(tip, TipEvent.Kind.URGENCY, actor=actor, details={"from": before, "to": level})
    if level == Urgency.EMERGENCY:
        notify_desk(tip, _("A report became an emergency"), level=Notification.Level.URGENT)
