"""The staff tips routes of the table (issue 6)."""

from __future__ import annotations

from carecircle.testing.matrix.core import Route

TIPS_STAFF_ROUTES: dict[str, Route] = {}
