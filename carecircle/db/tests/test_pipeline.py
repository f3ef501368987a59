"""Pipelined statements: sent together on PostgreSQL, one by one elsewhere, with the
same rows stored and the same errors raised, only later."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, connection, transaction

from carecircle.crypto.prepared import Prepared, insert_row, update_row
from carecircle.db.pipeline import in_pipeline, pipelined, sent, with_key_drawn
from carecircle.notifications.models import OutboxMessage

POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL pipelines")
SQLITE = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite has no pipeline")


def _message(topic: str) -> OutboxMessage:
    return OutboxMessage(
        topic=topic, payload={"n": 1}, available_at=datetime(2026, 1, 1, tzinfo=UTC)
    )


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")  # a commit needs a transactional test
def test_a_pipeline_in_a_transaction_stores_its_writes() -> None:
    first = _message("first")
    insert_row(first)
    with transaction.atomic(), pipelined():
        assert in_pipeline(connection)
        # The read of a row draws the next row's key.
        drawing = _TOPIC_DRAWING.send(topic="first")
        rows = sent(connection, "SELECT count(*) FROM notifications_outboxmessage", [])
        [(topic, key)] = drawing()
        assert (topic, rows()) == ("first", [(1,)])
        message = _message("second")
        message.pk = key
        insert_row(message, key="given")
        message.topic = "changed"
        update_row(message, ["topic"])
    assert not in_pipeline(connection)
    assert key > first.pk
    assert list(OutboxMessage.objects.order_by("pk").values_list("pk", "topic")) == [
        (first.pk, "first"),
        (key, "changed"),
    ]
    # The sequence moved on: the next key the table assigns is a new one.
    third = _message("third")
    insert_row(third)
    assert third.pk > key


_TOPIC_DRAWING = Prepared(
    lambda topic: with_key_drawn(
        OutboxMessage.objects.filter(topic=topic).values_list("topic"), OutboxMessage
    ),
    topic=str,
)


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")  # a commit needs a transactional test
def test_a_failed_write_is_raised_at_the_end_and_nothing_is_stored() -> None:
    kept = _message("kept")
    insert_row(kept)
    with pytest.raises(IntegrityError), pipelined(), transaction.atomic():
        insert_row(_message("lost"))
        taken = _message("duplicate key")
        taken.pk = kept.pk
        insert_row(taken, key="given")  # queued: nothing is raised yet
    assert list(OutboxMessage.objects.values_list("topic", flat=True)) == ["kept"]
    # The connection is usable again.
    with transaction.atomic(), pipelined():
        insert_row(_message("after"))
    assert OutboxMessage.objects.count() == 2


@POSTGRES
@pytest.mark.django_db
def test_update_row_cannot_check_a_pipelined_count() -> None:
    # Pipelined updates are of rows the caller has locked: the count comes later.
    ghost = _message("ghost")
    ghost.pk = 10**12
    with transaction.atomic(), pipelined():
        update_row(ghost, ["topic"])
    with transaction.atomic(), pytest.raises(ObjectDoesNotExist):
        update_row(ghost, ["topic"])


@SQLITE
@pytest.mark.django_db
def test_elsewhere_statements_run_one_by_one() -> None:
    with transaction.atomic(), pipelined():
        assert not in_pipeline(connection)
        insert_row(_message("one"))
        assert sent(connection, "SELECT topic FROM notifications_outboxmessage", [])() == [("one",)]
    with pytest.raises(ValueError, match="PostgreSQL"):
        with_key_drawn(OutboxMessage.objects.values_list("topic"), OutboxMessage)
