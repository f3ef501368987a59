"""The embedded background worker: drains the outbox and runs periodic jobs.

Stop it at any moment (Ctrl-C, kill -9): a message is marked delivered in the same
transaction as its effect, so nothing is lost and nothing is delivered twice.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from carecircle.notifications.outbox import drain, run_due_jobs


class Command(BaseCommand):
    help = "Deliver outbox messages and run periodic jobs (embedded default; no Celery needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Drain once and exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between polls.")

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("CareCircle worker started.")
        while not stopping:
            close_old_connections()
            ran = run_due_jobs()
            delivered = drain()
            if delivered or ran:
                self.stdout.write(f"delivered {delivered} message(s); ran {', '.join(ran) or '-'}")
            if once:
                break
            time.sleep(interval)
        self.stdout.write("CareCircle worker stopped.")
