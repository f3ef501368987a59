"""Export a 两表一册 roster of the children a user sees, as that user, to an xlsx file.

    manage.py export_minors --as USERNAME --out FILE [--layout roster] [--area CODE]
                            [--category CATEGORY] [--status STATUS]

The same rows, masking and audit event as the export page (the server operator
stands in for the page's step-up).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from carecircle.people import exports, rosters
from carecircle.people.filters import MinorFilterForm
from carecircle.people.imports import can_import
from carecircle.people.management.commands.import_minors import acting_user


class Command(BaseCommand):
    help = "Export a roster (.xlsx) of the children USERNAME sees."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="username", required=True, help="Export as this user.")
        parser.add_argument("--out", required=True, help="The .xlsx file to write.")
        parser.add_argument("--layout", choices=list(rosters.LAYOUTS), default="roster")
        for name in ("area", "category", "status", "age"):
            parser.add_argument(f"--{name}", default="", help=f"Filter as the list's {name}.")

    def handle(self, *args: Any, username: str, out: str, layout: str, **options: Any) -> None:
        actor = acting_user(username)
        if not can_import(actor):
            raise CommandError(
                _("%(username)s does not keep the registry.") % {"username": username}
            )
        form = MinorFilterForm({k: options[k] for k in ("area", "category", "status", "age")})
        if not form.is_valid():
            raise CommandError(
                "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
            )
        data, count = exports.minors_export(actor=actor, layout=rosters.LAYOUTS[layout], form=form)
        Path(out).write_bytes(data)
        self.stdout.write(
            self.style.SUCCESS(_("%(n)d children written to %(path)s.") % {"n": count, "path": out})
        )
