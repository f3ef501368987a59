"""Create the first system administrator: the only way to obtain that role."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecircle.accounts.services import sysadmin_create
from carecircle.regions.codes import parse_code
from carecircle.regions.models import Division


class Command(BaseCommand):
    help = "Create a system administrator scoped to a division; prints a one-time password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--division", required=True, help="Division code, e.g. 431103")
        parser.add_argument("--full-name", default="")

    def handle(self, *args: Any, username: str, division: str, full_name: str, **o: Any) -> None:
        try:
            code, _prefix, _level = parse_code(division)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        scope = Division.objects.filter(code=code).first()
        if scope is None:
            raise CommandError(f"No division {division}; load the regions first.")
        try:
            user, password = sysadmin_create(username=username, full_name=full_name, division=scope)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"{user.username} {password}")
        self.stdout.write("Change this password and enrol the authenticator at first sign-in.")
