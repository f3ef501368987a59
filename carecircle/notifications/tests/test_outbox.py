from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory

from carecircle.accounts.models import User
from carecircle.notifications import outbox
from carecircle.notifications.models import Notification, OutboxMessage, PeriodicJobState
from carecircle.notifications.services import notification_send
from carecircle.testing.fixtures import make_user

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 5, 4, 8, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock() -> Iterator[FrozenDateTimeFactory]:
    with freeze_time(NOW) as frozen:
        assert isinstance(frozen, FrozenDateTimeFactory)
        yield frozen


@pytest.fixture
def staff(db: Any) -> list[User]:
    return [make_user(f"staff{n}", verified_device=False) for n in range(3)]


def send(recipients: list[User], **extra: Any) -> None:
    notification_send(recipients=recipients, title="走访提醒", body="明天上午走访", **extra)


def test_it_sends_nothing_when_the_cause_rolls_back(staff: list[User]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        send(staff)
        raise RuntimeError("the visit could not be saved")
    assert not OutboxMessage.objects.exists()
    assert outbox.drain() == 0
    assert not Notification.objects.exists()


def test_it_delivers_once_after_commit(staff: list[User]) -> None:
    with transaction.atomic():
        send(staff, link="/minors/1/")
    assert not Notification.objects.exists()

    assert outbox.drain() == 1
    notes = Notification.objects.order_by("recipient_id")
    assert [n.recipient for n in notes] == staff
    assert {(n.title, n.body, n.link) for n in notes} == {
        ("走访提醒", "明天上午走访", "/minors/1/")
    }
    message = OutboxMessage.objects.get()
    assert message.delivered_at is not None and message.attempts == 1

    assert outbox.drain() == 0
    assert Notification.objects.count() == len(staff)


def test_it_skips_inactive_recipients_and_empty_lists(staff: list[User]) -> None:
    User.objects.filter(pk=staff[0].pk).update(is_active=False)
    send(staff)
    send([])
    assert OutboxMessage.objects.count() == 1
    outbox.drain()
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        staff[1].pk,
        staff[2].pk,
    }


def test_it_refuses_a_topic_without_a_handler() -> None:
    with pytest.raises(ValueError, match="No outbox handler"):
        outbox.enqueue("no.such.topic", {})
    assert not OutboxMessage.objects.exists()


def test_it_keeps_a_failed_message_and_retries_after_a_backoff(
    staff: list[User], clock: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def flaky(message: OutboxMessage) -> None:
        calls.append(message.pk)
        # The effect is written before the failure: it must roll back with it.
        Notification.objects.create(recipient=staff[0], title="half done")
        if len(calls) == 1:
            raise ConnectionError("mail relay down")

    monkeypatch.setitem(outbox.HANDLERS, "test.flaky", flaky)
    message = outbox.enqueue("test.flaky", {})

    assert outbox.drain() == 0
    message.refresh_from_db()
    assert message.delivered_at is None
    assert message.last_error == "ConnectionError: mail relay down"
    assert message.available_at > NOW and message.claimed_until is None
    assert not Notification.objects.exists()

    assert outbox.drain() == 0  # still backing off
    assert len(calls) == 1

    clock.tick(timedelta(minutes=1))
    assert outbox.drain() == 1
    message.refresh_from_db()
    assert message.delivered_at is not None and message.last_error == ""
    assert message.attempts == 2
    assert Notification.objects.count() == 1

    clock.tick(timedelta(hours=2))
    assert outbox.drain() == 0
    assert len(calls) == 2


def test_it_backs_off_longer_after_each_failure(
    clock: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(message: OutboxMessage) -> None:
        raise RuntimeError("down")

    monkeypatch.setitem(outbox.HANDLERS, "test.broken", broken)
    message = outbox.enqueue("test.broken", {})
    waits = []
    for _ in range(4):
        clock.tick(timedelta(hours=2))
        before = clock()
        assert outbox.drain() == 0
        message.refresh_from_db()
        waits.append(message.available_at - before.replace(tzinfo=message.available_at.tzinfo))
    assert waits == sorted(waits) and waits[0] < waits[-1]
    assert all(w <= outbox.MAX_BACKOFF for w in waits)


def test_a_worker_that_dies_after_claiming_loses_nothing(
    staff: list[User], clock: FrozenDateTimeFactory
) -> None:
    send(staff)
    claimed = outbox._claim_one()
    assert claimed is not None
    # ...and the worker is killed here, before delivering.

    assert outbox.drain() == 0  # another worker respects the claim
    clock.tick(timedelta(seconds=outbox.CLAIM_SECONDS - 1))
    assert outbox.drain() == 0
    clock.tick(timedelta(seconds=2))
    assert outbox.drain() == 1
    assert Notification.objects.count() == len(staff)
    assert OutboxMessage.objects.get().attempts == 2
    clock.tick(timedelta(seconds=outbox.CLAIM_SECONDS * 2))
    assert outbox.drain() == 0
    assert Notification.objects.count() == len(staff)


def test_a_late_worker_does_not_deliver_twice(staff: list[User]) -> None:
    send(staff)
    first = outbox._claim_one()
    assert first is not None
    assert outbox.deliver(first) is True
    # A second worker still holding a stale copy of the message.
    assert outbox.deliver(first) is False
    assert Notification.objects.count() == len(staff)


def test_it_deduplicates_by_key(staff: list[User]) -> None:
    send(staff, dedupe_key="visit-reminder:42")
    send(staff, dedupe_key="visit-reminder:42")
    assert OutboxMessage.objects.count() == 1
    assert outbox.drain() == 1
    send(staff, dedupe_key="visit-reminder:42")
    assert outbox.drain() == 0
    assert Notification.objects.count() == len(staff)


def test_the_database_enforces_the_dedupe_key(db: Any) -> None:
    OutboxMessage.objects.create(topic="notify", dedupe_key="k")
    OutboxMessage.objects.create(topic="notify")
    OutboxMessage.objects.create(topic="notify")  # keyless messages never collide
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(topic="notify", dedupe_key="k")


@pytest.fixture
def counting_job(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    runs: list[datetime] = []

    def job() -> None:
        from django.utils import timezone

        runs.append(timezone.now())

    registry = {
        "test.hourly": outbox.PeriodicJob(name="test.hourly", every=timedelta(hours=1), run=job)
    }
    monkeypatch.setattr(outbox, "PERIODIC", registry)
    return runs


def test_it_runs_a_due_job_once_until_its_interval_passes(
    counting_job: list[datetime], clock: FrozenDateTimeFactory
) -> None:
    assert outbox.run_due_jobs() == ["test.hourly"]
    assert outbox.run_due_jobs() == []
    clock.tick(timedelta(minutes=59))
    assert outbox.run_due_jobs() == []
    clock.tick(timedelta(minutes=1))
    assert outbox.run_due_jobs() == ["test.hourly"]
    assert len(counting_job) == 2
    state = PeriodicJobState.objects.get(name="test.hourly")
    assert state.next_run_at == NOW + timedelta(hours=2)
    assert state.last_finished_at is not None and state.last_error == ""


def test_a_failing_job_is_recorded_and_rescheduled(
    clock: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom() -> None:
        raise ValueError("no data")

    job = outbox.PeriodicJob(name="test.boom", every=timedelta(minutes=5), run=boom)
    monkeypatch.setattr(outbox, "PERIODIC", {"test.boom": job})
    assert outbox.run_due_jobs() == ["test.boom"]
    assert PeriodicJobState.objects.get(name="test.boom").last_error == "ValueError: no data"
    clock.tick(timedelta(minutes=5))
    assert outbox.run_due_jobs() == ["test.boom"]


def test_every_registered_job_runs_once(personas: dict[str, User]) -> None:
    expected = set(outbox.PERIODIC)
    assert {
        "audit.verify_chain",
        "accounts.disable_dormant",
        "sessions.clear_expired",
        "outbox.purge_delivered",
    } <= expected
    assert set(outbox.run_due_jobs()) == expected
    assert outbox.run_due_jobs() == []
    assert not PeriodicJobState.objects.exclude(last_error="").exists()
    # A healthy audit chain raises no alarm; active personas are not dormant.
    assert not Notification.objects.exists() and outbox.drain() == 0
    assert User.objects.filter(is_active=False).count() == 0
