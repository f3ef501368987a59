"""Telling people things: in-app notifications, and e-mail where configured."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from carecircle.notifications.models import Notification
from carecircle.notifications.outbox import enqueue


def notification_send(
    *,
    recipients: Iterable[Any],
    title: str,
    body: str = "",
    link: str = "",
    level: str = Notification.Level.INFO,
    dedupe_key: str | None = None,
) -> None:
    """Queue a notification for each recipient, delivered by the worker after commit."""
    ids = sorted({r.pk if hasattr(r, "pk") else int(r) for r in recipients})
    if not ids:
        return
    enqueue(
        "notify",
        {"recipients": ids, "title": title, "body": body, "link": link, "level": level},
        dedupe_key=dedupe_key,
    )


@transaction.atomic
def notifications_mark_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
