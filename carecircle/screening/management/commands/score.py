"""Score one questionnaire from the command line and print the result as JSON.

    manage.py score CODE 'ANSWERS_JSON'
    manage.py score PHQ9 '[0, 1, 2, 3, 0, 1, 2, 3, 0, null]'

ANSWERS_JSON is a JSON array of the answers in the instrument's published item
order: numbers for rated items, "Y"/"N"/"R" for yes/no/refused, null for a blank or
an item that was not shown. A result is printed (exit 0) even when it is invalid
for blanks or skip logic — ``valid`` and ``problems`` say so; answers that do not
fit the instrument at all (wrong number, a value outside an item's options) are
refused with one line on stderr and a non-zero exit, as are an unknown code and
text that is not JSON. It is the engine's check by hand: worked examples from the
published rules can be run against it.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from carecircle.screening.instruments import InstrumentError, get_instrument, score
from carecircle.screening.instruments.loader import registry


def _codes() -> str:
    """The loaded codes for the help text, or why there are none (help must still work)."""
    try:
        return ", ".join(registry())
    except InstrumentError as error:
        return f"(none: the instrument files failed to load: {error})"


class Command(BaseCommand):
    help = "Score one questionnaire and print the result as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        codes = _codes()
        parser.description = f"{self.help} Instrument codes: {codes}."
        parser.add_argument("code", help=f"The instrument: one of {codes}.")
        parser.add_argument(
            "answers",
            metavar="ANSWERS_JSON",
            help="A JSON array of the answers in the published item order "
            '(numbers, "Y"/"N"/"R", null for a blank).',
        )

    def handle(self, *args: Any, code: str, answers: str, **options: Any) -> None:
        try:
            instrument = get_instrument(code.upper())
        except InstrumentError as error:
            raise CommandError(" ".join(str(error).split())) from None
        try:
            parsed = json.loads(answers)
        except ValueError as error:
            raise CommandError(
                _("ANSWERS_JSON is not valid JSON: %(error)s") % {"error": error}
            ) from None
        if not isinstance(parsed, list):
            raise CommandError(
                _("ANSWERS_JSON must be a JSON array of the %(n)d answers of %(code)s.")
                % {"n": len(instrument.items), "code": instrument.code}
            )
        result = score(instrument, parsed)
        malformed = [p.message for p in result.problems if p.malformed]
        if malformed:
            raise CommandError(" ".join(malformed))
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
