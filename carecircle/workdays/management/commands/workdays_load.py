"""Load statutory holidays and make-up workdays from a JSON file (the built-in file by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecircle.workdays import calendar


class Command(BaseCommand):
    help = "Load the working-day calendar (holidays and make-up workdays) from a JSON file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(calendar.DATA_FILE))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = calendar.read_file(Path(options["path"]))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        written = calendar.load(rows)
        self.stdout.write(f"{written} special days loaded.")
