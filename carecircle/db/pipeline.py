"""Statements sent to PostgreSQL together, their answers read when they are needed.

On PostgreSQL every statement is a round trip: over loopback on the project's
2-core machines, 0.18–0.31 ms from psycopg alone, more than the database needs for
a one-row statement, and a separate database host adds its network's. In libpq's
pipeline mode (psycopg's ``Connection.pipeline()``) a statement whose answer
nobody has read yet goes out with the next one whose answer is read, and the
block's end sends whatever is left in one go.

Enter the block inside the transaction (``with transaction.atomic(), pipelined()``).
psycopg answers every switch of autocommit, which Django's ``atomic`` makes at its
start and its end, by waiting for the pipeline's answers: around the block those
are two round trips more. psycopg also waits for ``BEGIN``'s answer by itself. A
pupil's submit, eight round trips one statement at a time (the connection check,
BEGIN, five statements, COMMIT: PERFORMANCE.md G4), is then five: the check,
BEGIN, the locked reads together, the writes together, COMMIT.

What changes inside the block:

- a statement's error is raised where the next answer is read, at the latest at
  the block's end, and not by the statement itself. Code that catches a database
  error to recover from one particular statement must not run in a pipeline;
- a statement's row count is not known before its answer is read, so
  ``update_row`` cannot check it (callers update rows they have locked).

On other databases (SQLite) the statements run one by one, as outside the block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from psycopg import pq

from carecircle.db.statements import prepared_cursor


@contextmanager
def pipelined(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Pipeline the block's statements on PostgreSQL (inside a transaction: see above)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    # Django checks a reused connection before its first cursor of a request; in a
    # pipeline the check's answer would come too late to reconnect.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    # An error read when the pipeline ends is psycopg's own; Django's wrapper turns
    # it into django.db's, as it does for every statement.
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def in_pipeline(connection: Any) -> bool:
    """Whether ``connection``'s statements are being pipelined now."""
    raw = connection.connection
    if connection.vendor != "postgresql" or raw is None:
        return False
    return bool(raw.pgconn.pipeline_status != pq.PipelineStatus.OFF)


def sent(connection: Any, sql: str, params: list[Any]) -> Callable[[], list[Any]]:
    """Send a statement now and read its rows later: the function returned reads
    them (once). Outside a pipeline the rows are read at once."""
    if not in_pipeline(connection):
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        return lambda: found
    cursor = prepared_cursor(connection)
    try:
        cursor.execute(sql, params)
    except BaseException:
        cursor.close()
        raise

    def rows() -> list[Any]:
        try:
            return list(cursor.fetchall())
        finally:
            cursor.close()

    return rows


def with_key_drawn(queryset: QuerySet[Any], model: type[models.Model]) -> QuerySet[Any]:
    """``queryset`` (a ``values_list``) with one more column last: for each row, a
    new key of ``model``'s table drawn from its sequence (PostgreSQL). A row
    inserted with that key needs no ``RETURNING``, whose answer would end a
    pipeline, and the key costs no statement of its own: it comes with a read the
    caller sends anyway (the row it locks before inserting)."""
    if connections[queryset.db].vendor != "postgresql":
        raise ValueError("with_key_drawn: only PostgreSQL keys come from a sequence")
    opts = model._meta
    drawn = RawSQL(
        "nextval(pg_get_serial_sequence(%s, %s))",
        (opts.db_table, opts.pk.column),
        output_field=models.BigIntegerField(),
    )
    return queryset.annotate(drawn_key=drawn)
