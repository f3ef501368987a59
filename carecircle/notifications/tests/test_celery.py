"""The scale-out path: with a broker configured, Celery runs the same outbox work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings

from carecircle.accounts.models import User
from carecircle.notifications import outbox
from carecircle.notifications.models import Notification, OutboxMessage
from carecircle.notifications.services import notification_send
from carecircle.testing.fixtures import make_user
from config.celery import app, drain_outbox, run_due_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager() -> Iterator[None]:
    """Run tasks in-process, as a worker would, without a Redis server."""
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
def test_a_committed_message_is_drained_by_a_celery_task(
    eager: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    staff: list[User] = [make_user(f"staff{n}", verified_device=False) for n in range(2)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification_send(recipients=staff, title="个案提醒")
    # The commit kicked exactly one drain task, which delivered the message once.
    assert len(callbacks) == 1
    assert Notification.objects.filter(title="个案提醒").count() == 2
    assert OutboxMessage.objects.get().delivered_at is not None
    assert drain_outbox.delay().get() == 0


def test_beat_runs_the_periodic_registry_once(eager: None) -> None:
    first = run_due_jobs.delay().get()
    assert sorted(first) == sorted(outbox.PERIODIC)
    assert run_due_jobs.delay().get() == []


def test_beat_schedules_only_the_two_ticks() -> None:
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert tasks == {"carecircle.drain_outbox", "carecircle.run_due_jobs"}
