"""The cases' rows of the table (issue 7)."""

from __future__ import annotations

from carecircle.testing.matrix.core import Route

CASE_ROUTES: dict[str, Route] = {}
