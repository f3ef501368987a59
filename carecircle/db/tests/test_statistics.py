"""Planner row counts kept near the truth while one transaction fills a table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecircle.db import statistics
from carecircle.db.statistics import GrowingTables
from carecircle.notifications.models import OutboxMessage

POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(statistics, "FLOOR", 10)
    return 10


def _write(rows: int) -> None:
    at = datetime(2026, 1, 2, tzinfo=UTC)
    OutboxMessage.objects.bulk_create(
        OutboxMessage(topic="t", payload={}, available_at=at) for _ in range(rows)
    )


def _believed() -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
            [OutboxMessage._meta.db_table],
        )
        return cursor.fetchone()[0]


def _analyses(queries: Any) -> int:
    return sum(q["sql"].startswith("ANALYZE") for q in queries.captured_queries)


@POSTGRES
def test_the_planner_counts_the_transactions_own_rows_as_they_double(floor: int) -> None:
    growing = GrowingTables(OutboxMessage)
    with CaptureQueriesContext(connection) as queries:
        _write(9)
        growing.grew(9)
        assert _analyses(queries) == 0  # under the floor: every plan is cheap
        _write(1)
        growing.grew(1)
        assert _analyses(queries) == 1
        assert _believed() == 10  # uncommitted, and counted
        _write(9)
        growing.grew(9)
        assert _analyses(queries) == 1  # not yet twice what the planner believes
        _write(1)
        growing.grew(1)
        assert _analyses(queries) == 2
        assert _believed() == 20


@POSTGRES
def test_a_refused_analyze_leaves_the_transaction_usable(
    floor: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    growing = GrowingTables(OutboxMessage)
    monkeypatch.setattr(growing, "tables", ["no_such_table"])
    monkeypatch.setattr(growing, "_planned", lambda: floor)
    _write(10)
    growing.grew(10)  # ANALYZE fails on the missing table, inside its savepoint
    assert OutboxMessage.objects.count() == 10


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite has no row counts")
def test_nothing_is_sent_where_the_planner_keeps_no_counts(floor: int) -> None:
    growing = GrowingTables(OutboxMessage)
    _write(50)
    with CaptureQueriesContext(connection) as queries:
        growing.grew(50)
    assert queries.captured_queries == []
