"""Sending a referral and answering it (issue 7 item 5).

Every service is ``referral_<verb>``, keyword-only with ``actor`` first, one
transaction that locks the referral's row (or, to send, the case's) and checks the
state after the lock, so a form sent twice acts once. Each step writes a
``ReferralEvent`` (both sides read them), an audit record with the child's id, and
tells the other side through the outbox, naming the referral's number, never the
child.

The states: ``sent`` → ``accepted`` or ``declined`` (the receiver, with a reason to
decline) or ``withdrawn`` (the sender); ``accepted`` → feedback (the receiver: the
treatment or intervention, and a diagnosis only from a hospital) → ``closed`` (either
side, once there is feedback).

The legal basis is checked here, whatever the form sent (``check_basis``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.accounts.models import Organisation
from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record
from carecircle.cases.models import Case, Referral, ReferralEvent
from carecircle.cases.referrals import sharing
from carecircle.cases.referrals.permissions import (
    can_override,
    can_send,
    is_receiver,
    receiver_users,
    works_sender_side,
)
from carecircle.cases.services import supervisors_of
from carecircle.notifications.models import Notification
from carecircle.notifications.services import notification_send

MIN_TEXT = 5
CONSENT_AGE = 14
B = Referral.Basis
S = Referral.Status
K = Organisation.Kind
# Mandatory reporting (强制报告) goes to these receivers without consent.
STATUTORY_RECEIVERS = frozenset({K.POLICE, K.PROCURATORATE, K.COURT})


def accept_hours() -> int:
    return int(getattr(settings, "CARECIRCLE_REFERRAL_ACCEPT_HOURS", 48))


def referral_link(referral: Referral) -> str:
    return reverse("referrals:detail", args=[referral.pk])


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if len(value) < MIN_TEXT:
        raise ValidationError({field: message})
    return value


def check_basis(
    *,
    actor: Any,
    case: Case,
    organisation: Organisation,
    basis: str,
    consent_by: str,
    consent_on: date | None,
    override_reason: str,
    today: date,
) -> None:
    """Refuse a basis that does not hold for this child, receiver and case."""
    if basis == B.GUARDIAN_CONSENT:
        errors = {}
        if not (consent_by or "").strip():
            errors["consent_by"] = _("Say which guardian consented.")
        if consent_on is None:
            errors["consent_on"] = _("Give the date the guardian consented.")
        elif consent_on > today:
            errors["consent_on"] = _("The consent cannot be dated in the future.")
        if errors:
            raise ValidationError(errors)
    elif basis == B.CHILD_CONSENT:
        if case.minor.age_on(today) < CONSENT_AGE:
            raise ValidationError(
                {"basis": _("A child under 14 cannot consent alone: ask the guardian.")}
            )
    elif basis == B.STATUTORY_DUTY:
        if organisation.kind not in STATUTORY_RECEIVERS and not case.in_crisis:
            raise ValidationError(
                {
                    "basis": _(
                        "A statutory duty covers a report to the police, the procuratorate "
                        "or a court, or any referral of a case in crisis."
                    )
                }
            )
    elif basis == B.VITAL_INTEREST:
        if organisation.kind != K.HOSPITAL and not case.in_crisis:
            raise ValidationError(
                {
                    "basis": _(
                        "An emergency to life or health covers a referral to a hospital, "
                        "or any referral of a case in crisis."
                    )
                }
            )
    elif basis == B.OVERRIDE:
        if not can_override(actor, case):
            raise PermissionDenied(
                _("Only a supervisor over the case's division may override consent.")
            )
        _text(override_reason, "override_reason", _("Say why consent is overridden."))
    else:
        raise ValidationError({"basis": _("Record the legal basis of the referral.")})


def _event(referral: Referral, kind: str, actor: Any, text: str = "") -> ReferralEvent:
    return ReferralEvent.objects.create(referral=referral, kind=kind, actor=actor, text=text)


def _audit(actor: Any, action: str, referral: Referral, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="cases.referral",
        object_id=referral.pk,
        minor_id=referral.minor_id,
        details=details,
    )


def sender_side(referral: Referral) -> list[int]:
    """The sender, the case's owner and its supervisors."""
    owner = referral.case.members.filter(is_owner=True, left_at__isnull=True).values_list(
        "user_id", flat=True
    )
    return sorted({referral.sent_by_id, *owner, *supervisors_of(referral.case)})


def _notify(recipients: list[int], referral: Referral, title: str, *, urgent: bool = False) -> None:
    notification_send(
        recipients=recipients,
        title=title % {"number": referral.number},
        body=_("Referral %(number)s to %(organisation)s.")
        % {"number": referral.number, "organisation": referral.to_organisation.name},
        link=referral_link(referral),
        level=Notification.Level.URGENT if urgent else Notification.Level.INFO,
    )


def _lock(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update()
        .select_related("case", "to_organisation")
        .get(pk=referral.pk)
    )


@transaction.atomic
def referral_send(
    *,
    actor: Any,
    case: Case,
    to_organisation: Organisation,
    reason: str,
    shared_items: list[str],
    basis: str,
    consent_by: str = "",
    consent_on: date | None = None,
    override_reason: str = "",
    now: datetime | None = None,
) -> Referral:
    """Refer the case's child to ``to_organisation`` with the items ticked, once the
    basis holds; one live referral per case and organisation."""
    case = Case.objects.select_for_update().select_related("minor").get(pk=case.pk)
    if not can_send(actor, case):
        if not case.is_open:
            raise ValidationError(_("The case is closed; reopen it first."))
        raise PermissionDenied(_("You are not on this case's team."))
    if not to_organisation.is_active or to_organisation.kind not in sharing.RECEIVER_KINDS:
        raise ValidationError(
            {"to_organisation": _("Choose an organisation that takes referrals.")}
        )
    items = list(dict.fromkeys(shared_items))
    if not items:
        raise ValidationError({"shared_items": _("Tick what is to be shared.")})
    refused = sharing.refused_items(to_organisation.kind, items)
    if refused:
        raise ValidationError(
            {
                "shared_items": _("%(kind)s may not receive: %(items)s.")
                % {
                    "kind": to_organisation.get_kind_display(),
                    "items": ", ".join(str(sharing.ITEMS.get(i, i)) for i in refused),
                }
            }
        )
    now = now or timezone.now()
    today = timezone.localdate(now)
    check_basis(
        actor=actor,
        case=case,
        organisation=to_organisation,
        basis=basis,
        consent_by=consent_by,
        consent_on=consent_on,
        override_reason=override_reason,
        today=today,
    )
    reason = _text(reason, "reason", _("Say why the child is referred and what is asked."))
    if Referral.objects.filter(
        case=case, to_organisation=to_organisation, status__in=(S.SENT, S.ACCEPTED)
    ).exists():
        raise ValidationError(
            {
                "to_organisation": _(
                    "This case already has a live referral to that organisation; "
                    "follow that one up."
                )
            }
        )
    keep_consent = basis == B.GUARDIAN_CONSENT
    referral = Referral(
        case=case,
        minor_id=case.minor_id,
        to_organisation=to_organisation,
        reason=reason,
        shared_items=items,
        shared=sharing.snapshot(case, items, today),
        basis=basis,
        consent_by=consent_by.strip() if keep_consent else "",
        consent_on=consent_on if keep_consent else None,
        override_reason=override_reason.strip() if basis == B.OVERRIDE else "",
        sent_by=actor,
        sent_at=now,
        accept_due_at=now + timedelta(hours=accept_hours()),
    )
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError:
        raise ValidationError(
            {"to_organisation": _("This case already has a live referral to that organisation.")}
        ) from None
    _event(referral, "sent", actor)
    _audit(actor, AuditEvent.Action.CREATE, referral, basis=basis, shared=items)
    _notify(receiver_users(to_organisation), referral, _("Referral %(number)s awaits acceptance"))
    return referral


def _require_receiver(actor: Any, referral: Referral) -> None:
    if not is_receiver(actor, referral):
        raise PermissionDenied(_("Only the receiving organisation answers this referral."))


def _require_status(referral: Referral, *allowed: str, message: str) -> None:
    if referral.status not in allowed:
        raise ValidationError(message)


@transaction.atomic
def referral_accept(*, actor: Any, referral: Referral) -> Referral:
    referral = _lock(referral)
    _require_receiver(actor, referral)
    _require_status(referral, S.SENT, message=_("Only a referral awaiting acceptance is accepted."))
    referral.status, referral.answered_by, referral.answered_at = S.ACCEPTED, actor, timezone.now()
    referral.save(update_fields=["status", "answered_by", "answered_at"])
    _event(referral, "accepted", actor)
    _audit(actor, AuditEvent.Action.UPDATE, referral, status=S.ACCEPTED)
    _notify(sender_side(referral), referral, _("Referral %(number)s was accepted"))
    return referral


@transaction.atomic
def referral_decline(*, actor: Any, referral: Referral, reason: str) -> Referral:
    referral = _lock(referral)
    _require_receiver(actor, referral)
    _require_status(referral, S.SENT, message=_("Only a referral awaiting acceptance is declined."))
    reason = _text(reason, "reason", _("Say why the referral is declined."))
    referral.status, referral.answered_by, referral.answered_at = S.DECLINED, actor, timezone.now()
    referral.decline_reason = reason
    referral.save(update_fields=["status", "answered_by", "answered_at", "decline_reason"])
    _event(referral, "declined", actor, reason)
    _audit(actor, AuditEvent.Action.UPDATE, referral, status=S.DECLINED)
    _notify(sender_side(referral), referral, _("Referral %(number)s was declined"), urgent=True)
    return referral


@transaction.atomic
def referral_feedback(
    *, actor: Any, referral: Referral, feedback: str, diagnosis: str = ""
) -> Referral:
    """The treatment or intervention given; a diagnosis only from a hospital
    (DOMAIN.md §5.5: nobody else records one)."""
    referral = _lock(referral)
    _require_receiver(actor, referral)
    _require_status(referral, S.ACCEPTED, message=_("Feedback is given on an accepted referral."))
    diagnosis = (diagnosis or "").strip()
    if diagnosis and referral.to_organisation.kind != K.HOSPITAL:
        raise ValidationError({"diagnosis": _("Only a hospital records a diagnosis.")})
    feedback = _text(feedback, "feedback", _("Describe the treatment or intervention."))
    referral.feedback, referral.diagnosis = feedback, diagnosis or referral.diagnosis
    referral.feedback_by, referral.feedback_at = actor, timezone.now()
    referral.save(update_fields=["feedback", "diagnosis", "feedback_by", "feedback_at"])
    _event(referral, "feedback", actor)
    _audit(actor, AuditEvent.Action.UPDATE, referral, feedback=True, diagnosis=bool(diagnosis))
    _notify(sender_side(referral), referral, _("Referral %(number)s has feedback"))
    return referral


@transaction.atomic
def referral_close(*, actor: Any, referral: Referral, note: str = "") -> Referral:
    """Either side closes the loop once the receiver gave feedback."""
    referral = _lock(referral)
    receiver = is_receiver(actor, referral)
    sender = works_sender_side(actor, referral)
    if not (receiver or sender):
        raise PermissionDenied(_("This referral is not yours to close."))
    _require_status(referral, S.ACCEPTED, message=_("Only an accepted referral is closed."))
    if referral.feedback_at is None:
        raise ValidationError(_("The referral closes after the receiver's feedback."))
    referral.status, referral.closed_by, referral.closed_at = S.CLOSED, actor, timezone.now()
    referral.save(update_fields=["status", "closed_by", "closed_at"])
    _event(referral, "closed", actor, (note or "").strip())
    _audit(actor, AuditEvent.Action.UPDATE, referral, status=S.CLOSED)
    other = sender_side(referral) if receiver else receiver_users(referral.to_organisation)
    _notify(other, referral, _("Referral %(number)s was closed"))
    return referral


@transaction.atomic
def referral_withdraw(*, actor: Any, referral: Referral, note: str = "") -> Referral:
    referral = _lock(referral)
    if not works_sender_side(actor, referral):
        raise PermissionDenied(_("Only the case's team or supervisors withdraw a referral."))
    _require_status(
        referral, S.SENT, message=_("Only a referral awaiting acceptance is withdrawn.")
    )
    referral.status = S.WITHDRAWN
    referral.save(update_fields=["status"])
    _event(referral, "withdrawn", actor, (note or "").strip())
    _audit(actor, AuditEvent.Action.UPDATE, referral, status=S.WITHDRAWN)
    _notify(
        receiver_users(referral.to_organisation), referral, _("Referral %(number)s was withdrawn")
    )
    return referral
