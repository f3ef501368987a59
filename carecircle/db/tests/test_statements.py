"""The hot paths' cursor: its statements prepared on PostgreSQL, and only its own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from carecircle.crypto.prepared import Prepared, insert_row, update_row
from carecircle.db.statements import prepared_cursor
from carecircle.notifications.models import OutboxMessage

POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side statements")

pytestmark = pytest.mark.django_db

_TOPIC = Prepared(
    lambda topic: OutboxMessage.objects.filter(topic=topic).values_list("pk", "available_at"),
    topic=str,
)


def _message(topic: str) -> OutboxMessage:
    return OutboxMessage(
        topic=topic, payload={"n": 1}, available_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )


def _kept() -> list[str]:
    """The statements this connection has prepared on the server."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _prepared(table: str) -> list[str]:
    return [sql for sql in _kept() if f'"{table}"' in sql]


@POSTGRES
def test_the_hot_paths_statements_are_prepared_once_and_reused() -> None:
    message = _message("kept")
    insert_row(message)
    message.topic = "kept again"
    update_row(message, ["topic"])
    assert _TOPIC.rows(topic="kept again") == [(message.pk, message.available_at)]
    assert _TOPIC.rows(topic="nothing") == []
    statements = _prepared("notifications_outboxmessage")
    assert len(statements) == 3
    assert {sql.split()[0] for sql in statements} == {"INSERT", "UPDATE", "SELECT"}
    for topic in ("one", "two"):
        insert_row(_message(topic))
    # The same statements again, with new values: nothing more is prepared.
    assert _prepared("notifications_outboxmessage") == statements
    assert OutboxMessage.objects.count() == 3


@POSTGRES
def test_djangos_own_statements_are_not_prepared() -> None:
    insert_row(_message("warm"))  # the connection's threshold is now set
    for _ in range(10):
        list(OutboxMessage.objects.filter(topic="warm").values_list("pk"))
        OutboxMessage.objects.filter(topic="warm").update(attempts=1)
    assert [sql.split()[0] for sql in _prepared("notifications_outboxmessage")] == ["INSERT"]


@POSTGRES
@override_settings(CARECIRCLE_DB_PREPARED_STATEMENTS=False)
def test_the_setting_turns_preparing_off_for_a_pooler() -> None:
    message = _message("pooled")
    insert_row(message)
    assert _TOPIC.rows(topic="pooled") == [(message.pk, message.available_at)]
    assert _prepared("notifications_outboxmessage") == []


def test_its_statements_are_seen_as_djangos_are() -> None:
    # Query logging and execute_wrapper (statement counts, tests) see them.
    seen: list[str] = []

    def wrapper(execute: Any, sql: str, *rest: Any) -> Any:
        seen.append(sql)
        return execute(sql, *rest)

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(wrapper):
        message = _message("seen")
        insert_row(message)
    assert len(seen) == 1 and seen[0].startswith('INSERT INTO "notifications_outboxmessage"')
    assert [q["sql"] for q in captured.captured_queries][-1].startswith("INSERT")


def test_its_values_read_back_as_the_orms() -> None:
    message = _message("zone")
    insert_row(message)
    [(pk, at)] = _TOPIC.rows(topic="zone")
    orm = OutboxMessage.objects.get(pk=pk).available_at
    assert at == orm == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert at.utcoffset() == orm.utcoffset()


def test_an_error_rolls_back_and_the_cursor_works_after() -> None:
    kept = _message("kept")
    insert_row(kept)
    taken = _message("duplicate key")
    taken.pk = kept.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_row(taken, key="given")
    with prepared_cursor(connection) as cursor:
        cursor.execute("SELECT count(*) FROM notifications_outboxmessage", [])
        assert cursor.fetchone() == (1,)
