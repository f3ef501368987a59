"""The referrals rows of the authorization table (issue 7)."""

from __future__ import annotations

from typing import Any

from carecircle.testing.matrix.core import Route

REFERRAL_ROUTES: dict[str, Route] = {}


def build_referrals(
    minors: dict[str, Any],
    personas: dict[str, Any],
    other_personas: dict[str, Any],
    registry: dict[str, Any],
) -> dict[str, Any]:
    return {}
