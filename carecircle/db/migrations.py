"""Helpers for migrations that speak each database's own SQL (triggers, functions)."""

from __future__ import annotations

from typing import Any


def execute_for_vendor(schema_editor: Any, statements: dict[str, list[str]]) -> None:
    """Run the statements written for the migrating database's vendor, if any."""
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)
