"""Pipelined statements: sent together on PostgreSQL, one by one elsewhere, with the
same rows stored and the same errors raised, only later."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, connection, transaction
from psycopg import pq

from carecircle.audit.models import AuditEvent
from carecircle.audit.services import audit_record, audit_verify
from carecircle.crypto.prepared import Prepared, insert_row, update_row
from carecircle.db.pipeline import (
    atomic_pipelined,
    in_pipeline,
    pipelined,
    sent,
    with_key_drawn,
    written_together,
)
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


@contextmanager
def _statements_sent() -> Iterator[list[str]]:
    """The SQL of each statement a cursor sends (Django's query log also lists the
    BEGIN and COMMIT it means, whether it sends them or not)."""
    found: list[str] = []

    def log(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        found.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(log):
        yield found


def _left_as_django_leaves_it() -> None:
    """psycopg as Django's own commit or rollback leaves it: autocommit on, no transaction."""
    raw = connection.connection
    assert connection.get_autocommit() and raw.autocommit
    assert raw.pgconn.transaction_status == pq.TransactionStatus.IDLE
    assert not connection.in_atomic_block


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")  # a commit needs a transactional test
def test_an_outermost_atomic_pipeline_sends_begin_and_commit_with_its_statements() -> None:
    committed: list[str] = []
    with _statements_sent() as statements, atomic_pipelined():
        assert in_pipeline(connection) and connection.in_atomic_block
        insert_row(_message("one"))
        transaction.on_commit(lambda: committed.append("hook"))
    # Sent by the block itself; psycopg and Django sent no BEGIN or COMMIT of their own.
    assert statements[0] == "BEGIN" and statements[-1] == "COMMIT"
    assert [s for s in statements if s in ("BEGIN", "COMMIT")] == ["BEGIN", "COMMIT"]
    assert committed == ["hook"]
    _left_as_django_leaves_it()
    assert list(OutboxMessage.objects.values_list("topic", flat=True)) == ["one"]


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")
def test_an_atomic_pipeline_that_raises_stores_nothing_and_runs_no_hook() -> None:
    committed: list[str] = []
    with pytest.raises(ValueError, match="refused"), atomic_pipelined():
        insert_row(_message("lost"))
        transaction.on_commit(lambda: committed.append("hook"))
        raise ValueError("refused")
    _left_as_django_leaves_it()
    assert committed == [] and not OutboxMessage.objects.exists()


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")
def test_an_atomic_pipeline_whose_commit_is_refused_stores_nothing() -> None:
    from carecircle.screening.models import FollowUp

    # Foreign keys are checked at the commit (DEFERRABLE INITIALLY DEFERRED): the
    # commit sent with the writes is the statement that fails.
    orphan = FollowUp(
        response_id=10**12, minor_id=10**12, school_id=10**12, level="red", kind="interview"
    )
    orphan.due_at = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(IntegrityError), atomic_pipelined():
        insert_row(_message("lost"))
        insert_row(orphan, key="unread")
    _left_as_django_leaves_it()
    assert not OutboxMessage.objects.exists() and not FollowUp.objects.exists()
    with atomic_pipelined():
        insert_row(_message("after"))
    assert OutboxMessage.objects.count() == 1


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")
def test_an_atomic_pipeline_rolls_back_what_an_inner_block_marked_for_rollback() -> None:
    with atomic_pipelined():
        insert_row(_message("lost"))
        try:
            with transaction.atomic(savepoint=False):
                raise ValueError("inner")
        except ValueError:
            pass
        assert connection.needs_rollback
    _left_as_django_leaves_it()
    assert not OutboxMessage.objects.exists()


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")
def test_a_nested_atomic_pipeline_leaves_the_commit_to_the_outer_block() -> None:
    with pytest.raises(ValueError, match="outer"), transaction.atomic():
        with _statements_sent() as statements, atomic_pipelined():
            assert in_pipeline(connection)
            insert_row(_message("inner"))
        assert "BEGIN" not in statements and "COMMIT" not in statements
        assert OutboxMessage.objects.count() == 1
        raise ValueError("outer")
    _left_as_django_leaves_it()
    assert not OutboxMessage.objects.exists()


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")
def test_writes_written_together_are_one_statement_sent_at_the_blocks_end() -> None:
    kept = _message("kept")
    insert_row(kept)
    with _statements_sent() as statements, atomic_pipelined():
        with written_together():
            given = _message("given")
            given.pk = kept.pk + 100
            insert_row(given, key="given")
            insert_row(_message("unread"), key="unread")
            kept.topic = "updated"
            update_row(kept, ["topic"])
            audit_record(actor=None, action=AuditEvent.Action.SYSTEM, username="together")
            assert len(statements) == 1  # BEGIN: the writes wait for the block's end
        [together] = [sql for sql in statements if sql.startswith("WITH")]
        assert together.count(" AS (") == 4 and "audit_append(" in together
    topics = set(OutboxMessage.objects.values_list("topic", flat=True))
    assert topics == {"updated", "given", "unread"}
    assert AuditEvent.objects.get().actor_username == "together"
    assert audit_verify().ok


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")
def test_a_key_read_back_is_not_kept_waiting_and_one_write_goes_as_it_is() -> None:
    with _statements_sent() as statements, atomic_pipelined(), written_together():
        assigned = _message("assigned")
        insert_row(assigned)
        assert assigned.pk is not None
        insert_row(_message("unread"), key="unread")
    writes = [sql for sql in statements if sql not in ("BEGIN", "COMMIT")]
    assert [sql.split()[0] for sql in writes] == ["INSERT", "INSERT"]
    assert OutboxMessage.objects.count() == 2


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")
def test_a_block_that_raises_sends_none_of_its_writes() -> None:
    with (
        _statements_sent() as statements,
        pytest.raises(ValueError, match="refused"),
        atomic_pipelined(),
        written_together(),
    ):
        insert_row(_message("lost"), key="unread")
        raise ValueError("refused")
    assert not [sql for sql in statements if sql.startswith(("INSERT", "WITH"))]
    assert not OutboxMessage.objects.exists()


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")
def test_a_write_refused_among_those_written_together_stores_none() -> None:
    kept = _message("kept")
    insert_row(kept)
    with pytest.raises(IntegrityError), atomic_pipelined(), written_together():
        insert_row(_message("lost"), key="unread")
        taken = _message("duplicate key")
        taken.pk = kept.pk
        insert_row(taken, key="given")
    assert list(OutboxMessage.objects.values_list("topic", flat=True)) == ["kept"]


@POSTGRES
@pytest.mark.usefixtures("flushable_audit_log")
def test_many_writes_written_together_go_in_as_few_statements_as_psycopg_caches() -> None:
    # An append has 13 values: three fit in 50, so seven go in three statements.
    with _statements_sent() as statements, atomic_pipelined(), written_together():
        for n in range(7):
            audit_record(actor=None, action=AuditEvent.Action.SYSTEM, username=f"n{n}")
    assert [sql.count("audit_append(") for sql in statements[1:-1]] == [3, 3, 1]
    assert [sql.split()[0] for sql in statements[1:-1]] == ["WITH", "WITH", "SELECT"]
    names = list(AuditEvent.objects.order_by("seq").values_list("actor_username", flat=True))
    assert names == [f"n{n}" for n in range(7)]
    assert audit_verify().ok


@pytest.mark.django_db
def test_outside_a_pipeline_writes_written_together_run_one_by_one() -> None:
    with _statements_sent() as statements, written_together():
        insert_row(_message("one"), key="unread")
        assert len(statements) == 1
        insert_row(_message("two"), key="unread")
    assert [sql.split()[0] for sql in statements] == ["INSERT", "INSERT"]
    assert OutboxMessage.objects.count() == 2
