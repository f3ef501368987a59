"""The intake tips routes of the table (issue 6)."""

from __future__ import annotations

from carecircle.testing.matrix.core import Route

TIPS_INTAKE_ROUTES: dict[str, Route] = {}
