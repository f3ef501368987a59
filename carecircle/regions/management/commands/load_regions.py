"""Load division codes: the demo district, or the official NBS table as CSV.

CSV columns: code,name[,urban_rural] with a header row; UTF-8, UTF-8 with BOM or
GB18030 (the encodings Chinese offices save in). All rows are checked first;
any bad row stops the load and nothing is written.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecircle.regions.data import lengshuitan
from carecircle.regions.services import divisions_load


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CommandError("The file is neither UTF-8 nor GB18030 text.")


class Command(BaseCommand):
    help = (
        "Load administrative divisions: --demo for 冷水滩区, or a CSV file (code,name,urban_rural)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?")
        parser.add_argument("--demo", action="store_true")

    def handle(self, *args: Any, file: str | None, demo: bool, **options: Any) -> None:
        if demo == bool(file):
            raise CommandError("Give either --demo or a CSV file.")
        if demo:
            rows = lengshuitan.rows()
        else:
            path = Path(file or "")
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
            reader = csv.reader(io.StringIO(_decode(path.read_bytes())))
            next(reader, None)
            rows = [(r[0], r[1], r[2] if len(r) > 2 else "") for r in reader if r and any(r)]
        try:
            count = divisions_load(rows=rows)
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError("Nothing was loaded.") from exc
        self.stdout.write(self.style.SUCCESS(f"{count} divisions loaded."))
