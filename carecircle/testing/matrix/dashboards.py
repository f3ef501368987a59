"""The dashboards rows of the authorization table (issue 7)."""

from __future__ import annotations

from carecircle.testing.matrix.core import Route

DASHBOARD_ROUTES: dict[str, Route] = {}
