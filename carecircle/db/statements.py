"""Cursors for the hot paths' statements, which PostgreSQL keeps prepared.

Django sends every statement as text with its values quoted in (psycopg's
client-side binding), so PostgreSQL parses and plans it anew each time. For the
one-row statements of a pupil's submit that is most of the server's work. Measured
on the project's 2-core machine (1,000 submits in process, pg_stat_statements and
the server process's CPU time): the participant's locked read spent 105 µs planning
against 20 µs running, and the server 0.78 ms of CPU per submit; prepared, 0.40 ms
(PERFORMANCE.md G4, ``bench/screening/submit.py``).

``prepared_cursor`` gives a cursor whose statements go with their values bound
by the server, each statement prepared on the connection the first time it runs
and reused by name afterwards. It is for statements the code builds once and
sends many times (``carecircle.crypto.prepared``: ``Prepared``, ``insert_row``,
``update_row``); the rest of Django keeps its own cursors. Django leaves
psycopg's automatic preparing off, so nothing else is prepared.

A pooler that hands one client's statements to several server connections must
know of prepared statements: PgBouncer in transaction mode from 1.21 on, with
``max_prepared_statements`` set. Otherwise ``DB_PREPARED_STATEMENTS=0``
(setting ``CARECIRCLE_DB_PREPARED_STATEMENTS``) sends these statements as
Django sends the others.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

# Django's type stubs do not know the psycopg 3 cursor classes it defines.
_ServerBindingCursor: Any = postgresql.ServerBindingCursor


class _PreparingCursor(_ServerBindingCursor):
    """Django's server-binding cursor (values sent apart from the SQL), asking
    psycopg to prepare every statement it runs."""

    def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
        return super().execute(query, params, **{**options, "prepare": True})

    def _send_query_prepared(self, name: bytes, pgq: Any, **options: Any) -> None:
        # psycopg keeps the statement sent only for those it does not prepare; Django's
        # query log (DEBUG, the tests' statement lists) reads it from there. It is the
        # SQL with $1… placeholders: the log never shows the values.
        self._query = pgq
        super()._send_query_prepared(name, pgq, **options)


# psycopg prepares a statement only when the connection has a threshold: one no
# count reaches keeps its automatic preparing off for every other cursor.
_NEVER_BY_COUNT = sys.maxsize


def prepared_cursor(connection: Any) -> Any:
    """A cursor of ``connection`` (Django's, wrapped as ``connection.cursor()``
    wraps its own) whose statements PostgreSQL keeps prepared; on other databases,
    or when the setting turns it off, ``connection.cursor()``."""
    if connection.vendor != "postgresql" or not getattr(
        settings, "CARECIRCLE_DB_PREPARED_STATEMENTS", True
    ):
        return connection.cursor()
    # What connection.cursor() does before it makes its cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _NEVER_BY_COUNT
    cursor = _PreparingCursor(raw)
    # As Django's create_cursor: timestamps read in the connection's time zone.
    loader = raw.adapters.get_loader(postgresql.TIMESTAMPTZ_OID, Format.TEXT)
    if connection.timezone != loader.timezone:
        register_tzloader(connection.timezone, cursor)
    with connection.wrap_database_errors:
        return connection._prepare_cursor(cursor)
