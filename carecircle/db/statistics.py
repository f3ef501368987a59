"""The planner's row counts kept near the truth while one transaction fills tables.

PostgreSQL plans from ``pg_class.reltuples``, which only VACUUM and ANALYZE set.
A table that was emptied and vacuumed keeps its pages but says it holds no rows,
and a table that held a pilot school says it holds a few hundred. A roster import
writes a hundred thousand children in one transaction, which autovacuum cannot
see until it commits, and reads them back as it goes (matches, category refresh).
Measured with the registry benchmark on PostgreSQL 15 (``bench/registry.py``,
100,000 rows; between its runs the tables are emptied and autovacuum finds them
empty): the category refresh's read of 500 children joined to their households
was planned as a full scan of the ``household_id`` index with a household index
scan per row, 0.7 s a batch on average and slower as the table filled, and the
CSV import, run after the XLSX one in a full ``make bench``, managed 149 rows a
second. Analysed as below: 5 ms a batch and 1,193 rows a second, for seven
ANALYZEs of 0.23 s each over both imports.

``GrowingTables`` runs ``ANALYZE`` on the tables being filled each time the rows
written since the last one reach the count the planner then had (never fewer
than ``FLOOR``), so the planner is never more than about twice wrong, and a
table filled from empty is analysed about log2(rows / FLOOR) times. ANALYZE in a
transaction counts that transaction's own new rows. Its lock (SHARE UPDATE
EXCLUSIVE, held to the import's commit) blocks no reads or writes. ``SKIP_LOCKED``
leaves a table that autovacuum or another import is analysing to them, and a role
that does not own the tables (the two-role hardening of docs/operations.md) only
gets PostgreSQL's warning. SQLite plans without such counts: nothing is run there.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, connection, transaction

log = logging.getLogger(__name__)

FLOOR = 1000
"""Rows written before the first ANALYZE: below this every plan is cheap enough."""


class GrowingTables:
    """``models`` fill together; ``grew`` counts rows of the first, and the planner's
    count of the first decides when to analyse them all."""

    def __init__(self, *models: Any) -> None:
        self.tables = [model._meta.db_table for model in models]
        self.written = 0
        self.next_at: int | None = None

    def grew(self, rows: int) -> None:
        """``rows`` more were written to the tables (inserted or updated)."""
        if connection.vendor != "postgresql" or not rows:
            return
        self.written += rows
        if self.next_at is None:
            self.next_at = self._planned()
        if self.written >= self.next_at:
            self._analyze()
            self.next_at = self.written + self._planned()

    def _planned(self) -> int:
        """The rows the planner believes the first table holds (-1 when it was never
        analysed), at least FLOOR."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", self.tables[:1]
            )
            (believed,) = cursor.fetchone()
        return max(FLOOR, int(believed))

    def _analyze(self) -> None:
        names = ", ".join(connection.ops.quote_name(table) for table in self.tables)
        try:
            # A savepoint: a refusal must not abort the import's transaction.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"ANALYZE (SKIP_LOCKED) {names}")
        except DatabaseError:
            log.warning("ANALYZE of %s refused; plans may use stale row counts", names)
