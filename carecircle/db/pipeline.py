"""Statements sent to PostgreSQL together, their answers read when they are needed.

On PostgreSQL every statement is a round trip: over loopback on the project's
2-core machines, 0.18–0.31 ms from psycopg alone, more than the database needs for
a one-row statement, and a separate database host adds its network's. Each one
also costs both processes CPU (a wake-up and two system calls each), which is
what a loaded server runs out of. In libpq's pipeline mode (psycopg's
``Connection.pipeline()``) a statement whose answer nobody has read yet goes out
with the next one whose answer is read, and the block's end sends whatever is
left in one go.

``atomic_pipelined()`` is ``transaction.atomic()`` with its statements pipelined.
As the outermost block it sends ``BEGIN`` with the first statements and
``COMMIT`` with the last ones. psycopg, left to itself, waits for its own
``BEGIN``'s answer in a pipeline, and Django's ``COMMIT`` comes after the
pipeline: two round trips more. A pupil's submit, eight round trips one statement
at a time (the connection check, BEGIN, five statements, COMMIT: PERFORMANCE.md
G4), is then three: the check, the locked read, the writes with the commit.
Nested in another transaction it pipelines its statements and commits nothing.

``written_together()`` goes one step further for writes nobody reads the answer
of: it sends them as one statement when its block ends.

``pipelined()`` pipelines statements inside a transaction the caller manages
(``with transaction.atomic(), pipelined()``); psycopg answers every switch of
autocommit, which ``atomic`` makes at its start and its end, by waiting for the
pipeline's answers, so it is not the other way round.

What changes inside either block:

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
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
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
    _checked(connection)
    # An error read when the pipeline ends is psycopg's own; Django's wrapper turns
    # it into django.db's, as it does for every statement.
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


@contextmanager
def atomic_pipelined(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """``transaction.atomic()`` whose statements are pipelined on PostgreSQL, its
    ``BEGIN`` and ``COMMIT`` with them when it is the outermost block (see above)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic(using=using), pipelined(using):
            yield
        return
    with transaction.atomic(using=using):
        _checked(connection)
        raw = connection.connection
        # Django has turned psycopg's autocommit off, on which psycopg would send a
        # BEGIN of its own and wait for its answer. The block sends both ends of the
        # transaction itself; Django's commit then finds it committed and sends nothing.
        raw.autocommit = True
        try:
            with connection.wrap_database_errors, raw.pipeline():
                _command(connection, "BEGIN")
                yield
                # An inner atomic block that failed asks for a rollback instead.
                if not connection.needs_rollback:
                    _command(connection, "COMMIT")
        finally:
            _ended(connection, raw)


def _checked(connection: Any) -> None:
    connection.ensure_connection()
    # Django checks a reused connection before its first cursor of a request; in a
    # pipeline the check's answer would come too late to reconnect.
    connection.close_if_health_check_failed()
    connection.ensure_connection()


def _command(connection: Any, sql: str) -> None:
    # Through Django's cursor, so that the query log and execute_wrapper see it.
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _ended(connection: Any, raw: Any) -> None:
    """Leave psycopg as Django's transaction left it: autocommit off, and no
    transaction open (a block that raised, or a commit refused, is rolled back here,
    before Django's own rollback finds nothing to do)."""
    if raw.pgconn.status != pq.ConnStatus.OK:
        return  # a lost connection: Django's atomic closes it
    with connection.wrap_database_errors:
        if raw.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            raw.rollback()
        raw.autocommit = False


# psycopg converts a statement's placeholders once and caches the result only for
# statements up to this many values and characters (psycopg._queries); longer ones
# would be converted on every call, which costs more than a statement saves.
_MOST_VALUES = 50
_LONGEST = 4096
_PER_WRITE = 40  # what the WITH adds around a write: "wN AS (…), ", its count


class _Together:
    """The writes of a ``written_together`` block, waiting for its end."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.statements: list[tuple[str, list[Any]]] = []

    def batches(self) -> list[list[tuple[str, list[Any]]]]:
        """The writes in order, in as few groups as fit psycopg's cached conversion."""
        groups: list[list[tuple[str, list[Any]]]] = []
        values = length = 0
        for sql, params in self.statements:
            if (
                not groups
                or values + len(params) > _MOST_VALUES
                or length + len(sql) + _PER_WRITE > _LONGEST
            ):
                groups.append([])
                values = length = 0
            groups[-1].append((sql, params))
            values, length = values + len(params), length + len(sql) + _PER_WRITE
        return groups


def _combined(statements: list[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
    """One statement running them all. A data-modifying WITH query runs whether
    anything reads it or not; a SELECT (an append through a function) runs only when
    the main query reads it, so it is counted."""
    if len(statements) == 1:
        return statements[0]
    parts, forced, params = [], [], []
    for n, (sql, values) in enumerate(statements):
        parts.append(f"w{n} AS ({sql})")
        if sql.lstrip()[:6].upper() == "SELECT":
            # Names made here; the statements' values stay bound parameters.
            forced.append(f"(SELECT count(*) FROM w{n})")  # noqa: S608
        params.extend(values)
    return f"WITH {', '.join(parts)} SELECT {' + '.join(forced) or '0'}", params


_together: ContextVar[_Together | None] = ContextVar("db_written_together", default=None)


@contextmanager
def written_together(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """In a pipeline (PostgreSQL), send the block's writes whose answers nobody
    reads (``insert_row`` without its key read back, ``update_row``, an audit
    append) as one statement when the block ends (or a few, to stay within what
    psycopg caches: 50 values), and none if it raises.

    Each statement in a pipeline still costs both processes a message and its
    system calls (about 60 µs of Python and 25 µs of the server's CPU for a
    one-row insert, measured); one statement for a pupil's three writes spares
    two of them. The writes run together, each seeing the database as it was
    before any of them: a block must not read, or write twice, what it writes.
    Elsewhere (SQLite, or outside a pipeline) the writes run one by one.
    """
    connection = connections[using]
    if not in_pipeline(connection):
        yield
        return
    together = _Together(connection)
    token = _together.set(together)
    try:
        yield
    finally:
        _together.reset(token)
    for batch in together.batches():
        sql, params = _combined(batch)
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, params)


def deferred(connection: Any, sql: str, params: list[Any]) -> bool:
    """Whether a ``written_together`` block on ``connection`` took this write, to
    send with the block's others when it ends."""
    together = _together.get()
    if together is None or together.connection is not connection:
        return False
    together.statements.append((sql, params))
    return True


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
