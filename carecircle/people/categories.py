"""Category memberships of a child, kept in step with the facts by the rules in ``rules``."""

from __future__ import annotations

from typing import Any

from carecircle.people.models import Minor


def categories_refresh(*, minor: Minor, actor: Any) -> None:
    """Re-derive ``minor``'s rule-based categories (issue 3, item 2: being written)."""
