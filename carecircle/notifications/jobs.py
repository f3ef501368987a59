"""Outbox handlers and periodic jobs of the foundation."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from carecircle.notifications.models import Notification, OutboxMessage
from carecircle.notifications.outbox import enqueue, handler, periodic


@handler("notify")
def deliver_notification(message: OutboxMessage) -> None:
    from carecircle.accounts.models import User

    payload = message.payload
    users = list(User.objects.filter(pk__in=payload["recipients"], is_active=True))
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                title=payload["title"],
                body=payload.get("body", ""),
                link=payload.get("link", ""),
                level=payload.get("level", Notification.Level.INFO),
            )
            for user in users
        ]
    )
    if settings.CARECIRCLE_EMAIL_ENABLED:
        for user in users:
            if user.email:
                enqueue(
                    "email",
                    {
                        "to": user.email,
                        "subject": payload["title"],
                        "body": payload.get("body", ""),
                    },
                    dedupe_key=f"email:{message.pk}:{user.pk}",
                )


@handler("email")
def deliver_email(message: OutboxMessage) -> None:
    payload = message.payload
    send_mail(
        subject=f"[CareCircle] {payload['subject']}",
        message=payload["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[payload["to"]],
    )


@periodic("audit.verify_chain", every=timedelta(hours=1))
def verify_audit_chain() -> None:
    from carecircle.accounts.models import RoleAssignment
    from carecircle.audit.services import audit_verify

    report = audit_verify()
    if report.ok:
        return
    watchers = RoleAssignment.objects.active().filter(role__in=["auditor", "sysadmin"])
    from carecircle.notifications.services import notification_send

    notification_send(
        recipients=watchers.values_list("user_id", flat=True),
        title=_("The audit log failed its integrity check"),
        body="\n".join(report.problems[:20]),
        link="/audit/",
        level=Notification.Level.URGENT,
        dedupe_key=f"audit-broken:{timezone.now():%Y%m%d%H}",
    )


@periodic("accounts.disable_dormant", every=timedelta(days=1))
def disable_dormant_accounts() -> None:
    from carecircle.accounts.services import users_disable_dormant

    users_disable_dormant(days=settings.CARECIRCLE_DORMANT_DAYS)


@periodic("sessions.clear_expired", every=timedelta(days=1))
def clear_expired_sessions() -> None:
    Session.objects.filter(expire_date__lt=timezone.now()).delete()


@periodic("outbox.purge_delivered", every=timedelta(days=1))
def purge_delivered() -> None:
    cutoff = timezone.now() - timedelta(days=30)
    OutboxMessage.objects.filter(delivered_at__lt=cutoff).delete()
