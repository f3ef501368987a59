"""Check the audit log's hash chain; exit 1 and list the damage if any row was
altered, deleted or inserted out of order."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from carecircle.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain (exit status 1 on any tampering)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} entries."))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        self.stderr.write(
            self.style.ERROR(f"Audit chain BROKEN: {len(report.problems)} problem(s).")
        )
        sys.exit(1)
