"""What an import reports: its problems by row and column, and its limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from carecircle.people import rosters
from carecircle.people.models import ImportBatch

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_ROWS = 200_000
MAX_LISTED_PROBLEMS = 5000


def max_bytes() -> int:
    return int(getattr(settings, "CARECIRCLE_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "CARECIRCLE_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    layout: str
    rows: int
    created: int
    updated: int
    problems: list[Problem]
    dry_run: bool
    batch: ImportBatch | None
    # Not blocking: the ID number disagrees with the birth date or sex entered, etc.
    warnings: list[Problem] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def layout_title(self) -> str:
        found = rosters.LAYOUTS.get(self.layout)
        return found.title if found else ""


class UnreadableFileError(Exception):
    """The file as a whole cannot be read; the message is for the user."""


def too_large_message() -> str:
    return _("The file is larger than %(mb)d MB. Split it into several files.") % {
        "mb": max_bytes() // (1024 * 1024)
    }
