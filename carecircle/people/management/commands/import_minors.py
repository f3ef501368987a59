"""Import a 两表一册 roster from the command line, all or nothing.

    manage.py import_minors FILE [--dry-run] [--layout left_behind|in_difficulty|roster]
                                 [--as USERNAME]

Without ``--as`` the import runs as the system (every village); with it, within
that user's editable scope, as on the import page. Problems are printed by row and
column; the command exits with status 1 when there are any (nothing is then
written), 0 otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from carecircle.accounts.models import User
from carecircle.people import imports, rosters


def load_file(path: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise CommandError(_("No such file: %(path)s") % {"path": path})
    if file.stat().st_size > imports.max_bytes():
        raise CommandError(imports.too_large_message())
    return file.read_bytes()


def acting_user(username: str | None) -> User | None:
    if username is None:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("No active user %(username)s.") % {"username": username})
    return user


def problem_line(problem: imports.Problem) -> str:
    where = _("row %(row)d") % {"row": problem.row} if problem.row else _("whole file")
    column = f" · {problem.column}" if problem.column else ""
    return f"{where}{column}: {problem.message}"


class Command(BaseCommand):
    help = "Import a roster (.xlsx or .csv) of children; exits non-zero on any problem."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The roster file.")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--layout", choices=list(rosters.LAYOUTS), help="The form; recognised if omitted."
        )
        parser.add_argument("--as", dest="username", help="Import within this user's scope.")

    def handle(
        self,
        *args: Any,
        file: str,
        dry_run: bool,
        layout: str | None,
        username: str | None,
        **options: Any,
    ) -> None:
        actor = acting_user(username)
        try:
            report = imports.import_minors(
                actor=actor,
                data=load_file(file),
                filename=Path(file).name,
                dry_run=dry_run,
                layout=layout,
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc) or _("This user cannot register children.")) from None
        for warning in report.warnings:
            self.stdout.write(_("Warning: %(line)s") % {"line": problem_line(warning)})
        for problem in report.problems:
            self.stderr.write(problem_line(problem))
        if not report.ok:
            raise CommandError(
                _("%(n)d problems: nothing was imported.") % {"n": len(report.problems)}
            )
        summary = _("%(form)s: %(rows)d rows, %(created)d added, %(updated)d updated.") % {
            "form": report.layout_title,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
        }
        if dry_run:
            summary = _("Checked, nothing written. %(summary)s") % {"summary": summary}
        self.stdout.write(self.style.SUCCESS(summary))
