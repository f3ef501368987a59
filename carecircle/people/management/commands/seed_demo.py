"""Load the demo district 冷水滩区: regions, organisations, staff of every role, schools
with their classes, and minors in households with their guardians, whose categories
the rule engine then derives.

    manage.py seed_demo [--minors 500] [--seed 2026] [--if-empty]

Deterministic for a seed; all or nothing; ``--minors 100000`` takes a few minutes.
``--if-empty`` (used by ``make demo``) does nothing when the demo, or any other
account or child, is already there.
Every demo account shares a published password, so production refuses it.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecircle.accounts.models import User
from carecircle.notifications.outbox import drain
from carecircle.people import demo
from carecircle.people.models import Minor

MAX_MINORS = 2_000_000


class Command(BaseCommand):
    help = "Build the demo district 冷水滩区 with staff of every role and N minors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--minors", type=int, default=demo.DEFAULT_MINORS, help="How many children."
        )
        parser.add_argument(
            "--seed", type=int, default=demo.DEFAULT_SEED, help="Same seed, same district."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the demo (or any account or child) is already loaded.",
        )

    def handle(self, *args: Any, minors: int, seed: int, if_empty: bool, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates accounts with a published password; "
                "it does not run with CARECIRCLE_ENV=production."
            )
        if not 0 <= minors <= MAX_MINORS:
            raise CommandError(f"--minors must be between 0 and {MAX_MINORS}.")
        if demo.demo_loaded():
            if if_empty:
                self.stdout.write("The demo district is already loaded: nothing to do.")
                return
            raise CommandError(
                "The demo district is already loaded. Start from an empty database "
                "(delete var/carecircle.sqlite3, then run `make run`)."
            )
        if if_empty and (User.objects.exists() or Minor.objects.exists()):
            self.stdout.write("The database already has accounts or children: demo not loaded.")
            return

        started = time.perf_counter()

        def progress(done: int) -> None:
            if options["verbosity"] >= 2:
                self.stdout.write(f"  {done} / {minors} minors")

        self.stdout.write(f"Loading the demo district (seed {seed}, {minors} minors)…")
        try:
            summary = demo.demo_seed(minors=minors, seed=seed, progress=progress)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        # What the worker would do next: the welcome notifications appear at once.
        drain()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo district loaded in {time.perf_counter() - started:.1f} s: "
                f"{summary.divisions} divisions, {summary.organisations} organisations, "
                f"{summary.users} accounts, {summary.classes} classes, "
                f"{summary.households} households, {summary.minors} minors, "
                f"{summary.guardians} guardians; categories derived for "
                f"{summary.categorised} minors; {summary.screened} screening results; "
                f"{summary.visits} visits; {summary.tips} reports of harm; {summary.cases} cases; "
                f"{summary.rooms} counseling rooms."
            )
        )
        self.stdout.write("Sign-in names and the password: python manage.py demo_logins")
