"""The transactional outbox and the periodic-job registry.

Producers call ``enqueue`` inside their own transaction. Consumers are plain
functions registered with ``@handler(topic)``; periodic jobs with
``@periodic(name, every)``. The same registry is run by ``manage.py run_worker``
(embedded default) and by Celery (``config/celery.py``) when a broker is set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from carecircle.crypto.prepared import insert_row
from carecircle.db.pipeline import in_pipeline
from carecircle.notifications.models import OutboxMessage, PeriodicJobState

log = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], None]
HANDLERS: dict[str, Handler] = {}
CLAIM_SECONDS = 120
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[], Any]


PERIODIC: dict[str, PeriodicJob] = {}


def handler(topic: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[topic] = fn
        return fn

    return register


def periodic(name: str, *, every: timedelta) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        PERIODIC[name] = PeriodicJob(name=name, every=every, run=fn)
        return fn

    return register


def enqueue(topic: str, payload: dict[str, Any], *, dedupe_key: str | None = None) -> OutboxMessage:
    """Record a side effect; it is delivered only if the surrounding transaction commits.

    The message returned has no key when it was written in a pipeline without a
    ``dedupe_key``.
    """
    if topic not in HANDLERS:
        raise ValueError(f"No outbox handler for topic {topic!r}")
    if dedupe_key:
        message, _created = OutboxMessage.objects.get_or_create(
            dedupe_key=dedupe_key, defaults={"topic": topic, "payload": payload}
        )
    else:
        # Written by pupils' submits and every other hot path: one prepared INSERT. In
        # a pipeline nothing waits for its key (carecircle.db.pipeline).
        message = OutboxMessage(topic=topic, payload=payload)
        insert_row(message, key="unread" if in_pipeline(connection) else "assigned")
    if settings.CELERY_BROKER_URL:
        transaction.on_commit(_kick_celery)
    return message


def _kick_celery() -> None:
    from config.celery import drain_outbox

    drain_outbox.delay()


def _claim_one() -> OutboxMessage | None:
    """Take the oldest due message for CLAIM_SECONDS. The conditional UPDATE makes the
    claim atomic on both SQLite and PostgreSQL without row locks held across handlers."""
    now = timezone.now()
    due = (
        OutboxMessage.objects.filter(delivered_at__isnull=True, available_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("id")
        .values_list("id", flat=True)[:5]
    )
    for message_id in list(due):
        claimed = (
            OutboxMessage.objects.filter(pk=message_id, delivered_at__isnull=True)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .update(
                claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1
            )
        )
        if claimed:
            return OutboxMessage.objects.get(pk=message_id)
    return None


def deliver(message: OutboxMessage) -> bool:
    """Run the handler and mark delivered in one transaction; back off on failure."""
    fn = HANDLERS.get(message.topic)
    try:
        with transaction.atomic():
            # Re-check under the transaction: another worker may have finished it.
            locked = (
                OutboxMessage.objects.select_for_update()
                .filter(pk=message.pk, delivered_at__isnull=True)
                .first()
            )
            if locked is None:
                return False
            if fn is None:
                raise LookupError(f"no handler for {message.topic!r}")
            fn(locked)
            locked.delivered_at = timezone.now()
            locked.last_error = ""
            locked.save(update_fields=["delivered_at", "last_error"])
        return True
    except Exception as exc:  # one bad message must not stop the worker
        backoff = min(timedelta(seconds=2 ** min(message.attempts, 12)), MAX_BACKOFF)
        OutboxMessage.objects.filter(pk=message.pk).update(
            available_at=timezone.now() + backoff,
            claimed_until=None,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        log.warning("outbox message %s (%s) failed: %s", message.pk, message.topic, exc)
        return False


def drain(limit: int = 500) -> int:
    """Deliver due messages until none is left or ``limit`` is reached."""
    delivered = 0
    for _ in range(limit):
        message = _claim_one()
        if message is None:
            break
        if deliver(message):
            delivered += 1
    return delivered


def run_due_jobs(now: Any = None) -> list[str]:
    """Run each periodic job that is due, once across all workers."""
    now = now or timezone.now()
    ran: list[str] = []
    for job in PERIODIC.values():
        # A new job is due at once: `now` was taken before this row's default time.
        PeriodicJobState.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
        claimed = PeriodicJobState.objects.filter(name=job.name, next_run_at__lte=now).update(
            next_run_at=now + job.every, last_started_at=now
        )
        if claimed:
            run_job(job.name)
            ran.append(job.name)
    return ran


def run_job(name: str) -> None:
    job = PERIODIC[name]
    error = ""
    try:
        job.run()
    except Exception as exc:  # record it and carry on with the next job
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.exception("periodic job %s failed", name)
    PeriodicJobState.objects.filter(name=name).update(
        last_finished_at=timezone.now(), last_error=error
    )
