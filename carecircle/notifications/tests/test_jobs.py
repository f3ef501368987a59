from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from carecircle.accounts.models import User
from carecircle.audit.models import AuditEvent
from carecircle.notifications import outbox
from carecircle.notifications.management.commands import run_worker
from carecircle.notifications.models import Notification, OutboxMessage
from carecircle.notifications.services import notification_send
from carecircle.testing.fixtures import grant, make_user, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """run_worker as the tests can run it: inside the test transaction, signals restored."""
    # The real command drops stale connections between polls; here that connection
    # holds the test's transaction.
    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def test_run_worker_once_delivers_and_exits_cleanly(worker: None) -> None:
    users = [make_user("wang"), make_user("li")]
    notification_send(recipients=users, title="新任务")
    out = StringIO()
    call_command("run_worker", "--once", stdout=out)  # returns: exit status 0
    assert "delivered 1 message(s)" in out.getvalue()
    assert "stopped" in out.getvalue()
    assert Notification.objects.count() == 2
    call_command("run_worker", "--once", stdout=StringIO())
    assert Notification.objects.count() == 2


def test_it_disables_accounts_idle_for_90_days_and_ends_their_sessions(
    district: dict[str, Any],
) -> None:
    now = timezone.now()
    idle = make_user("idle")
    grant(idle, "child_director", prefix="431103101200")
    # Signing in stamps last_login, so the session comes first and the idle time after.
    client = verified_client(idle)
    assert client.get(reverse("accounts:home")).status_code == 200
    User.objects.filter(pk=idle.pk).update(last_login=now - timedelta(days=91))
    recent = make_user("recent")
    User.objects.filter(pk=recent.pk).update(last_login=now - timedelta(days=89))
    never = make_user("never")
    User.objects.filter(pk=never.pk).update(last_login=None, date_joined=now - timedelta(days=95))
    fresh = make_user("fresh")
    User.objects.filter(pk=fresh.pk).update(last_login=None, date_joined=now - timedelta(days=3))

    outbox.run_job("accounts.disable_dormant")

    active = dict(User.objects.values_list("username", "is_active"))
    assert active == {"idle": False, "recent": True, "never": False, "fresh": True}
    # The session is dead, not merely refused while the account is off: it stays
    # dead when an administrator switches the account back on.
    User.objects.filter(pk=idle.pk).update(is_active=True)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    event = AuditEvent.objects.get(object_type="accounts.user", object_id=str(idle.pk))
    assert event.actor_username == "system" and event.fields == ["is_active"]
    assert event.details == {"reason": "dormant for 90 days"}


@override_settings(CARECIRCLE_EMAIL_ENABLED=True)
def test_it_emails_recipients_who_have_an_address_exactly_once(db: Any) -> None:
    with_mail = make_user("mail", email="wang@example.cn")
    without = make_user("nomail")
    notification_send(recipients=[with_mail, without], title="紧急访问提醒", body="原因：急救")

    assert outbox.drain() == 2  # the notification, then the e-mail it queued
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["wang@example.cn"]
    assert sent.subject == "[CareCircle] 紧急访问提醒"
    assert sent.body == "原因：急救"

    assert outbox.drain() == 0
    email = OutboxMessage.objects.get(topic="email")
    assert outbox.deliver(email) is False
    assert len(mail.outbox) == 1


@override_settings(CARECIRCLE_EMAIL_ENABLED=True)
def test_it_queues_one_email_per_recipient_even_if_the_notice_is_handled_again(
    db: Any,
) -> None:
    user = make_user("mail", email="wang@example.cn")
    notification_send(recipients=[user], title="提醒")
    message = OutboxMessage.objects.get(topic="notify")
    outbox.HANDLERS["notify"](message)
    outbox.HANDLERS["notify"](message)
    assert OutboxMessage.objects.filter(topic="email").count() == 1


def test_it_sends_no_email_unless_configured(db: Any) -> None:
    notification_send(recipients=[make_user("mail", email="wang@example.cn")], title="提醒")
    assert outbox.drain() == 1
    assert mail.outbox == []
    assert not OutboxMessage.objects.filter(topic="email").exists()


def test_it_alerts_auditors_when_the_audit_chain_breaks(personas: dict[str, User]) -> None:
    from carecircle.audit.services import audit_record

    for _ in range(3):
        audit_record(actor=None, action=AuditEvent.Action.SYSTEM, username="system")
    outbox.run_job("audit.verify_chain")
    assert not OutboxMessage.objects.exists()

    statements = {
        "sqlite": ["DROP TRIGGER audit_event_no_delete"],
        "postgresql": ["DROP TRIGGER audit_event_append_only ON audit_auditevent"],
    }[connection.vendor]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    AuditEvent.objects.order_by("seq")[1:2].get().delete()

    outbox.run_job("audit.verify_chain")
    outbox.run_job("audit.verify_chain")  # the same hour: no second alert
    assert outbox.drain() == 1
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"auditor_a", "sysadmin_a"}
    note = Notification.objects.first()
    assert note is not None and note.level == Notification.Level.URGENT
    assert "missing" in note.body
