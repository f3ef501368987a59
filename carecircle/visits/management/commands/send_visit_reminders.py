"""Send the visit reminders and escalations due now, as the periodic jobs do.

    manage.py send_visit_reminders            # as of today
    manage.py send_visit_reminders --on 2026-06-15

The worker (``run_worker``) or Celery beat runs the same two jobs every three
hours; this is for an operator catching up by hand, or a cron-driven deployment.
Each child and due day is told once, however often it runs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecircle.visits.jobs import escalate_run, remind_run


class Command(BaseCommand):
    help = "Remind child directors of visits falling due and escalate overdue ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--on", help="The day to run as, YYYY-MM-DD (default: today).")

    def handle(self, *args: Any, **options: Any) -> None:
        on = None
        if options["on"]:
            try:
                on = date.fromisoformat(options["on"])
            except ValueError as exc:
                raise CommandError(f"--on must be a date as YYYY-MM-DD: {exc}") from None
        reminded = remind_run(on=on)
        escalated = escalate_run(on=on)
        self.stdout.write(f"reminded: {reminded} children; escalated: {escalated} children")
